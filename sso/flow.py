"""One sign-in at an identity provider: begun here, finished on the provider's answer.

What the answer must match (the provider, the purpose, the SAML request id, where
to go next, who started a test) waits in the session that began it, so an answer
is only taken by the browser that asked for it.
"""

import secrets
import time

from django.core.cache import cache
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.views import continue_elsewhere
from sso import oidc, saml
from sso.models import IdentityProvider

FLOW = "portal_sso_flow"
# How long a person may take at their identity provider.
FLOW_SECONDS = 15 * 60
SIGNIN = "signin"
TEST = "test"
# Where the session keeps how the person signed in, for signing out at the provider.
SIGNED_IN = "portal_sso"
# A SAML answer waits here between the provider's POST and the browser's GET.
STASH_SECONDS = 5 * 60


class FlowMissing(Exception):
    """No sign-in of this provider was begun in this session, or it took too long."""


def begin(request, provider: IdentityProvider, *, purpose: str, next_url: str = "", login_hint=""):
    """Return the redirect that starts a sign-in (or a test) at ``provider``.

    Raises ``oidc.OidcError`` or ``saml.SamlError`` when the provider cannot be used.
    """
    if next_url and not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    state = {
        "purpose": purpose,
        "next": next_url,
        "at": int(time.time()),
        "user": request.user.pk if purpose == TEST else None,
    }
    if provider.protocol == IdentityProvider.Protocol.OIDC:
        location = oidc.authorize_redirect(request, provider, login_hint=login_hint)["Location"]
    else:
        request_id, location = saml.authn_redirect(provider, relay_state=provider.public_id.hex)
        state["request_id"] = request_id
    flows = request.session.get(FLOW, {})
    flows[provider.public_id.hex] = state
    request.session[FLOW] = flows
    # Begun by a form's POST (the sign-in page, the test button): a redirect to
    # another site would break the pages' form-action policy.
    return continue_elsewhere(
        request,
        location,
        heading=_("Signing in at %(provider)s") % {"provider": provider.name},
    )


def take(request, provider: IdentityProvider) -> dict:
    """Return and forget this session's sign-in at ``provider``; raise FlowMissing."""
    flows = request.session.get(FLOW, {})
    state = flows.pop(provider.public_id.hex, None)
    request.session[FLOW] = flows
    if not state or time.time() - state["at"] > FLOW_SECONDS:
        raise FlowMissing
    return state


def stash_saml_answer(saml_response: str) -> str:
    """Keep a SAML answer for the browser's next request; return its one-use key."""
    key = secrets.token_urlsafe(24)
    cache.set(f"sso:saml:answer:{key}", saml_response, STASH_SECONDS)
    return key


def unstash_saml_answer(key: str) -> str:
    """Return and forget the SAML answer kept under ``key``, or ""."""
    if not key or len(key) > 64:
        return ""
    cache_key = f"sso:saml:answer:{key}"
    answer = cache.get(cache_key) or ""
    cache.delete(cache_key)
    return answer
