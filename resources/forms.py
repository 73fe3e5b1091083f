from django import forms
from django.utils.translation import gettext_lazy as _

from resources.models import Resource


class ResourceForm(forms.ModelForm):
    local_part = forms.CharField(
        label=_("Email address"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    domain = forms.ChoiceField(label=_("Domain"))

    class Meta:
        model = Resource
        fields = ["kind", "name", "capacity", "location", "booking_policy"]
        widgets = {"kind": forms.RadioSelect, "booking_policy": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"kind": {"required": _("Choose whether it is a room or equipment.")}}

    def __init__(self, *args, domains, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons without Django's blank choice: none checked is none chosen.
        self.fields["kind"].choices = Resource.Kind.choices
        self.fields["domain"].choices = domains
        if self.instance.pk:
            local, _sep, domain = self.instance.email.rpartition("@")
            self.initial.update(local_part=local, domain=domain)
        self.order_fields(["kind", "name", "local_part", "domain"])

    def _post_clean(self):
        pass
