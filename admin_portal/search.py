"""The top bar's search: users and groups by name or sign-in name, in one page.

The areas do the searching (``users.selectors``, ``groups.selectors``), with the
same rules as their own lists; this page shows the first few of each and links
to the full list with the same search.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.http import QueryDict
from django.views.generic import TemplateView

from accounts.roles import VIEW_GROUPS, VIEW_USERS
from groups import selectors as group_selectors
from users import selectors as user_selectors

RESULTS_PER_AREA = 8
MAX_QUERY_LENGTH = 100


def can_search(user):
    """Return whether ``user`` may search anything from the top bar."""
    return user.has_perm(VIEW_USERS) or user.has_perm(VIEW_GROUPS)


class SearchView(LoginRequiredMixin, TemplateView):
    template_name = "admin_portal/search.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_search(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
        context["query"] = query
        context["areas"] = self._areas(query) if query else []
        return context

    def _areas(self, query):
        """Return one result block per area the user may read."""
        tenant, user = self.request.tenant, self.request.user
        params = QueryDict(mutable=True)
        params["q"] = query
        areas = []
        if user.has_perm(VIEW_USERS):
            users, _filter = user_selectors.user_list(tenant=tenant, params=params)
            rows = list(users.order_by(Lower("display_name"), "id")[: RESULTS_PER_AREA + 1])
            areas.append(
                {
                    "kind": "users",
                    "rows": rows[:RESULTS_PER_AREA],
                    "more": len(rows) > RESULTS_PER_AREA,
                }
            )
        if user.has_perm(VIEW_GROUPS):
            groups, _filter = group_selectors.group_list(tenant=tenant, params=params)
            rows = list(groups[: RESULTS_PER_AREA + 1])
            areas.append(
                {
                    "kind": "groups",
                    "rows": rows[:RESULTS_PER_AREA],
                    "more": len(rows) > RESULTS_PER_AREA,
                }
            )
        return areas
