from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp import devices_for_user
from django_otp.forms import OTPTokenForm

from accounts.signin import is_phishing_resistant, phishing_resistant_required


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Sign-in name"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}
        ),
        help_text=_("For example anna@contoso.example."),
    )
    # Not needed for a name whose organization signs in with its own identity
    # provider: the view asks for it when the name's domain is not federated.
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_(
            "If your organization signs in with its own identity provider, leave this empty: "
            "you'll be sent there."
        ),
    )
    # Where to go after signing in; checked against the host when it is used.
    next = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)


class LanguageForm(forms.Form):
    """The user menu's language switcher: a language (or none) and the page to go back to."""

    # Checked by the service, which says what is wrong with an unknown language.
    language = forms.CharField(required=False, strip=False)
    # Checked against the host before it is followed.
    next = forms.CharField(required=False, strip=False)


class PortalPasswordChangeForm(PasswordChangeForm):
    """Django's password change form; the save goes through the service."""

    def clean(self):
        cleaned_data = super().clean()
        password = cleaned_data.get("new_password2")
        # An expired or admin-set password must really be replaced, not typed again.
        if password and not self.has_error("new_password2") and self.user.check_password(password):
            self.add_error(
                "new_password2",
                ValidationError(
                    _("Choose a password different from your current one."),
                    code="password_unchanged",
                ),
            )
        return cleaned_data

    def save(self, commit=True):
        raise NotImplementedError("Use accounts.services.password_change().")


class SecondStepForm(OTPTokenForm):
    """The second sign-in step: a code from one of the user's confirmed devices.

    With a single device there is nothing to choose, so the choice is hidden.
    """

    otp_error_messages = {
        **OTPTokenForm.otp_error_messages,
        # The method's own words ("We sent a code to +31 6 ••••••78.", "We couldn't
        # send the code. Try again later."), without django-otp's technical prefixes.
        "challenge_message": "{0}",
        "challenge_exception": "{0}",
        "token_required": _("Enter the code."),
        "invalid_token": _("That code is not right. Check it and try again."),
        "device_required": _("Choose a verification method."),
        "n_failed_attempts": ngettext_lazy(
            "That was %(failure_count)d wrong code. Wait a few seconds before the next try.",
            "Those were %(failure_count)d wrong codes in a row. Wait a little before the next try.",
            "failure_count",
        ),
    }

    # "Send me a code" has its own address (``CodeSendForm``): here a code is only checked.
    otp_challenge = None

    def __init__(self, user, request=None, *args, **kwargs):
        # One look at the user's devices serves the choices and everything below.
        devices = list(devices_for_user(user, confirmed=True))
        # Passkeys prove the user with a signature, not a typed code: their own
        # button does that (a device says so with ``signs_in_with_code = False``).
        by_code = [d for d in devices if getattr(d, "signs_in_with_code", True)]
        self.has_passkey = any(is_phishing_resistant(d) for d in devices)
        # An admin whose organization requires a phishing-resistant method, and who
        # has one, finishes with it; without one, codes still get them to registering one.
        self.codes_allowed = not (self.has_passkey and phishing_resistant_required(user))
        self._code_choices = (
            [(d.persistent_id, d.name) for d in by_code] if self.codes_allowed else []
        )
        super().__init__(user, request, *args, **kwargs)
        device = self.fields["otp_device"]
        device.label = _("Verification method")
        if device.choices:
            ids = [value for value, _label in device.choices]
            # The user's default method first, else the first one.
            device.initial = user.default_otp_device if user.default_otp_device in ids else ids[0]
        if len(device.choices) == 1:
            device.widget = forms.HiddenInput()
        token = self.fields["otp_token"]
        token.label = _("Code")
        token.widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        )
        self.interactive = self.codes_allowed and any(d.is_interactive() for d in by_code)

    def device_choices(self, user):
        # In place of django-otp's, which would look the devices up again.
        return self._code_choices


class CodeSendForm(SecondStepForm):
    """ "Send me a code": the chosen method sends one (django-otp's challenge); nothing is checked.

    The form is never valid: django-otp answers a challenge with a ValidationError
    whose code says what happened, ``challenge_message`` when a code went out.
    """

    def clean(self):
        # What django-otp's own challenge button asks for; this form asks for nothing else.
        self.cleaned_data["otp_challenge"] = True
        return super().clean()

    def sent_message(self):
        """Return the method's "We sent a code to …" when it sent one, else ""."""
        sent = self.errors.as_data().get("__all__", [])
        if sent and all(error.code == "challenge_message" for error in sent):
            return sent[0].messages[0]
        return ""
