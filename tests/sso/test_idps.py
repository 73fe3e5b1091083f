"""The test identity providers themselves work, before the portal's SSO is tested with them.

Each side is checked with a client we did not write either where one is at hand
(pysaml2's SP client for SAML); the OpenID Connect checks read the ID token with joserfc.
"""

import base64
import datetime
import hashlib
import secrets
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.md import entity_descriptor_from_string
from saml2.metadata import create_metadata_string
from saml2.response import StatusError
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from tests.sso.idp.drive import (
    DriveError,
    drive_oidc_login,
    drive_oidc_logout,
    drive_saml_login,
    drive_saml_logout,
)
from tests.sso.idp.saml_idp import MFA_CLASS, PASSWORD_CLASS, SamlIdP, make_key_pair

ALICE = {
    "email": "alice@contoso.example",
    "email_verified": True,
    "name": "Alice Example",
    "given_name": "Alice",
    "family_name": "Example",
    "preferred_username": "alice@contoso.example",
}
ALICE_ATTRIBUTES = {
    "email": ["alice@contoso.example"],
    "givenName": ["Alice"],
    "sn": ["Example"],
    "displayName": ["Alice Example"],
}
OIDC_ACR_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
OIDC_ACR_MFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


# OpenID Connect -------------------------------------------------------------------


@pytest.fixture
def oidc_client(oidc_idp):
    """A client registered for this test, as the portal registers one per connection."""
    portal = "http://127.0.0.1:9"
    client = oidc_idp.add_client(
        client_id=f"portal-{uuid.uuid4()}",
        client_secret=secrets.token_urlsafe(32),
        redirect_uris=[f"{portal}/sso/{uuid.uuid4()}/oidc/callback/"],
        post_logout_redirect_uris=[f"{portal}/signin/"],
    )
    oidc_idp.add_account(ALICE["email"], ALICE)
    return client


def _discovery(oidc_idp) -> dict:
    answer = requests.get(oidc_idp.discovery_url, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _authorize_url(metadata: dict, client: dict, **extra) -> tuple[str, dict]:
    """Return an authorization request as the portal makes it, and its secrets."""
    secrets_ = {
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "verifier": secrets.token_urlsafe(48),
    }
    challenge = base64.urlsafe_b64encode(hashlib.sha256(secrets_["verifier"].encode()).digest())
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": client["redirect_uris"][0],
        "scope": "openid email profile",
        "state": secrets_["state"],
        "nonce": secrets_["nonce"],
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}", secrets_


