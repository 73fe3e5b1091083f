from django import forms
from django.utils.translation import gettext_lazy as _

from groups.models import KIND_DESCRIPTIONS, Kind, Privacy


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
    """Address, privacy and external senders: only the fields the kind has are shown."""

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

    def __init__(self, *args, kind, domains, **kwargs):
        super().__init__(*args, **kwargs)
        from groups.models import KINDS_WITH_EMAIL, KINDS_WITH_EXTERNAL_SENDERS, KINDS_WITH_PRIVACY

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


def kind_help():
    return [(value, label, KIND_DESCRIPTIONS[value]) for value, label in Kind.choices]
