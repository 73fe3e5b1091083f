"""Delete groups, after a confirmation: one from its page, or those selected in the list."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import DELETE_GROUPS, VIEW_GROUPS
from core.access import names_unreachable_rows
from groups import services
from groups.forms import GroupsForm
from groups.views.detail import GroupDetailView


def _deleted(request, groups):
    services.groups_delete(
        tenant=request.tenant, acting_user=request.user, groups=groups, request=request
    )
    messages.success(
        request,
        ngettext(
            "%(count)d group was deleted. You can restore it within %(days)d days.",
            "%(count)d groups were deleted. You can restore them within %(days)d days.",
            len(groups),
        )
        % {"count": len(groups), "days": services.RESTORE_DAYS},
    )
    return redirect("groups:group_list")


class GroupDeleteView(GroupDetailView):
    """Ask before deleting a group; delete it on the confirmation.

    A reader sees the page too, without the button: it says who may delete.
    """

    template_name = "groups/group_delete.html"

    def get_context_data(self, **kwargs):
        return {
            "group": self.object,
            "groups": [self.object],
            "can_delete": self.request.user.has_perm(DELETE_GROUPS),
            "restore_days": services.RESTORE_DAYS,
            "cancel_url": self.object.get_absolute_url(),
            **kwargs,
        }

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(DELETE_GROUPS):
            raise PermissionDenied
        return _deleted(request, [self.get_object()])


class GroupBulkDeleteView(TenantScopedMixin, TemplateView):
    """Ask before deleting the groups selected in the list (GET); delete them (POST)."""

    permission_required = VIEW_GROUPS
    template_name = "groups/group_delete.html"

    def get(self, request, *args, **kwargs):
        form = self.parse(request.GET)
        if form is None:
            return redirect("groups:group_list")
        if not request.user.has_perm(DELETE_GROUPS):
            raise PermissionDenied
        groups = list(form.cleaned_data["ids"])
        return self.render_to_response(
            {
                "groups": groups,
                "can_delete": True,
                "restore_days": services.RESTORE_DAYS,
                "cancel_url": reverse("groups:group_list"),
            }
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(DELETE_GROUPS):
            raise PermissionDenied
        form = self.parse(request.POST)
        if form is None:
            return redirect("groups:group_list")
        return _deleted(request, list(form.cleaned_data["ids"]))

    def parse(self, data):
        """Return the valid form of the selected groups, or None with a message (bad id: 404)."""
        form = GroupsForm(data, actor=self.request.user)
        if form.is_valid():
            return form
        if names_unreachable_rows(form):
            raise Http404
        messages.error(self.request, _("Select at least one group first."))
        return None
