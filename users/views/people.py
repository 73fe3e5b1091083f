"""The people search of the people picker: matches from the source the picker names."""

from django.http import Http404, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.mixins import TenantScopedMixin
from core.people_picker import people_matching
from users import selectors


@method_decorator(never_cache, name="dispatch")
class PeopleSearchView(TenantScopedMixin, View):
    """Return, as JSON, at most ten people of a picker's source whose names contain ``q``.

    The ``source`` parameter names a server-side selector (``PEOPLE_SOURCES``) and
    the permission of the page its picker is on: the endpoint shows nobody the
    actor could not choose on that page anyway.
    """

    def get_permission_required(self):
        self.source = selectors.people_source(self.request.GET.get("source", ""))
        if self.source is None:
            raise Http404
        return (self.source.permission,)

    def get(self, request):
        people = people_matching(self.source.people(request.user), request.GET.get("q", ""))
        return JsonResponse(
            {
                "results": [
                    {"id": person.pk, "name": person.display_name, "username": person.username}
                    for person in people
                ]
            }
        )
