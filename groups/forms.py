from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import addresses
from accounts.selectors import users_reachable
from core.people_picker import PeoplePicker
from groups import selectors, services
from groups.models import (
    KIND_DESCRIPTIONS,
    KINDS_WITH_EMAIL,
    KINDS_WITH_EXTERNAL_SENDERS,
    KINDS_WITH_OWNERS_REQUIRED,
    KINDS_WITH_PRIVACY,
    RULE_FIELDS,
    RULE_OPERATORS,
    Kind,
    Privacy,
)


class KindForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices, widget=forms.RadioSelect)


class BasicsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(forms.Form):
    """Address, privacy and external senders: only the fields the kind has are shown.

    ``cleaned_data["email"]`` is the whole address (empty for a kind without one).
    With ``address_must_be_free`` an address in use is refused here already, as
    the add-group wizard asks before its last step.
    """

    local_part = forms.CharField(
        label=_("Email address"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    domain = forms.ChoiceField(label=_("Domain"), required=False)
    privacy = forms.ChoiceField(
        label=_("Privacy"), choices=Privacy.choices, required=False, widget=forms.RadioSelect
    )
    allow_external_senders = forms.BooleanField(
        label=_("People outside the organization may send to it"), required=False
    )

    def __init__(self, *args, kind, tenant, domains, address_must_be_free=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.address_must_be_free = address_must_be_free
        self.fields["domain"].choices = domains
        if kind not in KINDS_WITH_EMAIL:
            del self.fields["local_part"], self.fields["domain"]
        else:
            self.fields["local_part"].required = True
            self.fields["domain"].required = True
        if kind not in KINDS_WITH_PRIVACY:
            del self.fields["privacy"]
        else:
            self.fields["privacy"].required = True
        if kind not in KINDS_WITH_EXTERNAL_SENDERS:
            del self.fields["allow_external_senders"]

    def clean(self):
        data = super().clean()
        data.setdefault("privacy", "")
        data.setdefault("allow_external_senders", False)
        data["email"] = ""
        if "local_part" not in self.fields or not data.get("local_part") or not data.get("domain"):
            return data
        try:
            email = services.group_address(
                tenant=self.tenant, local_part=data["local_part"], domain=data["domain"]
            )
        except ValidationError as error:
            self.add_error("local_part", error.messages[0])
            return data
        if self.address_must_be_free and addresses.in_use(email):
            self.add_error(
                "local_part", _("%(email)s is in use by a user or a group.") % {"email": email}
            )
        data["email"] = email
        return data


class OwnersForm(forms.Form):
    """The add-group wizard's owners, chosen with the people picker."""

    owners = forms.ModelMultipleChoiceField(
        label=_("Owners"),
        queryset=None,
        required=False,
        widget=PeoplePicker(source="group_owners", search_url="users:people_search"),
    )

    def __init__(self, *args, actor, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["owners"].queryset = users_reachable(actor)

    def clean(self):
        data = super().clean()
        if self.kind in KINDS_WITH_OWNERS_REQUIRED and not data.get("owners"):
            raise ValidationError(_("A team group needs at least one owner."), code="no_owner")
        return data


class ConfirmForm(forms.Form):
    """Nothing to fill in: the URL names what changes, a button confirms it."""


class ReviewForm(ConfirmForm):
    """The wizard's last step: nothing to fill in, a button to create the group."""


class PeopleForm(forms.Form):
    """People chosen with the picker or ticked in a list: the organization's active users."""

    users = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=None,
        widget=PeoplePicker(source="group_people", search_url="users:people_search"),
        error_messages={"required": _("Select at least one person first.")},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = users_reachable(actor)


class GroupsForm(forms.Form):
    """Groups picked from the list: active groups of the actor's organization."""

    ids = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={"required": _("Select at least one group first.")},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = selectors.groups_reachable(actor).order_by("name", "id")


class RuleForm(forms.Form):
    """A membership rule: a user property, a comparison and a value."""

    field = forms.ChoiceField(label=_("Property"), choices=list(RULE_FIELDS.items()))
    op = forms.ChoiceField(label=_("Comparison"), choices=list(RULE_OPERATORS.items()))
    value = forms.CharField(label=_("Value"), max_length=150)


class RestoreForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), required=False, max_length=254)


def kind_help():
    return [(value, label, KIND_DESCRIPTIONS[value]) for value, label in Kind.choices]
