from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import SecondStepForm


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile phone number"),
        max_length=64,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_(
            "A number that can receive text messages, such as 06 12345678 or +31 6 12345678."
        ),
    )


class AltEmailForm(forms.Form):
    email = forms.CharField(
        label=_("Alternate email address"),
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_(
            "A personal address outside your organization, so it works even when your "
            "work account doesn't."
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The 6-digit code we sent. It expires after 10 minutes."),
    )


class AuthenticatorForm(CodeForm):
    name = forms.CharField(
        label=_("Name of the app or phone"),
        max_length=64,
        required=False,
        help_text=_("Helps you tell your apps apart, for example “Phone, Authenticator”."),
    )

    field_order = ["code", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("The 6-digit code the app shows after scanning.")


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ReauthSecondStepForm(SecondStepForm):
    """The code step of re-authentication: the sign-in's second step.

    Here "Text me a code" stays a button of the password's form (django-otp's
    challenge button): the password is checked, and counted, before any code goes out.
    """

    otp_challenge = forms.CharField(required=False)

    @property
    def asks_for_code(self):
        """Return whether the person pressed "Text me a code" rather than entering one."""
        return "otp_challenge" in self.data


class DefaultMethodForm(forms.Form):
    """The sign-in method to offer first, by its django-otp persistent id."""

    # Looked up among the user's own verified methods; anything else names none.
    device = forms.CharField(max_length=200)


class PasskeyOptionsForm(forms.Form):
    """What a passkey ceremony is for (sent by passkeys.js)."""

    purpose = forms.CharField(max_length=40)


class PasskeyAnswerForm(forms.Form):
    """The browser's answer to a passkey ceremony, as JSON (filled in by passkeys.js)."""

    credential = forms.CharField(widget=forms.HiddenInput, max_length=20000)


class PasskeyRenameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_('So you can tell your passkeys apart, such as "Work laptop" or "Blue key".'),
    )


class PasskeyAddForm(PasskeyRenameForm, PasskeyAnswerForm):
    field_order = ["name", "credential"]
