"""Settings > Single sign-on: the forms of an identity provider."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Domain

METADATA_MAX_BYTES = 1_000_000


class _ProviderForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("How admins and the sign-in page name it, for example Contoso Entra ID."),
    )
    domains = forms.ModelMultipleChoiceField(
        label=_("Domains"),
        queryset=Domain.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "People whose sign-in name is in these verified domains sign in at this provider "
            "once it is switched on."
        ),
    )
    trust_mfa = forms.BooleanField(
        label=_("Trust the provider's second factor"),
        required=False,
        help_text=_(
            "When the provider says the person used a second factor, the portal asks for no "
            "second step of its own. Otherwise people with a method registered here still "
            "confirm it here."
        ),
    )
    jit_create = forms.BooleanField(
        label=_("Create people on their first sign-in"),
        required=False,
        help_text=_(
            "Someone the provider signs in who has no account here gets one. Otherwise they "
            "are refused until an admin adds them."
        ),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domains"].queryset = Domain.objects.for_tenant(tenant).filter(is_verified=True)


class OidcProviderForm(_ProviderForm):
    issuer = forms.URLField(
        label=_("Issuer or discovery URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "For example https://login.example.com/tenant/v2.0; the portal reads "
            "/.well-known/openid-configuration there."
        ),
    )
    client_id = forms.CharField(label=_("Client id"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Kept encrypted. When changing a provider, leave it empty to keep the secret."),
    )
    scopes = forms.CharField(label=_("Scopes"), max_length=255, initial="openid email profile")
    username_claim = forms.CharField(
        label=_("Claim with the sign-in name"),
        max_length=100,
        initial="email",
        help_text=_("Usually email, upn or preferred_username."),
    )

    field_order = ["name", "issuer", "client_id", "client_secret", "scopes", "username_claim"]


class SamlProviderForm(_ProviderForm):
    metadata_url = forms.URLField(
        label=_("Metadata URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("The identity provider's federation metadata address."),
    )
    metadata_file = forms.FileField(
        label=_("Or upload the metadata"),
        required=False,
        help_text=_("An XML file of at most 1 MB."),
    )
    username_attribute = forms.CharField(
        label=_("Attribute with the sign-in name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the NameID."),
    )

    field_order = ["name", "metadata_url", "metadata_file", "username_attribute"]

    def clean_metadata_file(self):
        upload = self.cleaned_data.get("metadata_file")
        if not upload:
            return ""
        if upload.size > METADATA_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 XML.")) from None

    def service_data(self):
        data = dict(self.cleaned_data)
        data["metadata_xml"] = data.pop("metadata_file", "") or ""
        return data
