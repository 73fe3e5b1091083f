from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.generic import DetailView

from accounts import services as account_services
from accounts.mixins import TenantScopedMixin
from accounts.models import User
from accounts.roles import GLOBAL_ADMIN, ROLES, VIEW_USERS, can_reset_password
from security_info import selectors as security_info_selectors
from security_info import services as security_info_services
from users import selectors
from users.forms import UserPasswordResetForm


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
        # One rule for the methods, the password and the sessions of this user.
        context["can_manage_methods"] = can_reset_password(actor, person)
        if context["can_manage_methods"]:
            context["methods"] = security_info_selectors.methods_for_admin(user=person)
            context["can_issue_pass"] = not person.is_admin or GLOBAL_ADMIN in actor.role_codes
            context["pass_hours"] = security_info_services.TEMPORARY_PASS_HOURS
        context["activity"] = selectors.user_activity(tenant=self.request.tenant, user=person)
        return context

    def post(self, request, *args, **kwargs):
        """Remove one of the user's methods, make them register again, or sign them out."""
        person = self.get_object()
        if not can_reset_password(request.user, person):
            # Not allowed to see this user's methods: as if the section did not exist.
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action == "signout_all":
            account_services.user_sessions_end(
                tenant=request.tenant, user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s was signed out of all sessions.") % {"name": person.display_name},
            )
        elif action == "reregister":
            security_info_services.reregistration_require(
                user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s must register their security info again at the next sign-in.")
                % {"name": person.display_name},
            )
        elif action == "temporary_pass":
            return self.issue_temporary_pass(request, person)
        elif action in security_info_services.ADMIN_REMOVABLE:
            security_info_services.method_remove_by_admin(
                user=person, method=action, acting_user=request.user, request=request
            )
            messages.success(request, _("The method was removed."))
        else:
            messages.error(request, _("Choose what to remove."))
        return redirect("users:user_detail", pk=person.pk)

    def issue_temporary_pass(self, request, person):
        try:
            hours = int(request.POST.get("hours", ""))
        except ValueError:
            hours = 0
        try:
            token = security_info_services.temporary_pass_issue(
                user=person, acting_user=request.user, hours=hours, request=request
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("users:user_detail", pk=person.pk)
        # Shown once, here; never stored in the clear, never cached.
        response = render(
            request,
            "users/temporary_pass_done.html",
            {"person": person, "token": token, "hours": hours},
        )
        add_never_cache_headers(response)
        return response


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class UserPasswordResetView(TenantScopedMixin, DetailView):
    """Reset a user's password for them (the helpdesk's job).

    A generated password is shown once, on the answer to the POST: it is never
    stored, and the answer is not cached.
    """

    permission_required = VIEW_USERS
    model = User
    template_name = "users/user_password_reset.html"
    done_template_name = "users/user_password_reset_done.html"
    context_object_name = "person"

    def handle_no_permission(self):
        request = self.request
        if request.method == "POST" and request.user.is_authenticated:
            # Refused before the user is looked up, so only the id asked for is known.
            account_services.password_reset_denied(
                tenant=request.tenant,
                acting_user=request.user,
                target_id=str(self.kwargs["pk"]),
                request=request,
            )
        return super().handle_no_permission()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not can_reset_password(request.user, self.object):
            raise PermissionDenied
        return self.render_to_response(self.get_context_data(form=UserPasswordResetForm()))

    @method_decorator(sensitive_variables("password"))
    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        if not can_reset_password(request.user, person):
            account_services.password_reset_denied(
                tenant=request.tenant, acting_user=request.user, user=person, request=request
            )
            raise PermissionDenied
        form = UserPasswordResetForm(request.POST)
        if form.is_valid():
            try:
                password = account_services.password_reset_by_admin(
                    tenant=request.tenant,
                    user=person,
                    acting_user=request.user,
                    new_password=form.new_password,
                    require_change=form.cleaned_data["require_change"],
                    request=request,
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "forbidden":  # roles changed meanwhile
                    raise PermissionDenied from None
                # The password validators' messages, at the field they are about.
                form.add_error("password", error)
            else:
                return self.response_class(
                    request=request,
                    template=[self.done_template_name],
                    context=self.get_context_data(
                        password=password,
                        generated=form.new_password is None,
                        require_change=form.cleaned_data["require_change"],
                    ),
                    using=self.template_engine,
                )
        return self.render_to_response(self.get_context_data(form=form))
