"""OpenID Connect with Authlib: authorization code flow with state, nonce and PKCE.

Authlib validates the ID token (signature against the provider's published keys,
issuer, audience, expiry, nonce); nothing here reads a JWT by hand. The provider's
discovery document is fetched once a minute per process at most and checked to
name the issuer the organization configured.
"""

import time

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.core.cache import cache

from core import sealing
from sso import urls_for

SECRET_PURPOSE = "sso.oidc.client_secret"  # noqa: S105 (a sealing purpose)
METADATA_SECONDS = 60
KEYS_SECONDS = 5 * 60
# What an ID token's ``amr`` holds when the person used more than a password
# (RFC 8176), and what ``acr`` values say so.
MFA_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sms", "fpt", "face", "pop", "sc", "tel"})
MFA_ACR = frozenset(
    {
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
        "https://refeds.org/profile/mfa",
        "phr",
        "phrh",
        "urn:okta:loa:2fa:any",
        "urn:okta:loa:2fa:any:ifpossible",
    }
)


class OidcError(Exception):
    """The provider's answer was refused; ``code`` says why, for the audit log."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def normalized_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    suffix = "/.well-known/openid-configuration"
    if issuer.endswith(suffix):
        issuer = issuer[: -len(suffix)]
    return issuer.rstrip("/")


def discovery_url(issuer: str) -> str:
    return f"{normalized_issuer(issuer)}/.well-known/openid-configuration"


def fetch_metadata(issuer: str, *, fresh: bool = False) -> dict:
    """Return the provider's discovery document, or raise OidcError.

    Kept in the shared cache for a minute: every node sees a key rotation soon.
    """
    key = f"sso:oidc:metadata:{normalized_issuer(issuer)}"
    if not fresh and (cached := cache.get(key)):
        return cached
    try:
        response = requests.get(discovery_url(issuer), timeout=settings.PORTAL_SSO_TIMEOUT)
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as error:
        raise OidcError("discovery_failed", str(error)) from None
    if not isinstance(metadata, dict):
        raise OidcError("discovery_failed", "not a JSON object")
    if normalized_issuer(str(metadata.get("issuer", ""))) != normalized_issuer(issuer):
        raise OidcError("wrong_issuer", str(metadata.get("issuer", "")))
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(needed):
            raise OidcError("discovery_failed", f"no {needed}")
    cache.set(key, metadata, METADATA_SECONDS)
    return metadata


def client_secret(provider) -> str:
    """Return the provider's client secret, or raise OidcError when no key reads it."""
    if not provider.client_secret_sealed:
        return ""
    try:
        return sealing.unseal(provider.client_secret_sealed, purpose=SECRET_PURPOSE, max_age=None)
    except sealing.SealBroken:
        # Sealed under a SECRET_KEY that is no longer configured: enter it again.
        raise OidcError("secret_unreadable") from None


def seal_client_secret(secret: str) -> str:
    return sealing.seal(secret, purpose=SECRET_PURPOSE)


def _app(provider, metadata=None) -> DjangoOAuth2App:
    metadata = metadata or fetch_metadata(provider.issuer)
    # One state namespace per provider: a callback for one provider cannot use
    # another's stored state.
    framework = DjangoIntegration(f"sso{provider.public_id.hex}")
    app = DjangoOAuth2App(
        framework,
        name=framework.name,
        client_id=provider.client_id,
        client_secret=client_secret(provider),
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": settings.PORTAL_SSO_TIMEOUT,
        },
        **metadata,
    )
    app.server_metadata["_loaded_at"] = time.time()
    return app


def authorize_redirect(request, provider, *, login_hint: str = ""):
    """Return the redirect to the provider's authorization endpoint.

    Authlib keeps the state, nonce and PKCE verifier in the session.
    """
    extra = {"login_hint": login_hint} if login_hint else {}
    return _app(provider).authorize_redirect(request, urls_for.oidc_redirect_uri(provider), **extra)


def complete(request, provider) -> tuple[dict, str]:
    """Finish the code flow of the callback ``request``; return (ID token claims, raw token).

    Raises OidcError for an error answer, a wrong or missing state, a failed
    code exchange, no ID token, or an ID token that does not validate.
    """
    metadata = fetch_metadata(provider.issuer)
    # The provider's keys, kept in the shared cache like its discovery document; a
    # token signed by a key not among them makes Authlib fetch them afresh.
    keys_key = f"sso:oidc:jwks:{metadata['jwks_uri']}"
    if keys := cache.get(keys_key):
        metadata = {**metadata, "jwks": keys}
    app = _app(provider, metadata)
    try:
        token = app.authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "values": [metadata["issuer"]]},
                "aud": {"essential": True, "values": [provider.client_id]},
                "exp": {"essential": True},
                "sub": {"essential": True},
            },
        )
    except OAuthError as error:
        raise OidcError(getattr(error, "error", "") or "refused", error.description or "") from None
    except requests.RequestException as error:
        raise OidcError("token_failed", str(error)) from None
    except Exception as error:
        raise OidcError("invalid_id_token", f"{type(error).__name__}: {error}") from None
    claims = token.get("userinfo")
    if not claims:
        raise OidcError("no_id_token")
    if app.server_metadata.get("jwks"):
        cache.set(keys_key, app.server_metadata["jwks"], KEYS_SECONDS)
    return dict(claims), token.get("id_token", "")


def used_mfa(claims: dict) -> bool:
    """Return whether the ID token says the person used more than one factor."""
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    if MFA_AMR.intersection(str(value).lower() for value in amr):
        return True
    return str(claims.get("acr") or "") in MFA_ACR


def logout_url(provider, id_token: str) -> str:
    """Return the provider's RP-initiated logout address, or "" when it offers none."""
    try:
        metadata = fetch_metadata(provider.issuer)
    except OidcError:
        return ""
    if not metadata.get("end_session_endpoint"):
        return ""
    try:
        app = _app(provider, metadata)
    except OidcError:
        return ""
    result = app.create_logout_url(
        post_logout_redirect_uri=urls_for.after_signout_url(),
        id_token_hint=id_token or None,
    )
    return result["url"]
