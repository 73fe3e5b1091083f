from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Sign-in name"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}
        ),
        help_text=_("For example anna@contoso.example."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PortalPasswordChangeForm(PasswordChangeForm):
    """Django's password change form; the save goes through the service."""

    def save(self, commit=True):
        raise NotImplementedError("Use accounts.services.password_change().")
