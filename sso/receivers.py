"""How the sign-in pages (accounts) reach single sign-on without importing it."""

from django.dispatch import receiver
from django.shortcuts import render

from accounts import signin
from sso import flow, oidc, saml, selectors, services
from sso.models import IdentityProvider

# Set by the break-glass sign-in page to the account whose password it accepted.
BREAK_GLASS = "portal_break_glass"


@receiver(signin.realm_discovery, dispatch_uid="sso.realm_discovery")
def send_to_identity_provider(sender, request, username, next_url="", **kwargs):
    """Send a name of a federated domain to its organization's identity provider."""
    request.session.pop(BREAK_GLASS, None)
    provider = selectors.provider_for_username(username)
    if provider is None:
        return None
    try:
        return flow.begin(
            request, provider, purpose=flow.SIGNIN, next_url=next_url, login_hint=username
        )
    except (oidc.OidcError, saml.SamlError):
        return render(request, "sso/unreachable.html", {"provider": provider}, status=502)


@receiver(signin.signing_out, dispatch_uid="sso.signing_out")
def sign_out_at_identity_provider(sender, request, **kwargs):
    """Return the provider's sign-out address for a session its provider signed in."""
    signed_in = request.session.get(flow.SIGNED_IN)
    if not signed_in:
        return ""
    provider = IdentityProvider.objects.filter(pk=signed_in.get("provider")).first()
    if provider is None:
        return ""
    if provider.protocol == IdentityProvider.Protocol.OIDC:
        return oidc.logout_url(provider, signed_in.get("id_token", ""))
    try:
        return saml.logout_redirect(
            provider,
            signed_in.get("name_id", ""),
            signed_in.get("name_id_format", ""),
            signed_in.get("session_index", ""),
        )
    except saml.SamlError:
        return ""


@receiver(signin.signin_attempt, dispatch_uid="sso.break_glass")
def audit_break_glass(sender, request, user, reason, **kwargs):
    """Audit and tell a break-glass sign-in once it has succeeded."""
    if reason or user is None or not hasattr(request, "session"):
        return
    if request.session.pop(BREAK_GLASS, None) == user.pk:
        services.break_glass_signed_in(request, user)