def _redeem(metadata: dict, client: dict, callback: str, verifier: str, *, auth: str) -> dict:
    """Exchange the callback's code for tokens, authenticating as ``auth`` says."""
    data = {
        "grant_type": "authorization_code",
        "code": parse_qs(urlsplit(callback).query)["code"][0],
        "redirect_uri": client["redirect_uris"][0],
        "code_verifier": verifier,
    }
    credentials = None
    if auth == "client_secret_post":
        data |= {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    else:
        credentials = (client["client_id"], client["client_secret"])
    answer = requests.post(metadata["token_endpoint"], data=data, auth=credentials, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _id_token_claims(metadata: dict, id_token: str) -> dict:
    jwks = requests.get(metadata["jwks_uri"], timeout=30).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    return token.claims


def test_oidc_discovery_document_is_served(oidc_idp):
    metadata = _discovery(oidc_idp)

    assert metadata["issuer"] == oidc_idp.issuer
    assert metadata["issuer"].startswith("http://127.0.0.1:")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(
        metadata["token_endpoint_auth_methods_supported"]
    )
    assert {"amr", "acr", "email"} <= set(metadata["claims_supported"])
    assert metadata["end_session_endpoint"].startswith(oidc_idp.issuer)
    keys = requests.get(metadata["jwks_uri"], timeout=30).json()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [("RSA", "RS256", "sig")]


@pytest.mark.parametrize(
    ("mfa", "auth", "amr", "acr"),
    [
        (False, "client_secret_basic", ["pwd"], OIDC_ACR_PASSWORD),
        (True, "client_secret_post", ["pwd", "mfa"], OIDC_ACR_MFA),
    ],
)
def test_oidc_login_ends_at_redirect_uri_and_id_token_says_how(
    oidc_idp, oidc_client, mfa, auth, amr, acr
):
    metadata = _discovery(oidc_idp)
    authorize_url, sent = _authorize_url(metadata, oidc_client)

    callback = drive_oidc_login(authorize_url, login=ALICE["email"], mfa=mfa)

    assert callback.startswith(oidc_client["redirect_uris"][0] + "?")
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [sent["state"]]
    assert query["code"][0]
    assert query["iss"] == [oidc_idp.issuer]
    tokens = _redeem(metadata, oidc_client, callback, sent["verifier"], auth=auth)
    claims = _id_token_claims(metadata, tokens["id_token"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": oidc_idp.issuer},
        aud={"essential": True, "value": oidc_client["client_id"]},
        nonce={"essential": True, "value": sent["nonce"]},
        exp={"essential": True},
    ).validate(claims)
    assert claims["sub"] == ALICE["email"]
    assert claims["amr"] == amr
    assert claims["acr"] == acr
    assert claims["email"] == ALICE["email"]
    assert claims["given_name"] == "Alice"
    assert claims["family_name"] == "Example"


def test_oidc_unknown_sign_in_name_shows_the_page_again(oidc_idp, oidc_client):
    authorize_url, _ = _authorize_url(_discovery(oidc_idp), oidc_client)

    with pytest.raises(DriveError, match="We do not know that sign-in name"):
        drive_oidc_login(authorize_url, login="nobody@contoso.example")


def test_oidc_authorization_without_pkce_is_refused(oidc_idp, oidc_client):
    authorize_url, _ = _authorize_url(_discovery(oidc_idp), oidc_client)
    without_pkce = authorize_url.split("&code_challenge=")[0]

    answer = requests.get(without_pkce, allow_redirects=False, timeout=30)

    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert "PKCE" in query["error_description"][0]


def test_oidc_logout_returns_to_post_logout_redirect_uri(oidc_idp, oidc_client):
    metadata = _discovery(oidc_idp)
    authorize_url, sent = _authorize_url(metadata, oidc_client)
    browser = requests.Session()
    callback = drive_oidc_login(authorize_url, login=ALICE["email"], session=browser)
    tokens = _redeem(metadata, oidc_client, callback, sent["verifier"], auth="client_secret_basic")
    logout = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": oidc_client["post_logout_redirect_uris"][0],
        "state": "after-logout",
    }

    back = drive_oidc_logout(
        f"{metadata['end_session_endpoint']}?{urlencode(logout)}", session=browser
    )

    assert back == f"{oidc_client['post_logout_redirect_uris'][0]}?state=after-logout"
    # Signed out: the next authorization asks for the sign-in name again.
    again, _ = _authorize_url(metadata, oidc_client)
    page = browser.get(again, timeout=30)
    assert 'id="login"' in page.text


# SAML -----------------------------------------------------------------------------


class _MetadataServer:
    """Serve an SP's metadata at its entity id, as the portal does, in a thread."""

    def __init__(self):
        self.xml = ""
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.end_headers()
                self.wfile.write(served.xml.encode())

            def log_message(self, format, *args):
                """Keep the test output quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _sp(idp_metadata_xml: str, base_url: str, directory, **settings) -> tuple[Saml2Client, str]:
    """Return a pysaml2 SP shaped like the portal's, and its metadata.

    Like the portal it signs its requests and wants signed assertions.
    """
    key, cert = make_key_pair(directory, "portal-sp")
    base = f"{base_url}/sso/{uuid.uuid4()}/saml"
    config = SPConfig()
    config.load(
        {
            "entityid": f"{base}/metadata/",
            "key_file": str(key),
            "cert_file": str(cert),
            "encryption_keypairs": [{"key_file": str(key), "cert_file": str(cert)}],
            "metadata": {"inline": [idp_metadata_xml]},
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(f"{base}/acs/", BINDING_HTTP_POST)],
                        "single_logout_service": [(f"{base}/sls/", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "authn_requests_signed": True,
                    "logout_requests_signed": True,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "allow_unsolicited": False,
                    **settings,
                },
            },
        }
    )
    metadata = create_metadata_string(None, config=config, sign=False).decode()
    return Saml2Client(config=config), metadata


@pytest.fixture
def in_process_idp():
    idp = SamlIdP(base_url="http://127.0.0.1:9", accounts={ALICE["email"]: ALICE})
    yield idp
    idp.close()


@pytest.fixture
def sp_metadata_server():
    server = _MetadataServer()
    yield server
    server.close()


def test_saml_metadata_is_served_at_the_entity_id(saml_idp):
    answer = requests.get(saml_idp.metadata_url, timeout=30)

    assert answer.status_code == 200
    descriptor = entity_descriptor_from_string(answer.text)
    assert descriptor.entity_id == saml_idp.metadata_url
    idp = descriptor.idpsso_descriptor[0]
    assert idp.want_authn_requests_signed == "true"
    assert {(s.binding, s.location) for s in idp.single_sign_on_service} == {
        (BINDING_HTTP_REDIRECT, f"{saml_idp.base_url}/sso/redirect"),
        (BINDING_HTTP_POST, f"{saml_idp.base_url}/sso/post"),
    }
    assert [(s.binding, s.location) for s in idp.single_logout_service] == [
        (BINDING_HTTP_REDIRECT, f"{saml_idp.base_url}/slo/redirect")
    ]
    assert {key.use for key in idp.key_descriptor} == {"signing", "encryption"}


@pytest.mark.parametrize(("encrypt", "mfa"), [(False, False), (True, True)])
def test_saml_in_process_response_verifies_with_pysaml2_sp(in_process_idp, tmp_path, encrypt, mfa):
    sp, sp_metadata = _sp(in_process_idp.metadata_xml(), "http://127.0.0.1:9", tmp_path)

    saml_response = in_process_idp.response(
        sp_metadata, in_response_to="id-request-1", name_id=ALICE["email"], encrypt=encrypt, mfa=mfa
    )

    xml = base64.b64decode(saml_response).decode()
    assert ("EncryptedAssertion" in xml) is encrypt
    result = sp.parse_authn_request_response(
        saml_response, BINDING_HTTP_POST, outstanding={"id-request-1": "/"}
    )
    assert result.issuer() == in_process_idp.entity_id
    assert result.name_id.text == ALICE["email"]
    assert result.name_id.format == NAMEID_FORMAT_EMAILADDRESS
    assert result.ava == ALICE_ATTRIBUTES
    assert [info[0] for info in result.authn_info()] == [MFA_CLASS if mfa else PASSWORD_CLASS]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"not_on_or_after": -120}, "too old"),
        ({"sign_assertion": False}, "Signature missing"),
        ({"audience": "http://127.0.0.1:9/sso/another/saml/metadata/"}, "AudienceRestrictions"),
        ({"issuer": "http://127.0.0.1:9/another-idp"}, "another-idp"),
    ],
)
def test_saml_in_process_response_variants_are_refused_by_pysaml2_sp(
    in_process_idp, tmp_path, change, refusal
):
    sp, sp_metadata = _sp(in_process_idp.metadata_xml(), "http://127.0.0.1:9", tmp_path)

    saml_response = in_process_idp.response(
        sp_metadata, in_response_to="id-request-1", name_id=ALICE["email"], **change
    )

    with pytest.raises(Exception, match=refusal):
        sp.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={"id-request-1": "/"}
        )


def test_saml_expired_assertion_is_validly_signed(in_process_idp, tmp_path):
    """An SP that allows a wide clock skew takes it: only its time is wrong."""
    sp, sp_metadata = _sp(in_process_idp.metadata_xml(), "http://127.0.0.1:9", tmp_path)
    sp.config.accepted_time_diff = 3600

    saml_response = in_process_idp.response(
        sp_metadata, in_response_to="id-request-1", name_id=ALICE["email"], not_on_or_after=-120
    )

    result = sp.parse_authn_request_response(
        saml_response, BINDING_HTTP_POST, outstanding={"id-request-1": "/"}
    )
    assert result.name_id.text == ALICE["email"]
    conditions = result.assertion.conditions
    now = datetime.datetime.now(datetime.UTC)
    assert _moment(result.assertion.issue_instant) <= _moment(conditions.not_before)
    assert _moment(conditions.not_before) < _moment(conditions.not_on_or_after)
    assert now - datetime.timedelta(seconds=130) < _moment(conditions.not_on_or_after)
    assert _moment(conditions.not_on_or_after) < now - datetime.timedelta(seconds=110)


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


@pytest.mark.parametrize(("encrypt", "mfa"), [(False, True), (True, False)])
def test_saml_login_over_http_posts_a_response_the_sp_accepts(
    saml_idp, sp_metadata_server, tmp_path, encrypt, mfa
):
    saml_idp.add_account(ALICE["email"], ALICE)
    saml_idp.set_encrypt(encrypt)
    sp, sp_metadata_server.xml = _sp(saml_idp.metadata_xml(), sp_metadata_server.base_url, tmp_path)
    request_id, info = sp.prepare_for_authenticate(
        entityid=saml_idp.entity_id, relay_state="/users/", binding=BINDING_HTTP_REDIRECT, sign=True
    )
    redirect_url = dict(info["headers"])["Location"]
    assert redirect_url.startswith(saml_idp.sso_url + "?")

    acs_url, fields = drive_saml_login(redirect_url, login=ALICE["email"], mfa=mfa)

    assert acs_url == sp.config.getattr("endpoints", "sp")["assertion_consumer_service"][0][0]
    assert fields["RelayState"] == "/users/"
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert ("EncryptedAssertion" in xml) is encrypt
    result = sp.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/users/"}
    )
    assert result.in_response_to == request_id
    assert result.name_id.text == ALICE["email"]
    assert result.ava == ALICE_ATTRIBUTES
    assert [info[0] for info in result.authn_info()] == [MFA_CLASS if mfa else PASSWORD_CLASS]
    saml_idp.set_encrypt(False)


def test_saml_unknown_sign_in_name_shows_the_page_again(saml_idp, sp_metadata_server, tmp_path):
    sp, sp_metadata_server.xml = _sp(saml_idp.metadata_xml(), sp_metadata_server.base_url, tmp_path)
    _, info = sp.prepare_for_authenticate(
        entityid=saml_idp.entity_id, binding=BINDING_HTTP_REDIRECT, sign=True
    )

    with pytest.raises(DriveError, match="We do not know that sign-in name"):
        drive_saml_login(dict(info["headers"])["Location"], login="nobody@contoso.example")


def test_saml_unsigned_authn_request_is_refused(saml_idp, sp_metadata_server, tmp_path):
    sp, sp_metadata_server.xml = _sp(saml_idp.metadata_xml(), sp_metadata_server.base_url, tmp_path)
    _, info = sp.prepare_for_authenticate(
        entityid=saml_idp.entity_id, binding=BINDING_HTTP_REDIRECT, sign=False
    )

    with pytest.raises(DriveError, match="not signed correctly"):
        drive_saml_login(dict(info["headers"])["Location"], login=ALICE["email"])


def test_saml_logout_request_is_answered_at_the_sp_logout_service(
    saml_idp, sp_metadata_server, tmp_path
):
    sp, sp_metadata_server.xml = _sp(saml_idp.metadata_xml(), sp_metadata_server.base_url, tmp_path)
    _, request = sp.create_logout_request(
        saml_idp.slo_url, saml_idp.entity_id, name_id=_name_id(ALICE["email"]), sign=False
    )
    info = sp.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), saml_idp.slo_url, relay_state="/signin/", sign=True
    )

    back = drive_saml_logout(dict(info["headers"])["Location"])

    sls = sp.config.getattr("endpoints", "sp")["single_logout_service"][0][0]
    assert back.startswith(sls + "?")
    query = parse_qs(urlsplit(back).query)
    assert query["RelayState"] == ["/signin/"]
    assert {"SigAlg", "Signature"} <= set(query)
    try:
        response = sp.parse_logout_request_response(query["SAMLResponse"][0], BINDING_HTTP_REDIRECT)
    except StatusError as error:  # pragma: no cover - a failure's message says why
        pytest.fail(f"the IdP answered with an error status: {error}")
    assert response.response.in_response_to == request.id
    assert response.issuer() == saml_idp.entity_id


def _name_id(email: str):
    from saml2.saml import NameID

    return NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email)
