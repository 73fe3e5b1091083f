"""Signing in through an organization's SAML 2.0 identity provider, and every refusal.

Answers come from pysaml2's IdP server (tests/sso/idp/saml_idp.py), made in this
process for the portal's real metadata, so each refusal is a real, validly formed
SAML message with one thing wrong.
"""

import datetime
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Domain
from sso import flow, saml, urls_for
from sso.models import FederatedDomain, IdentityProvider
from tests.factories import make_tenant, make_user
from tests.helpers import left_for
from tests.sso.idp.saml_idp import MFA_CLASS, SamlIdP

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sso_settings(settings):
    settings.PORTAL_SSO_ALLOW_HTTP = True
    settings.PORTAL_BASE_URL = "http://testserver"


@pytest.fixture(scope="module")
def idp():
    provider = SamlIdP("http://127.0.0.1:9")
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def stranger():
    """Another identity provider, with a key of its own: nobody trusts it."""
    provider = SamlIdP("http://127.0.0.1:10")
    yield provider
    provider.close()


def _provider(idp, tenant, *, trust_mfa=False):
    key, certificate = saml.new_key_pair("test")
    provider = IdentityProvider.objects.create(
        tenant=tenant,
        name=f"SAML {secrets.token_hex(3)}",
        protocol=IdentityProvider.Protocol.SAML,
        metadata_xml=idp.metadata_xml(),
        idp_entity_id=idp.entity_id,
        sp_private_key_sealed=key,
        sp_certificate=certificate,
        trust_mfa=trust_mfa,
        is_enabled=True,
    )
    for domain in Domain.objects.filter(tenant=tenant):
        FederatedDomain.objects.create(provider=provider, domain=domain)
    return provider


def _begin(client, provider, username):
    response = client.post(reverse("accounts:signin"), {"username": username, "password": ""})
    location = left_for(response)
    query = parse_qs(urlsplit(location).query)
    assert {"SAMLRequest", "Signature", "SigAlg"} <= set(query)
    return client.session[flow.FLOW][provider.public_id.hex]["request_id"]


def _answer(client, provider, saml_response):
    posted = client.post(
        reverse("sso:saml_acs", args=[provider.public_id]), {"SAMLResponse": saml_response}
    )
    assert posted.status_code == 302
    finish = urlsplit(posted["Location"])
    assert finish.path == reverse("sso:saml_finish", args=[provider.public_id])
    return client.get(finish.path, parse_qs(finish.query))


def _signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def person():
    tenant = make_tenant()
    return make_user(tenant, first_name="Sam", last_name="Ell")


def _response(idp, provider, request_id, user, **kwargs):
    return idp.response(
        saml.sp_metadata(provider), in_response_to=request_id, name_id=user.username, **kwargs
    )


def test_a_signed_assertion_signs_the_person_in(client, idp, person):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    response = _answer(client, provider, _response(idp, provider, request_id, person))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert int(client.session["_auth_user_id"]) == person.pk


def test_an_encrypted_assertion_is_accepted(client, idp, person):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    answer = _response(idp, provider, request_id, person, encrypt=True)
    assert _answer(client, provider, answer).status_code == 302
    assert _signed_in(client)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sign_assertion": False}, "invalid_response"),
        ({"audience": "https://elsewhere.example/sp"}, "invalid_response"),
        ({"not_on_or_after": -600}, "invalid_response"),
        ({"acs_url": "https://elsewhere.example/acs"}, "invalid_response"),
    ],
    ids=["unsigned", "wrong-audience", "expired", "wrong-recipient"],
)
def test_a_flawed_assertion_signs_nobody_in(client, idp, person, change, reason):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    response = _answer(client, provider, _response(idp, provider, request_id, person, **change))
    assert response.status_code == 400
    assert not _signed_in(client)
    event = AuditEvent.objects.get(action="sso.refused", tenant=person.tenant)
    assert event.new_values["reason"] == reason


def test_an_assertion_of_another_identity_provider_signs_nobody_in(client, idp, stranger, person):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    # Signed by a key the organization never gave, naming the trusted issuer or its own.
    for issuer in (idp.entity_id, None):
        answer = _response(stranger, provider, request_id, person, issuer=issuer)
        assert _answer(client, provider, answer).status_code == 400
        assert not _signed_in(client)
        request_id = _begin(client, provider, person.username)


def test_an_answer_to_another_request_signs_nobody_in(client, idp, person):
    provider = _provider(idp, person.tenant)
    _begin(client, provider, person.username)
    response = _answer(client, provider, _response(idp, provider, "id-forged", person))
    assert response.status_code == 400
    assert not _signed_in(client)


def test_an_unsolicited_answer_signs_nobody_in(client, idp, person):
    provider = _provider(idp, person.tenant)
    response = _answer(client, provider, _response(idp, provider, None, person))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signin")
    assert not _signed_in(client)


def test_a_replayed_assertion_signs_nobody_in(client, idp, person):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    answer = _response(idp, provider, request_id, person)
    assert _answer(client, provider, answer).status_code == 302
    client.logout()
    # The same answer again, even for a session that waits for that very request.
    _begin(client, provider, person.username)
    session = client.session
    session[flow.FLOW][provider.public_id.hex]["request_id"] = request_id
    session.save()
    response = _answer(client, provider, answer)
    assert response.status_code == 400
    assert not _signed_in(client)
    assert AuditEvent.objects.filter(action="sso.refused", new_values__reason="replayed").exists()


