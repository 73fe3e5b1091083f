"""The break-glass sign-in: password and second factor, around the identity provider."""

from django.utils.translation import gettext as _

from accounts import signin
from accounts.roles import GLOBAL_ADMIN
from accounts.views import SignInView
from sso import selectors
from sso.receivers import BREAK_GLASS


class BreakGlassSignInView(SignInView):
    """Sign in with a password whatever the name's domain, for a broken identity provider.

    People of a federated domain get in here only as a Global admin with a second
    factor; that sign-in is audited and told to the other Global admins. Anybody
    else signs in as on the usual page.
    """

    template_name = "sso/break_glass.html"
    discovers_realm = False

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        # Here the password is always asked for: no provider takes over.
        form.fields["password"].help_text = ""
        form.fields["password"].required = True
        return form

    def password_accepted(self, form, user):
        self.request.session.pop(BREAK_GLASS, None)
        if selectors.is_federated(user):
            if GLOBAL_ADMIN not in user.role_codes:
                signin.audit_failure(self.request, user.username, "signin.failure")
                form.add_error(None, signin.FAILED)
                return self.form_invalid(form)
            if not signin.needs_second_step(user):
                form.add_error(
                    None,
                    _(
                        "Signing in around single sign-on needs a second factor, and this "
                        "account has none registered. Ask another Global admin to switch "
                        "single sign-on off for a moment."
                    ),
                )
                return self.form_invalid(form)
            response = super().password_accepted(form, user)
            self.request.session[BREAK_GLASS] = user.pk
            return response
        return super().password_accepted(form, user)
