"""The forms of the API access pages: they check the answers' shape; the services, the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.roles import ROLE_CHOICES
from api.services import DEFAULT_DAYS, MAX_DAYS, clean_roles

DAYS = (30, 90, 180, DEFAULT_DAYS, MAX_DAYS)
GRACE_CHOICES = [
    (0, _("None: the old secret stops working at once")),
    (1, _("1 hour")),
    (24, _("24 hours")),
    (72, _("72 hours")),
    (168, _("7 days")),
]


class ApiClientAddForm(forms.Form):
    """A new API client: its name, the roles it acts with and how long it lasts."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        error_messages={"required": _("Enter a name.")},
        help_text=_("Say what uses it, such as HR sync or the identity provider."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
        help_text=_("The client may do what these roles allow. Give it the least it needs."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=[(days, days) for days in DAYS],  # named in the reader's language below
        coerce=int,
        initial=DEFAULT_DAYS,
        help_text=_("After that the secret stops working; add a new client before then."),
    )
    confirm_global_admin = forms.BooleanField(
        label=_("Yes, this client may act as a Global admin"),
        required=False,
        help_text=_(
            "Needed only when Global admin is ticked: whoever holds the secret can then "
            "change everything, other admins included."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [
            (days, ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
            for days in DAYS
        ]

    def clean(self):
        # The service's rule, checked here too so every error shows at once; a missing
        # confirmation is shown at its checkbox.
        cleaned = super().clean()
        if "roles" in cleaned:
            try:
                clean_roles(
                    cleaned["roles"],
                    global_admin_confirmed=cleaned.get("confirm_global_admin", False),
                )
            except ValidationError as error:
                at_box = error.code == "confirm_global_admin"
                self.add_error("confirm_global_admin" if at_box else "roles", error)
        return cleaned


class ApiClientRotateForm(forms.Form):
    """A new secret, and how long the old one keeps working."""

    grace_hours = forms.TypedChoiceField(
        label=_("The old secret keeps working for"),
        choices=GRACE_CHOICES,
        coerce=int,
        initial=0,
        help_text=_("Time to put the new secret in the scripts that use the old one."),
    )
