"""Roles: the organization's role list and a user's roles."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView

from accounts import services as account_services
from accounts.mixins import TenantScopedMixin
from accounts.models import User, UserManager
from accounts.roles import (
    ASSIGN_ROLES,
    PERMISSION_LABELS,
    ROLES,
    VIEW_ROLES,
    can_assign_role,
)
from users import selectors, services


class UserRolesView(TenantScopedMixin, DetailView):
    """Give or take away a user's roles (only those the admin may assign)."""

    permission_required = ASSIGN_ROLES
    model = User
    template_name = "users/user_roles.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

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

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        try:
            added, removed = services.user_roles_set(
                tenant=request.tenant,
                acting_user=request.user,
                user=person,
                roles=request.POST.getlist("roles"),
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            if error.code == "unknown_role":
                return HttpResponseBadRequest(error.messages[0], content_type="text/plain")
            messages.error(request, error.messages[0])
            return redirect("users:user_roles", pk=person.pk)
        if added or removed:
            messages.success(request, _("The roles were saved."))
        return redirect("users:user_detail", pk=person.pk)


class RoleListView(TenantScopedMixin, TemplateView):
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

    def post(self, request, *args, **kwargs):
        code = request.POST.get("role", "")
        if code not in ROLES:
            return HttpResponseBadRequest(_("Unknown role."), content_type="text/plain")
        if not request.user.has_perm(ASSIGN_ROLES) or not can_assign_role(request.user, code):
            raise PermissionDenied
        action = request.POST.get("action")
        users = User.objects.for_tenant(request.tenant).active()
        if action == "assign":
            username = UserManager.normalize_username(request.POST.get("username", ""))
            person = users.filter(username=username).first()
            if person is None:
                messages.error(
                    request,
                    _("There is no user %(username)s in your organization.")
                    % {"username": username or "—"},
                )
                return redirect("users:role_list")
            service, text = account_services.role_assign, _("%(name)s is now %(role)s.")
        elif action == "remove":
            try:
                person = users.get(pk=int(request.POST.get("user", "")))
            except (ValueError, User.DoesNotExist):
                raise Http404 from None
            service, text = account_services.role_remove, _("%(name)s is no longer %(role)s.")
        else:
            return HttpResponseBadRequest(_("Unknown action."), content_type="text/plain")
        try:
            service(
                tenant=request.tenant,
                user=person,
                role=code,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request, text % {"name": person.display_name, "role": ROLES[code].name}
            )
        return redirect("users:role_list")