def test_an_answer_is_taken_once_from_the_stash(client, idp, person):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    posted = client.post(
        reverse("sso:saml_acs", args=[provider.public_id]),
        {"SAMLResponse": _response(idp, provider, request_id, person)},
    )
    finish = urlsplit(posted["Location"])
    assert client.get(finish.path, parse_qs(finish.query)).status_code == 302
    client.logout()
    again = client.get(finish.path, parse_qs(finish.query))
    assert again["Location"] == reverse("accounts:signin")


def test_a_name_of_another_organization_is_refused(client, idp, person):
    provider = _provider(idp, person.tenant)
    victim = make_user(make_tenant())
    request_id = _begin(client, provider, person.username)
    answer = idp.response(
        saml.sp_metadata(provider), in_response_to=request_id, name_id=victim.username
    )
    response = _answer(client, provider, answer)
    assert response.status_code == 403
    assert not _signed_in(client)


def test_untrusted_mfa_gets_our_second_step_and_trusted_mfa_does_not(client, idp, person):
    person.totpdevice_set.create(name="app", confirmed=True)
    provider = _provider(idp, person.tenant, trust_mfa=False)
    request_id = _begin(client, provider, person.username)
    response = _answer(client, provider, _response(idp, provider, request_id, person, mfa=True))
    assert response["Location"].startswith(reverse("accounts:signin_verify"))
    assert not _signed_in(client)

    provider.trust_mfa = True
    provider.save()
    request_id = _begin(client, provider, person.username)
    response = _answer(client, provider, _response(idp, provider, request_id, person, mfa=False))
    assert response["Location"].startswith(reverse("accounts:signin_verify"))
    request_id = _begin(client, provider, person.username)
    response = _answer(client, provider, _response(idp, provider, request_id, person, mfa=True))
    assert response["Location"] == reverse("accounts:home")
    assert _signed_in(client)
    assert saml.used_mfa({"class_ref": MFA_CLASS})


def test_the_service_provider_metadata_is_served_with_both_keys(client, idp, person):
    provider = _provider(idp, person.tenant)
    response = client.get(reverse("sso:saml_metadata", args=[provider.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    body = response.content.decode()
    assert 'use="signing"' in body and 'use="encryption"' in body
    assert reverse("sso:saml_acs", args=[provider.public_id]) in body
    assert 'WantAssertionsSigned="true"' in body
    assert client.get(f"/sso/{secrets.token_hex(16)}/saml/metadata/").status_code == 404


def test_expiry_is_checked_against_the_clock_not_the_cache(idp, person):
    provider = _provider(idp, person.tenant)
    answer = _response(
        idp,
        provider,
        "id-1",
        person,
        not_on_or_after=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
    )
    with pytest.raises(saml.SamlError):
        saml.parse_response(provider, answer, "id-1")


def test_sign_out_sends_a_signed_logout_request_the_idp_accepts(client, idp, person):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    _answer(client, provider, _response(idp, provider, request_id, person))
    assert _signed_in(client)
    response = client.post(reverse("accounts:signout"))
    assert not _signed_in(client)
    location = urlsplit(left_for(response))
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{idp.base_url}/slo/redirect"
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert {"SAMLRequest", "Signature", "SigAlg"} <= set(query)
    # The IdP checks the request's signature against the portal's metadata and answers
    # at the portal's single logout address, which ends at the sign-in page.
    back = urlsplit(
        idp.logout(
            query["SAMLRequest"],
            query.get("RelayState"),
            signature=query["Signature"],
            sigalg=query["SigAlg"],
        )
    )
    assert back.path == reverse("sso:saml_sls", args=[provider.public_id])
    assert client.get(back.path, parse_qs(back.query))["Location"] == reverse("accounts:signin")


def _idp_logout_request(idp, provider, name_id, *, tamper=False):
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID

    destination = urls_for.saml_sls_url(provider)
    _request_id, request = idp.server.create_logout_request(
        destination,
        urls_for.saml_metadata_url(provider),
        name_id=NameID(text=name_id, format=NAMEID_FORMAT_EMAILADDRESS),
        sign=False,
    )
    info = idp.server.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), destination, relay_state="r", sign=True
    )
    location = urlsplit(dict(info["headers"])["Location"])
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    if tamper:
        query["Signature"] = query["Signature"][:-8] + "AAAAAAA="
    return location.path, query


@pytest.mark.parametrize("tamper", [False, True], ids=["signed", "tampered"])
def test_a_logout_the_provider_starts_ends_the_session_only_when_signed(
    client, idp, person, tamper
):
    provider = _provider(idp, person.tenant)
    request_id = _begin(client, provider, person.username)
    _answer(client, provider, _response(idp, provider, request_id, person))
    assert _signed_in(client)
    path, query = _idp_logout_request(idp, provider, person.username, tamper=tamper)
    response = client.get(path, query)
    if tamper:
        assert _signed_in(client)
        assert response["Location"] == reverse("accounts:signin")
    else:
        assert not _signed_in(client)
        answer = urlsplit(response["Location"])
        assert f"{answer.scheme}://{answer.netloc}{answer.path}" == f"{idp.base_url}/slo/redirect"
        assert {"SAMLResponse", "Signature"} <= set(parse_qs(answer.query))
