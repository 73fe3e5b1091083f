import re

from django import forms
from django.contrib.auth import password_validation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.roles import ROLE_CHOICES
from accounts.selectors import domain_choices, users_reachable
from billing import selectors as billing_selectors
from core.form_renderer import KeptChoices
from core.people_picker import PeoplePicker
from groups import selectors as group_selectors
from security_info.services import ADMIN_REMOVABLE, TEMPORARY_PASS_HOURS
from users.csv_import import CONTACT_KEYS, EXTRA_MAX_LENGTH

# --- Actions on one user's page: each form parses the one thing its action needs. ---

METHOD_LABELS = {
    "phone": _("Mobile phone"),
    "email": _("Alternate email"),
    "apps": _("Authenticator apps"),
    "passkeys": _("Passkeys and security keys"),
    "backup_codes": _("Backup codes"),
}


class UserMethodRemoveForm(forms.Form):
    """Which of a user's authentication methods an admin removes."""

    method = forms.ChoiceField(
        label=_("Method"),
        choices=[(key, METHOD_LABELS[key]) for key in ADMIN_REMOVABLE],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what to remove."),
            "invalid_choice": _("Choose what to remove."),
        },
    )


def _hours_label(hours: int) -> str:
    return ngettext("%(hours)s hour", "%(hours)s hours", hours) % {"hours": hours}


class TemporaryPassForm(forms.Form):
    """How long a temporary access pass is valid."""

    hours = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=KeptChoices(
            [(hours, lazy(_hours_label, str)(hours)) for hours in TEMPORARY_PASS_HOURS]
        ),
        initial=1,
        error_messages={
            "required": _("A pass is valid for 1 to 8 hours."),
            "invalid_choice": _("A pass is valid for 1 to 8 hours."),
        },
    )


