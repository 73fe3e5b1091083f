"""A user's authentication methods as an admin acts on them: sign out, re-register, remove."""

from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from accounts import services as account_services
from accounts.roles import (
    VIEW_USERS,
    can_reset_password,
)
from security_info import services as security_info_services
from users.forms import (
    TemporaryPassForm,
    UserMethodRemoveForm,
)
from users.views.detail import UserActionView


class _MethodsActionView(UserActionView):
    """An action on a user's sign-in methods or sessions: for whoever may reset their password."""

    permission_required = VIEW_USERS

    def check_object(self, person):
        if not can_reset_password(self.request.user, person):
            # Not allowed to see this user's methods: as if the section did not exist.
            raise PermissionDenied


class UserSignOutAllView(_MethodsActionView):
    """Sign a user out of every session."""

    title = gettext_lazy("Sign out of all sessions")
    explanation = gettext_lazy(
        "%(name)s is signed out everywhere at their next request, and signs in again "
        "with their password."
    )

    def perform(self, form):
        account_services.user_sessions_end(
            tenant=self.request.tenant,
            user=self.object,
            acting_user=self.request.user,
            request=self.request,
        )

    def get_success_message(self, form, result):
        return _("%(name)s was signed out of all sessions.") % {"name": self.object.display_name}


class UserReregisterView(_MethodsActionView):
    """Remove all of a user's methods and make them register again at the next sign-in."""

    title = gettext_lazy("Require re-registration")
    explanation = gettext_lazy(
        "Every sign-in method of %(name)s is removed, and they register their security "
        "info again at the next sign-in."
    )

    def perform(self, form):
        security_info_services.reregistration_require(
            user=self.object, acting_user=self.request.user, request=self.request
        )

    def get_success_message(self, form, result):
        return _("%(name)s must register their security info again at the next sign-in.") % {
            "name": self.object.display_name
        }


class UserMethodRemoveView(_MethodsActionView):
    """Remove one of a user's methods (one they lost)."""

    form_class = UserMethodRemoveForm
    title = gettext_lazy("Remove a method")
    button = gettext_lazy("Remove")
    explanation = gettext_lazy("Remove a method %(name)s lost. They can register it again.")
    success_message = gettext_lazy("The method was removed.")

    def perform(self, form):
        security_info_services.method_remove_by_admin(
            user=self.object,
            method=form.cleaned_data["method"],
            acting_user=self.request.user,
            request=self.request,
        )


class UserTemporaryPassView(_MethodsActionView):
    """Issue a temporary access pass, shown once on the answer to the POST."""

    form_class = TemporaryPassForm
    title = gettext_lazy("Issue temporary access pass")
    explanation = gettext_lazy(
        "For someone who lost every method: one sign-in without a second factor, "
        "then they register new methods."
    )

    @method_decorator(sensitive_variables("token"))
    def perform(self, form):
        return security_info_services.temporary_pass_issue(
            user=self.object,
            acting_user=self.request.user,
            hours=form.cleaned_data["hours"],
            request=self.request,
        )

    @method_decorator(sensitive_variables("token"))
    def done(self, form, token):
        # Shown once, here; never stored in the clear, never cached.
        response = self.response_class(
            request=self.request,
            template=["users/temporary_pass_done.html"],
            context={"person": self.object, "token": token, "hours": form.cleaned_data["hours"]},
            using=self.template_engine,
        )
        add_never_cache_headers(response)
        return response
