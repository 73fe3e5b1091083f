"""Active groups: search, type filter, sort and pages; the CSV export."""

from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import ADD_GROUPS, DELETE_GROUPS, VIEW_GROUPS
from core.csv_export import streaming_csv_response
from groups import selectors


class GroupListView(TenantScopedMixin, TemplateView):
    """Active groups: search, type filter, sort, pages; delete the selected ones; CSV export."""

    permission_required = VIEW_GROUPS
    template_name = "groups/group_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups, group_filter = selectors.group_list(
            tenant=self.request.tenant, params=self.request.GET
        )
        page = Paginator(groups, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        context.update(
            filter=group_filter,
            page_obj=page,
            groups=page.object_list,
            query=query.urlencode(),
            sort_query=sort_query.urlencode(),
            sort=group_filter.sort_key,
            can_add=self.request.user.has_perm(ADD_GROUPS),
            can_delete=self.request.user.has_perm(DELETE_GROUPS),
        )
        return context


class GroupExportView(TenantScopedMixin, View):
    permission_required = VIEW_GROUPS

    def get(self, request):
        groups, group_filter = selectors.group_list(tenant=request.tenant, params=request.GET)
        if group_filter.is_bound and not group_filter.is_valid():
            return HttpResponseBadRequest(
                _("The filters are not valid."), content_type="text/plain; charset=utf-8"
            )
        header = [_("Name"), _("Type"), _("Email address"), _("Members"), _("Created")]
        rows = (
            [g.name, g.get_kind_display(), g.email, g.member_count, g.created_at.date().isoformat()]
            for g in groups.iterator(chunk_size=2000)
        )
        return streaming_csv_response("groups.csv", header, rows)
