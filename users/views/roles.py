"""Roles: the organization's role list and a user's roles."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from accounts import services as account_services
from accounts.mixins import TenantScopedMixin
from accounts.roles import (
    ASSIGN_ROLES,
    PERMISSION_LABELS,
    ROLES,
    VIEW_ROLES,
    can_assign_role,
)
from core.pagecache import CachedPageMixin
from core.views.detail import ActionView
from users import selectors, services
from users.forms import RoleAssignForm, RoleRemoveForm, UserRolesForm
from users.views.detail import UserActionView


class UserRolesView(UserActionView):
    """Give or take away a user's roles (only those the admin may assign)."""

    permission_required = ASSIGN_ROLES
    form_class = UserRolesForm
    template_name = "users/user_roles.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        held = self.object.role_codes
        actor = self.request.user
        context["role_rows"] = [
            {
                "role": role,
                "held": role.code in held,
                "can_change": can_assign_role(actor, role.code),
            }
            for role in ROLES.values()
        ]
        return context

    def perform(self, form):
        return services.user_roles_set(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            roles=form.cleaned_data["roles"],
            request=self.request,
        )

    def get_success_message(self, form, result):
        added, removed = result
        return _("The roles were saved.") if added or removed else ""


class RoleListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Roles: what each admin role may do and who holds it; give and take away."""

    permission_required = VIEW_ROLES
    template_name = "users/role_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor = self.request.user
        overview = selectors.role_overview(tenant=self.request.tenant)
        for entry in overview:
            entry["permissions"] = [
                PERMISSION_LABELS[perm]
                for perm in sorted(entry["role"].permissions)
                if perm in PERMISSION_LABELS
            ]
            entry["can_change"] = actor.has_perm(ASSIGN_ROLES) and can_assign_role(
                actor, entry["role"].code
            )
        context["roles"] = overview
        # Blocked Global admins hold the role but can't sign in: they don't count.
        context["only_one_global_admin"] = (
            selectors.global_admin_count(tenant=self.request.tenant) <= 1
        )
        return context


class _RoleChangeView(TenantScopedMixin, ActionView):
    """Give or take away one role from the Roles page; its refusals are told there."""

    permission_required = ASSIGN_ROLES
    template_name = "users/user_confirm.html"
    success_url = reverse_lazy("users:role_list")

    def get_object(self):
        # The role and the user are the form's, both checked there.
        return None

    def get_form_kwargs(self):
        return {"actor": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title, button=self.title, cancel_url=reverse("users:role_list"))
        return context

    def change(self, form, service, person):
        code = form.cleaned_data["role"]
        if not can_assign_role(self.request.user, code):
            raise PermissionDenied
        service(
            tenant=self.request.tenant,
            user=person,
            role=code,
            acting_user=self.request.user,
            request=self.request,
        )
        return person

    def refused(self, form, error):
        messages.error(self.request, error.messages[0])
        return redirect(self.get_success_url())


class RoleAssignView(_RoleChangeView):
    """Give a role to a user named by their sign-in name."""

    form_class = RoleAssignForm
    title = gettext_lazy("Give a role")

    def perform(self, form):
        return self.change(form, account_services.role_assign, form.user)

    def get_success_message(self, form, person):
        return _("%(name)s is now %(role)s.") % {
            "name": person.display_name,
            "role": ROLES[form.cleaned_data["role"]].name,
        }


class RoleRemoveView(_RoleChangeView):
    """Take a role away from one of the organization's users."""

    form_class = RoleRemoveForm
    title = gettext_lazy("Remove a role")

    def perform(self, form):
        return self.change(form, account_services.role_remove, form.cleaned_data["user"])

    def get_success_message(self, form, person):
        return _("%(name)s is no longer %(role)s.") % {
            "name": person.display_name,
            "role": ROLES[form.cleaned_data["role"]].name,
        }
