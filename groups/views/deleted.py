"""Deleted groups: the list, and restoring one within the restore period."""

import math

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import DELETE_GROUPS, VIEW_GROUPS
from groups import selectors, services
from groups.forms import RestoreForm
from groups.models import DeletedGroup


class DeletedGroupListView(TenantScopedMixin, TemplateView):
    permission_required = VIEW_GROUPS
    template_name = "groups/group_deleted_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.deleted_groups(tenant=self.request.tenant), 50).get_page(
            self.request.GET.get("page")
        )
        now = timezone.now()
        for group in page.object_list:
            left = services.restore_deadline(group) - now
            group.days_left = max(math.ceil(left.total_seconds() / 86400), 0)
        context.update(
            page_obj=page,
            deleted_groups=page.object_list,
            can_restore=self.request.user.has_perm(DELETE_GROUPS),
            restore_days=services.RESTORE_DAYS,
        )
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
