"""The addresses of the portal that an identity provider is given: stable per provider."""

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


def oidc_redirect_uri(provider) -> str:
    return absolute(reverse("sso:oidc_callback", args=[provider.public_id]))


def saml_metadata_url(provider) -> str:
    """The service provider's metadata, which is also its entity id."""
    return absolute(reverse("sso:saml_metadata", args=[provider.public_id]))


def saml_acs_url(provider) -> str:
    return absolute(reverse("sso:saml_acs", args=[provider.public_id]))


def saml_sls_url(provider) -> str:
    return absolute(reverse("sso:saml_sls", args=[provider.public_id]))


def after_signout_url() -> str:
    return absolute(reverse("accounts:signin"))
