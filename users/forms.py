from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class UserPasswordResetForm(forms.Form):
    """An admin's choice for someone else's new password.

    The form checks the shape of the answer; whether the typed password is
    strong enough is checked by ``accounts.services.password_reset_by_admin``.
    """

    GENERATE = "generate"
    TYPE = "type"

    mode = forms.ChoiceField(
        label=_("New password"),
        choices=[(GENERATE, _("Generate a password")), (TYPE, _("Let me type one"))],
        initial=GENERATE,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        # "new-password": the browser must not fill in the admin's own password.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    require_change = forms.BooleanField(
        label=_("Require this user to change the password at next sign-in"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read the validators now, not at import, so settings overrides apply.
        self.fields["password"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned_data = super().clean()
        password = cleaned_data.get("password")
        mode = cleaned_data.get("mode")
        if mode == self.TYPE and not password:
            self.add_error("password", forms.ValidationError(_("Type a password."), "required"))
        elif mode == self.GENERATE and password:
            # Setting another password than the one the admin typed (and then
            # tells the user) would only cause a second call to the helpdesk.
            self.add_error(
                "password",
                forms.ValidationError(
                    _("To set this password, choose “Let me type one”, or clear the field."),
                    "unused",
                ),
            )
        return cleaned_data

    @property
    def new_password(self):
        """Return the typed password, or None to have one generated."""
        if self.cleaned_data["mode"] == self.TYPE:
            return self.cleaned_data["password"]
        return None


class UserRestoreForm(forms.Form):
    """The sign-in name a deleted user comes back with: their old one, or a new one."""

    username = forms.CharField(
        label=_("Sign-in name"),
        max_length=254,
        help_text=_("Their old sign-in name, unless someone has taken it since."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, tenant, **kwargs):
        self.tenant = tenant
        super().__init__(*args, **kwargs)
