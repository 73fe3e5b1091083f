from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView

from accounts.mixins import TenantScopedMixin
from accounts.models import User
from accounts.roles import ROLES, VIEW_USERS, can_reset_password
from security_info import selectors as security_info_selectors
from security_info import services as security_info_services
from users import selectors


class UserDetailView(TenantScopedMixin, DetailView):
    """A user's page: account, authentication methods (when allowed), activity."""

    permission_required = VIEW_USERS
    model = User
    template_name = "users/user_detail.html"
    context_object_name = "person"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person, actor = self.object, self.request.user
        context["roles"] = [ROLES[code] for code in sorted(person.role_codes)]
        context["can_manage_methods"] = can_reset_password(actor, person)
        if context["can_manage_methods"]:
            context["methods"] = security_info_selectors.methods_for_admin(user=person)
        context["activity"] = selectors.user_activity(tenant=self.request.tenant, user=person)
        return context

    def post(self, request, *args, **kwargs):
        """Remove one of the user's methods, or make them register again."""
        person = self.get_object()
        if not can_reset_password(request.user, person):
            # Not allowed to see this user's methods: as if the section did not exist.
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action == "reregister":
            security_info_services.reregistration_require(
                user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s must register their security info again at the next sign-in.")
                % {"name": person.display_name},
            )
        elif action in security_info_services.ADMIN_REMOVABLE:
            security_info_services.method_remove_by_admin(
                user=person, method=action, acting_user=request.user, request=request
            )
            messages.success(request, _("The method was removed."))
        else:
            messages.error(request, _("Choose what to remove."))
        return redirect("users:user_detail", pk=person.pk)