class UserLicensesForm(forms.Form):
    """The products whose licenses a user holds: exactly the ones checked."""

    subscriptions = forms.ModelMultipleChoiceField(
        label=_("Licenses"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriptions"].queryset = billing_selectors.live_subscriptions(tenant=tenant)


class GroupSearchForm(forms.Form):
    """The search on a user's groups page, for groups to add them to."""

    q = forms.CharField(label=_("Find groups"), required=False, max_length=100)


class UserGroupsForm(forms.Form):
    """Groups of the organization to add a user to, or take them out of, as member or owner."""

    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one group.")},
    )
    role = forms.ChoiceField(
        label=_("As"),
        choices=[("member", _("Member")), ("owner", _("Owner"))],
        required=False,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = group_selectors.groups_reachable(actor)

    def clean_role(self):
        return self.cleaned_data["role"] or "member"


class UserRolesForm(forms.Form):
    """Exactly the roles a user holds after the change."""

    roles = forms.MultipleChoiceField(
        label=_("Admin roles"),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class RoleAssignForm(forms.Form):
    """Give a role to one person of the organization, chosen with the people picker."""

    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=None,
        widget=PeoplePicker(source="roles", search_url="users:people_search"),
        error_messages={"required": _("Choose a person first.")},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_reachable(actor)


class RoleRemoveForm(forms.Form):
    """Take a role away from one of the organization's users."""

    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    user = forms.ModelChoiceField(label=_("User"), queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_reachable(actor)


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


class UserProfileForm(forms.ModelForm):
    """A user's profile as an admin edits it; the service checks and saves it."""

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "display_name",
            "job_title",
            "department",
            "office",
            "business_phone",
            "usage_location",
            "preferred_language",
        ]
        widgets = {"business_phone": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True

    def _post_clean(self):
        # The model is checked (and saved) by users.services.user_update, with the
        # permission rules; only the shape of the answers is checked here.
        pass


class UserContactForm(forms.Form):
    """A user's contact information as an admin edits it; the service checks and saves it.

    The same values as the CSV import's columns of the same names, checked the
    same way (``users.csv_import.clean_contact``): not verified, unlike the
    mobile phone and email of security info.
    """

    mobile_phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("A number in your organization's country, or + and the country code."),
    )
    alternate_email = forms.CharField(
        label=_("Alternate email address"),
        required=False,
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("A personal address, outside your organization."),
    )
    fax = forms.CharField(
        label=_("Fax"),
        required=False,
        max_length=EXTRA_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Street address"),
        required=False,
        max_length=EXTRA_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    city = forms.CharField(label=_("City"), required=False, max_length=EXTRA_MAX_LENGTH)
    state_or_province = forms.CharField(
        label=_("State or province"), required=False, max_length=EXTRA_MAX_LENGTH
    )
    postal_code = forms.CharField(
        label=_("ZIP or postal code"), required=False, max_length=EXTRA_MAX_LENGTH
    )

    @staticmethod
    def initial_for(user):
        details = user.contact_details or {}
        return {key: details.get(key, "") for key in CONTACT_KEYS}


class SignInNameForm(forms.Form):
    """A sign-in name as a local part and one of the organization's verified domains."""

    local_part = forms.CharField(
        label=_("Username"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    domain = forms.ChoiceField(label=_("Domain"))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = domain_choices(tenant)

    def clean_local_part(self):
        local = self.cleaned_data["local_part"].strip().lower()
        if (
            not re.fullmatch(r"[\w.+'-]+", local)
            or local.startswith(".")
            or local.endswith(".")
            or ".." in local
        ):
            raise forms.ValidationError(
                _("Use letters, digits and . - _ without spaces or @."), code="invalid"
            )
        return local

    @property
    def username(self):
        return f"{self.cleaned_data['local_part']}@{self.cleaned_data['domain']}"

    @classmethod
    def initial_for(cls, username):
        local, _sep, domain = username.rpartition("@")
        return {"local_part": local, "domain": domain}


class UserAddBasicsForm(SignInNameForm, UserPasswordResetForm):
    """Add user, step 1: names, sign-in name and the first password."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=256,
        required=False,
        help_text=_("Left empty: the first and last name."),
    )

    field_order = [
        "first_name",
        "last_name",
        "display_name",
        "local_part",
        "domain",
        "mode",
        "password",
        "require_change",
    ]

    def __init__(self, *args, username_available, **kwargs):
        """Take ``username_available(username)``, which says whether a sign-in name is free."""
        super().__init__(*args, **kwargs)
        self.username_available = username_available
        self.fields["mode"].label = _("Password")
        self.fields["password"].label = _("Type the password")

    def clean(self):
        cleaned_data = super().clean()
        if (
            "local_part" in cleaned_data
            and "domain" in cleaned_data
            and not self.username_available(self.username)
        ):
            self.add_error(
                "local_part",
                forms.ValidationError(
                    _("%(username)s is taken. Choose another sign-in name."),
                    code="name_taken",
                    params={"username": self.username},
                ),
            )
        if not cleaned_data.get("display_name"):
            name = f"{cleaned_data.get('first_name', '')} {cleaned_data.get('last_name', '')}"
            if not name.strip():
                self.add_error(
                    "display_name",
                    forms.ValidationError(
                        _("Enter a display name, or a first or last name."), code="required"
                    ),
                )
            cleaned_data["display_name"] = name.strip()
        password = cleaned_data.get("password")
        if cleaned_data.get("mode") == self.TYPE and password and not self.has_error("password"):
            # Checked now, against the names typed above, so that the review step
            # never holds a password that will be refused.
            candidate = User(
                username=self.username if "local_part" in cleaned_data else "",
                first_name=cleaned_data.get("first_name", ""),
                last_name=cleaned_data.get("last_name", ""),
                display_name=cleaned_data.get("display_name", ""),
            )
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned_data

    @property
    def username(self):
        if "domain" not in self.cleaned_data:
            return f"{self.cleaned_data['local_part']}@"
        return super().username


class UserAddDetailsForm(forms.Form):
    """Add user, step 2: admin roles (only those the admin may give) and profile info."""

    roles = forms.MultipleChoiceField(
        label=_("Admin roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for someone who needs no admin center."),
    )

    licenses = forms.MultipleChoiceField(
        label=_("Licenses"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The products this person may use."),
    )

    def __init__(self, *args, assignable_roles, subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(role.code, role.name) for role in assignable_roles]
        self.fields["licenses"].choices = [
            (
                str(subscription.pk),
                _("%(product)s (%(free)d free)")
                % {"product": subscription.product.name, "free": subscription.available},
            )
            for subscription in subscriptions
        ]
        if not subscriptions:
            del self.fields["licenses"]
        self.fields.update(
            forms.fields_for_model(
                User,
                fields=["job_title", "department", "office", "business_phone", "usage_location"],
                widgets={"business_phone": forms.TextInput(attrs={"type": "tel"})},
            )
        )


class UserImportForm(forms.Form):
    """Bulk add: the CSV file to check."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Saved from Excel as CSV (comma or semicolon), UTF-8 or Windows encoding. "
            "User Name and Display Name are required."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


# The Active users list's bulk actions: the shared selection form and what each adds.
from core.views.bulk import BulkActionForm  # noqa: E402 - kept with the forms that use it


class UserBulkPasswordResetForm(BulkActionForm):
    """Reset the selected users' passwords: whether they must change them at next sign-in."""

    require_change = forms.BooleanField(required=False)


class UserBulkLicenseForm(BulkActionForm):
    """Assign or take away a license: the product, one of the organization's live subscriptions."""

    subscription = forms.ModelChoiceField(
        queryset=None,
        error_messages={
            "required": _("Choose a product first."),
            "invalid_choice": _("Choose a product first."),
        },
    )

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions


class UserExportStartForm(forms.Form):
    """Start a background export of what the list's query string ``query`` selects."""

    query = forms.CharField(required=False, widget=forms.HiddenInput)
