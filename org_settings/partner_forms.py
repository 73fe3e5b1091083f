"""Forms of Settings > Partner relationships: they check shape; the services check rules."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.partners import DEFAULT_DAYS, MAX_DAYS, grantable_roles, partner_admins
from accounts.roles import ROLES


def _role_choices(codes):
    """Return (code, name) of the roles ``codes``, in the role table's order."""
    chosen = set(codes)
    return [(code, role.name) for code, role in ROLES.items() if code in chosen]


class PartnerRequestForm(forms.Form):
    """A partner's request for access: the customer's domain, the roles and the duration."""

    domain = forms.CharField(
        label=_("Customer's domain"),
        max_length=253,
        error_messages={"required": _("Enter one of the customer's domains.")},
        help_text=_("A domain the customer has verified, such as contoso.com."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one role."),
            "invalid_choice": _(
                "Choose roles from the list. A partner never acts as a Global admin."
            ),
        },
        help_text=_("Ask for the least your admins need. The customer approves exactly these."),
    )
    days = forms.IntegerField(
        label=_("Duration in days"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        error_messages={
            "required": _("Enter a number of days."),
            "invalid": _("Enter a whole number of days."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _role_choices(grantable_roles())
        days = self.fields["days"]
        # Formatted here, in the reader's language; the service says the same.
        out_of_range = gettext("Choose between 1 and %(max)d days.") % {"max": MAX_DAYS}
        days.error_messages.update(min_value=out_of_range, max_value=out_of_range)
        days.help_text = gettext("Counted from the customer's approval; at most %(max)d days.") % {
            "max": MAX_DAYS
        }
        self.fields["domain"].widget.attrs.update(autocomplete="off", spellcheck="false")


class PartnerAccessForm(forms.Form):
    """Which of the partner's admins acts in the customer's admin center, with which roles.

    ``user`` offers only the partner's own admins (another organization's id is
    refused like a missing one); ``roles`` only the roles the customer granted.
    No roles: the admin no longer acts for the customer.
    """

    user = forms.ModelChoiceField(
        label=_("Admin"),
        queryset=None,
        empty_label=_("Choose an admin"),
        error_messages={"required": _("Choose an admin.")},
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose roles the customer granted.")},
        help_text=_("Clear every role to stop this admin acting for the customer."),
    )

    def __init__(self, *args, tenant, relationship, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        user.queryset = partner_admins(tenant)
        user.label_from_instance = lambda person: (
            f"{person.display_name} ({person.username})" if person.display_name else person.username
        )
        self.fields["roles"].choices = _role_choices(relationship.roles)
