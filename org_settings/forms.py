import functools

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from core import l10n
from core.form_renderer import KeptChoices
from core.people_picker import PeoplePicker
from org_settings import selectors, services

PASSWORD_EXPIRY_MIN_DAYS = 14
PASSWORD_EXPIRY_MAX_DAYS = 730


class SecuritySettingsForm(forms.Form):
    """The organization's sign-in and recovery policy.

    The form checks the shape of the answers; the service applies them.
    """

    NEVER = "never"
    AFTER = "after"

    require_mfa_for_admins = forms.BooleanField(
        label=_("Require a second verification step for admins"),
        required=False,
        help_text=_(
            "Admins must register a mobile phone or an authenticator app, and verify with "
            "it at every sign-in, before they can open the admin center."
        ),
    )
    require_phishing_resistant_for_admins = forms.BooleanField(
        label=_("Require a phishing-resistant method for admins"),
        required=False,
        help_text=_(
            "Admins open the admin center only after verifying with a passkey or security "
            "key. An admin without one is taken through adding one after their next "
            "sign-in. Codes by text message or app still work for password reset."
        ),
    )
    reset_gates_for_users = forms.TypedChoiceField(
        label=_("Verification steps when users reset their own password"),
        choices=[
            (1, _("One: a code to one verified method")),
            (2, _("Two: codes to two different verified methods")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_(
            "For people without an admin role. Admins always need two steps, whatever "
            "is chosen here."
        ),
    )
    password_expiry = forms.ChoiceField(
        label=_("Password expiry"),
        choices=[
            (NEVER, _("Passwords never expire (recommended)")),
            (AFTER, _("Passwords expire after a number of days")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "Forced regular changes lead to weaker, predictable passwords. Current "
            "guidance is to change a password only when there is a reason to."
        ),
    )
    password_expiry_days = forms.IntegerField(
        label=_("Days before a password expires"),
        required=False,
        min_value=PASSWORD_EXPIRY_MIN_DAYS,
        max_value=PASSWORD_EXPIRY_MAX_DAYS,
        help_text=_(
            "From %(min)d to %(max)d. When a password is older, its owner must choose a "
            "new one at the next sign-in."
        )
        % {"min": PASSWORD_EXPIRY_MIN_DAYS, "max": PASSWORD_EXPIRY_MAX_DAYS},
    )

    session_idle_minutes = forms.IntegerField(
        label=_("Sign out after this many minutes without activity"),
        required=False,
        min_value=5,
        max_value=24 * 60,
        help_text=_("From 5 to 1440. Empty: the platform's default."),
    )
    session_max_hours = forms.IntegerField(
        label=_("Sign in again after this many hours at the latest"),
        required=False,
        min_value=1,
        max_value=24 * 30,
        help_text=_("From 1 to 720. Empty: the platform's default."),
    )

    @classmethod
    def initial_for(cls, tenant):
        """Return the form's initial data from ``tenant``'s current policy."""
        days = tenant.password_expiry_days
        return {
            "require_mfa_for_admins": tenant.require_mfa_for_admins,
            "require_phishing_resistant_for_admins": tenant.require_phishing_resistant_for_admins,
            "reset_gates_for_users": tenant.reset_gates_for_users,
            "password_expiry": cls.AFTER if days else cls.NEVER,
            "password_expiry_days": days,
            "session_idle_minutes": tenant.session_idle_minutes,
            "session_max_hours": tenant.session_max_hours,
        }

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("password_expiry") == self.AFTER:
            if cleaned_data.get("password_expiry_days") is None and not self.has_error(
                "password_expiry_days"
            ):
                self.add_error(
                    "password_expiry_days",
                    forms.ValidationError(
                        _("Enter the number of days, from %(min)d to %(max)d."),
                        code="required",
                        params={"min": PASSWORD_EXPIRY_MIN_DAYS, "max": PASSWORD_EXPIRY_MAX_DAYS},
                    ),
                )
        else:
            # The days only count when passwords expire; a stale number is not an error.
            cleaned_data["password_expiry_days"] = None
            self.errors.pop("password_expiry_days", None)
        return cleaned_data


class OrgProfileForm(forms.ModelForm):
    """The organization's profile; the service checks and saves it."""

    # A select of the zones this machine knows, grouped by region, each with its
    # offset today; the model's validator checks the name again in the service.
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Times in the admin center are shown in this zone, with its name."),
    )

    class Meta:
        model = Tenant
        fields = list(services.PROFILE_FIELDS)  # what the service changes, no more
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }
        help_texts = {
            "technical_contact_email": _("Receives service health messages."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The zone chosen so far stays choosable, even when it is an alias the
        # list does not offer (a platform TIME_ZONE such as "Etc/UTC").
        self.fields["time_zone"].choices = _time_zone_choices(self.instance.time_zone)

    def _post_clean(self):
        pass


def _time_zone_choices(chosen):
    """Return the zones to offer when ``chosen`` is the organization's, as ``KeptChoices``.

    The offsets change only at a zone's clock change, so the choices are made once
    an hour, and every organization whose zone is on the list shares them (and
    their markup); an alias the list does not offer gets a list of its own.
    """
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    choices, offered = _hourly_time_zone_choices(hour, "")
    if chosen in offered:
        return choices
    return _hourly_time_zone_choices(hour, chosen)[0]


@functools.lru_cache(maxsize=16)
def _hourly_time_zone_choices(hour, keep):
    choices = l10n.time_zone_choices(now=hour, keep={keep} if keep else ())
    offered = set()
    for value, label in choices:  # a zone, or a region and its zones
        offered.update([value] if isinstance(label, str) else (zone for zone, _label in label))
    return KeptChoices(choices), frozenset(offered)


class ReleaseForm(forms.Form):
    release_track = forms.ChoiceField(
        label=_("Who gets new features first"),
        choices=[
            ("standard", _("Standard release for everyone")),
            ("early_all", _("Early release for everyone")),
            ("early_selected", _("Early release for selected users")),
        ],
        widget=forms.RadioSelect,
        help_text=_("Early release brings new features some weeks before everyone else."),
    )
    add = forms.ModelMultipleChoiceField(
        label=_("Add users"),
        queryset=None,
        required=False,
        widget=PeoplePicker(source="early_release", search_url="users:people_search"),
    )
    remove = forms.ModelMultipleChoiceField(queryset=None, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        users = selectors.release_users_reachable(actor)
        self.fields["add"].queryset = users
        self.fields["remove"].queryset = users

    def names_someone_unreachable(self):
        """Return whether an id in the form names no active user of the organization."""
        return "add" in self.errors or "remove" in self.errors


class DomainAddForm(forms.Form):
    name = forms.CharField(
        label=_("Domain name"),
        max_length=253,
        help_text=_("Such as contoso.com. You prove it is yours with a DNS record next."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
