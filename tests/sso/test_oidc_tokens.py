"""Every ID token the portal must refuse, made here with a key the test controls.

The provider's token endpoint and published keys are replaced by this module's;
everything else (the stored state, nonce and PKCE verifier, Authlib's validation
of the token) is the portal's real path from the sign-in page to the callback.
"""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.django_client import DjangoOAuth2App
from django.core.cache import cache
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from accounts.models import AuditEvent
from sso import oidc, urls_for
from sso.models import FederatedDomain, IdentityProvider
from tests.factories import make_tenant, make_user
from tests.helpers import left_for

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.tokens.example"
KEY = RSAKey.generate_key(2048, parameters={"kid": "good"}, private=True)
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "good"}, private=True)


@pytest.fixture(autouse=True)
def _provider_side(settings, monkeypatch):
    settings.PORTAL_BASE_URL = "http://testserver"
    cache.set(
        f"sso:oidc:metadata:{ISSUER}",
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        },
        600,
    )
    monkeypatch.setattr(
        DjangoOAuth2App,
        "fetch_jwk_set",
        lambda self, force=False: KeySet([KEY]).as_dict(private=False),
    )


@pytest.fixture
def person():
    tenant = make_tenant()
    user = make_user(tenant)
    provider = IdentityProvider.objects.create(
        tenant=tenant,
        name="Tokens",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer=ISSUER,
        client_id="portal-client",
        client_secret_sealed=oidc.seal_client_secret("s3cret"),
        is_enabled=True,
    )
    FederatedDomain.objects.create(provider=provider, domain=tenant.domain_set.get())
    return user


def _begin(client, user):
    response = client.post(reverse("accounts:signin"), {"username": user.username})
    query = parse_qs(urlsplit(left_for(response)).query)
    state = query["state"][0]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [
        urls_for.oidc_redirect_uri(user.tenant.identityprovider_set.get())
    ]
    return state, query["nonce"][0]


def _claims(user, expected_nonce, **changes):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "subject-1",
        "aud": "portal-client",
        "iat": now,
        "exp": now + 300,
        "nonce": expected_nonce,
        "email": user.username,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _answer(client, monkeypatch, user, state, claims, *, key=KEY, header=None):
    token = jwt.encode(header or {"alg": "RS256", "kid": "good"}, claims, key)
    monkeypatch.setattr(
        DjangoOAuth2App,
        "fetch_access_token",
        lambda self, **kwargs: {"access_token": "at", "token_type": "Bearer", "id_token": token},
    )
    provider = user.tenant.identityprovider_set.get()
    return client.get(
        reverse("sso:oidc_callback", args=[provider.public_id]), {"code": "c", "state": state}
    )


def test_a_valid_token_signs_in(client, monkeypatch, person):
    state, nonce = _begin(client, person)
    response = _answer(client, monkeypatch, person, state, _claims(person, nonce))
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.pk


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"nonce": "not-the-nonce"},
        {"nonce": None},
        {"sub": None},
    ],
    ids=["wrong-audience", "wrong-issuer", "expired", "nonce-mismatch", "no-nonce", "no-subject"],
)
def test_a_flawed_token_signs_nobody_in(client, monkeypatch, person, changes):
    state, nonce = _begin(client, person)
    response = _answer(client, monkeypatch, person, state, _claims(person, nonce, **changes))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="sso.refused")
    assert event.new_values["reason"] == "invalid_id_token"


def test_a_token_signed_by_another_key_signs_nobody_in(client, monkeypatch, person):
    state, nonce = _begin(client, person)
    response = _answer(client, monkeypatch, person, state, _claims(person, nonce), key=OTHER_KEY)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_unsigned_token_signs_nobody_in(client, monkeypatch, person):
    state, nonce = _begin(client, person)
    unsigned = jwt.encode(
        {"alg": "none"},
        _claims(person, nonce),
        None,
        algorithms=["none"],
    )
    monkeypatch.setattr(
        DjangoOAuth2App,
        "fetch_access_token",
        lambda self, **kwargs: {"access_token": "at", "token_type": "Bearer", "id_token": unsigned},
    )
    provider = person.tenant.identityprovider_set.get()
    response = client.get(
        reverse("sso:oidc_callback", args=[provider.public_id]), {"code": "c", "state": state}
    )
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_answer_without_an_id_token_signs_nobody_in(client, monkeypatch, person):
    state, _nonce = _begin(client, person)
    monkeypatch.setattr(
        DjangoOAuth2App,
        "fetch_access_token",
        lambda self, **kwargs: {"access_token": "at", "token_type": "Bearer"},
    )
    provider = person.tenant.identityprovider_set.get()
    response = client.get(
        reverse("sso:oidc_callback", args=[provider.public_id]), {"code": "c", "state": state}
    )
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_error_answer_signs_nobody_in(client, person):
    state, _nonce = _begin(client, person)
    provider = person.tenant.identityprovider_set.get()
    response = client.get(
        reverse("sso:oidc_callback", args=[provider.public_id]),
        {"error": "access_denied", "state": state},
    )
    assert response.status_code == 400
    assert AuditEvent.objects.get(action="sso.refused").new_values["reason"] == "access_denied"


class _Answer:
    def __init__(self, document):
        self.document = document

    def raise_for_status(self):
        return None

    def json(self):
        return self.document


def test_a_discovery_document_naming_another_issuer_is_refused(monkeypatch):
    document = {
        "issuer": "https://evil.example",
        "authorization_endpoint": "https://evil.example/a",
        "token_endpoint": "https://evil.example/t",
        "jwks_uri": "https://evil.example/k",
    }
    monkeypatch.setattr(oidc.requests, "get", lambda url, timeout: _Answer(document))
    with pytest.raises(oidc.OidcError) as refused:
        oidc.fetch_metadata("https://idp.other.example", fresh=True)
    assert refused.value.code == "wrong_issuer"


def test_an_unreachable_provider_is_refused():
    with pytest.raises(oidc.OidcError) as refused:
        oidc.fetch_metadata("http://127.0.0.1:9/unreachable", fresh=True)
    assert refused.value.code == "discovery_failed"


@pytest.mark.parametrize(
    ("claims", "mfa"),
    [
        ({"amr": ["pwd"]}, False),
        ({"amr": ["pwd", "mfa"]}, True),
        ({"amr": "otp"}, True),
        ({"acr": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"}, True),
        ({"acr": "urn:mace:incommon:iap:bronze"}, False),
        ({}, False),
    ],
)
def test_what_counts_as_the_providers_second_factor(claims, mfa):
    assert oidc.used_mfa(claims) is mfa
