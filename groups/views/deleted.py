"""Deleted groups: the list, and restoring one within the restore period."""

import math
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import DetailView

from accounts.mixins import TenantScopedMixin
from accounts.roles import DELETE_GROUPS, VIEW_GROUPS
from core.tables import Column, EventTimeColumn, ObjectURL, esc
from core.views import ObjectListView
from groups import selectors, services
from groups.forms import RestoreForm
from groups.models import DeletedGroup, Kind


@dataclass(frozen=True)
class RestoreColumn:
    """Each row's Restore button, named for its group; a heading only screen readers hear."""

    label: str
    url: ObjectURL
    sort = None

    def render(self, objects):
        prefix, suffix = self.url.parts()
        text, label = esc(_("Restore")), _("Restore %(name)s")
        return [
            f'<td><a class="button button-small button-secondary" href="{prefix}{obj.pk}{suffix}"'
            f' aria-label="{esc(label % {"name": obj.name})}">{text}</a></td>'
            for obj in objects
        ]

    def header(self):
        return f'<th scope="col"><span class="visually-hidden">{esc(self.label)}</span></th>'


DELETED_GROUP_COLUMNS = [
    Column(_lazy("Name"), "name"),
    Column(_lazy("Type"), "kind_label"),
    Column(_lazy("Former address"), "deleted_email"),
    EventTimeColumn(_lazy("Deleted"), "deleted_at"),
    Column(_lazy("Days left to restore"), "days_left"),
]
RESTORE_COLUMN = RestoreColumn(_lazy("Actions"), ObjectURL("groups:group_restore"))


class DeletedGroupListView(TenantScopedMixin, ObjectListView):
    """Groups deleted within the restore period, newest first; a Restore button for who may."""

    permission_required = VIEW_GROUPS
    template_name = "groups/group_deleted_list.html"
    selector = staticmethod(selectors.deleted_group_list)
    page_sizes = (50,)
    empty_text = empty_filtered_text = _lazy("No groups were deleted in the last 30 days.")

    @property
    def can_restore(self):
        return self.request.user.has_perm(DELETE_GROUPS)

    @property
    def columns(self):
        if self.can_restore:
            return [*DELETED_GROUP_COLUMNS, RESTORE_COLUMN]
        return DELETED_GROUP_COLUMNS

    def prepare_rows(self, rows):
        kinds = {value: str(label) for value, label in Kind.choices}
        now = timezone.now()
        for group in rows:
            group.kind_label = kinds.get(group.kind, group.kind)
            left = services.restore_deadline(group) - now
            group.days_left = max(math.ceil(left.total_seconds() / 86400), 0)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(can_restore=self.can_restore, restore_days=services.RESTORE_DAYS)
        return context


class GroupRestoreView(TenantScopedMixin, DetailView):
    """Bring a deleted group back, under its old address or another one."""

    permission_required = DELETE_GROUPS
    model = DeletedGroup
    template_name = "groups/group_restore.html"
    context_object_name = "group"

    def get_object(self, queryset=None):
        return selectors.access_group_by_id(self.request.user, self.kwargs["pk"], deleted=True)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", RestoreForm(initial={"email": self.object.deleted_email}))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        self.object = group = self.get_object()
        form = RestoreForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            services.group_restore(
                tenant=request.tenant,
                acting_user=request.user,
                group=group,
                email=form.cleaned_data["email"] or None,
                request=request,
            )
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(form=form, errors=error.messages))
        messages.success(request, _("%(name)s was restored.") % {"name": group.name})
        return redirect(group)
