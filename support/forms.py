from django import forms
from django.utils.translation import gettext_lazy as _

from support.models import ServiceRequest


class RequestForm(forms.ModelForm):
    class Meta:
        model = ServiceRequest
        fields = ["title", "description", "severity", "contact_phone", "contact_email"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "severity": forms.RadioSelect,
            "contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }
        help_texts = {
            "contact_phone": _(
                "From your security info; change it if support should call another number."
            ),
        }
        error_messages = {"severity": {"required": _("Choose how severe the problem is.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons without Django's blank choice: none checked is none chosen.
        self.fields["severity"].choices = ServiceRequest.Severity.choices

    def _post_clean(self):
        pass


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
