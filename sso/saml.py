"""SAML 2.0 with pysaml2: the portal as a service provider of one organization's IdP.

pysaml2 (with xmlsec1) checks every signature, decrypts encrypted assertions and
checks InResponseTo, the audience, the recipient and the time windows; nothing
here reads XML signatures by hand. The portal adds what pysaml2 leaves to its
caller: the issuer must be the provider's entity id, and an assertion is taken
once (its id is remembered in the shared cache until it would expire anyway).

Each provider has its own key pair, made when it is added: the private key is kept
sealed and written to a private temporary file only while pysaml2 needs it.
"""

import contextlib
import datetime
import os
import shutil
import tempfile

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.cache import cache
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2 import request as saml_request
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from core import sealing
from sso import urls_for

KEY_PURPOSE = "sso.saml.sp_key"
# How long the service provider's own certificate is valid.
CERTIFICATE_DAYS = 10 * 365
# Clock difference tolerated between the provider and the portal, in seconds.
CLOCK_SKEW = 60
# How long an assertion id is remembered when the assertion names no end.
REPLAY_SECONDS = 60 * 60
# AuthnContextClassRef values that say the person used more than a password.
MFA_CLASSES = frozenset(
    {
        "http://schemas.microsoft.com/claims/multipleauthn",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:X509",
        "https://refeds.org/profile/mfa",
    }
)


class SamlError(Exception):
    """A SAML message was refused; ``code`` says why, for the audit log."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def xmlsec_binary() -> str:
    """Return the path of xmlsec1, or raise SamlError when it is not installed."""
    path = shutil.which("xmlsec1")
    if not path:
        raise SamlError("xmlsec1_missing", "install the xmlsec1 package on every app node")
    return path


def new_key_pair(common_name: str) -> tuple[str, str]:
    """Return (sealed private key, certificate PEM) for a new service provider."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "portal")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=CERTIFICATE_DAYS))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    pem_certificate = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return sealing.seal(pem_key, purpose=KEY_PURPOSE), pem_certificate


def fetch_metadata(url: str) -> str:
    """Return the identity provider's metadata XML at ``url``, or raise SamlError."""
    try:
        response = requests.get(url, timeout=settings.PORTAL_SSO_TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as error:
        raise SamlError("metadata_failed", str(error)) from None
    return response.text


def idp_entity_id(metadata_xml: str) -> str:
    """Return the entity id of the one identity provider ``metadata_xml`` describes.

    Raises SamlError when it is no metadata, or describes no identity provider
    with a single sign-on service, or more than one.
    """
    store = MetadataStore(attrc=None, config=None)
    try:
        store.load("inline", metadata_xml)
    except Exception as error:
        raise SamlError("metadata_invalid", f"{type(error).__name__}: {error}") from None
    idps = [entity for entity in store.identity_providers() if store.single_sign_on_service(entity)]
    if len(idps) != 1:
        raise SamlError("metadata_invalid", f"{len(idps)} identity providers")
    return idps[0]


def key_readable(provider) -> bool:
    """Return whether a configured key still reads the provider's sealed private key."""
    try:
        sealing.unseal(provider.sp_private_key_sealed, purpose=KEY_PURPOSE, max_age=None)
    except sealing.SealBroken:
        return False
    return True


def reseal_key(provider) -> str:
    """Return the provider's private key sealed with the current key; raise SamlError."""
    try:
        key = sealing.unseal(provider.sp_private_key_sealed, purpose=KEY_PURPOSE, max_age=None)
    except sealing.SealBroken:
        raise SamlError("key_unreadable") from None
    return sealing.seal(key, purpose=KEY_PURPOSE)


@contextlib.contextmanager
def _key_files(provider):
    try:
        key = sealing.unseal(provider.sp_private_key_sealed, purpose=KEY_PURPOSE, max_age=None)
    except sealing.SealBroken:
        # Sealed under a SECRET_KEY that is no longer configured: change the provider
        # to make a new key pair.
        raise SamlError("key_unreadable") from None
    with tempfile.TemporaryDirectory(prefix="portal-sso-") as folder:
        key_path = os.path.join(folder, "sp.key")
        certificate_path = os.path.join(folder, "sp.crt")
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(key)
        with open(certificate_path, "w") as certificate_file:
            certificate_file.write(provider.sp_certificate)
        yield key_path, certificate_path


def _config(provider, key_path, certificate_path) -> SPConfig:
    config = SPConfig()
    config.load(
        {
            "entityid": urls_for.saml_metadata_url(provider),
            "xmlsec_binary": xmlsec_binary(),
            "key_file": key_path,
            "cert_file": certificate_path,
            "encryption_keypairs": [{"key_file": key_path, "cert_file": certificate_path}],
            "metadata": {"inline": [provider.metadata_xml]} if provider.metadata_xml else {},
            "allow_unknown_attributes": True,
            "accepted_time_diff": CLOCK_SKEW,
            "service": {
                "sp": {
                    "name": provider.name,
                    "endpoints": {
                        "assertion_consumer_service": [
                            (urls_for.saml_acs_url(provider), BINDING_HTTP_POST)
                        ],
                        "single_logout_service": [
                            (urls_for.saml_sls_url(provider), BINDING_HTTP_REDIRECT)
                        ],
                    },
                    "authn_requests_signed": True,
                    "logout_requests_signed": True,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "allow_unsolicited": False,
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                }
            },
        }
    )
    return config


@contextlib.contextmanager
def client(provider):
    """Yield a pysaml2 client configured as ``provider``'s service provider."""
    with _key_files(provider) as (key_path, certificate_path):
        yield Saml2Client(config=_config(provider, key_path, certificate_path))


def sp_metadata(provider) -> bytes:
    """Return the service provider's metadata XML, with its signing and encryption keys."""
    with _key_files(provider) as (key_path, certificate_path):
        config = _config(provider, key_path, certificate_path)
        return create_metadata_string(None, config=config, valid=CERTIFICATE_DAYS * 24)


def authn_redirect(provider, relay_state: str) -> tuple[str, str]:
    """Return (request id, address of the provider with a signed AuthnRequest)."""
    with client(provider) as sp:
        request_id, info = sp.prepare_for_authenticate(
            entityid=provider.idp_entity_id,
            relay_state=relay_state,
            binding=BINDING_HTTP_REDIRECT,
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
    location = dict(info["headers"])["Location"]
    return request_id, location


def _mfa_class(response) -> str:
    for class_ref, *_rest in response.authn_info() or []:
        return class_ref or ""
    return ""


def parse_response(provider, saml_response: str, request_id: str) -> dict:
    """Return what a validated response says: name_id, attributes, class_ref, session_index.

    Raises SamlError for anything pysaml2 refuses (signature, audience, recipient,
    time window, InResponseTo), a response of another issuer, or a replay.
    """
    if not saml_response:
        raise SamlError("no_response")
    with client(provider) as sp:
        try:
            response = sp.parse_authn_request_response(
                saml_response,
                BINDING_HTTP_POST,
                outstanding={request_id: "/"} if request_id else {},
            )
        except Exception as error:
            raise SamlError("invalid_response", f"{type(error).__name__}: {error}") from None
    if response is None or response.assertion is None:
        raise SamlError("invalid_response", "no assertion")
    if response.issuer() != provider.idp_entity_id:
        raise SamlError("wrong_issuer", response.issuer() or "")
    if response.in_response_to != request_id:
        raise SamlError("invalid_response", "InResponseTo")
    assertion = response.assertion
    _remember_once(provider, assertion)
    name_id = response.name_id.text if response.name_id is not None else ""
    session_index = ""
    if assertion.authn_statement:
        session_index = assertion.authn_statement[0].session_index or ""
    return {
        "name_id": name_id,
        "name_id_format": getattr(response.name_id, "format", "") or "",
        "attributes": {key: list(values) for key, values in (response.ava or {}).items()},
        "class_ref": _mfa_class(response),
        "session_index": session_index,
    }


def _remember_once(provider, assertion) -> None:
    """Take assertion ``assertion`` once: a second use anywhere is a replay."""
    seconds = REPLAY_SECONDS
    conditions = assertion.conditions
    if conditions is not None and conditions.not_on_or_after:
        try:
            until = datetime.datetime.fromisoformat(
                conditions.not_on_or_after.replace("Z", "+00:00")
            )
            seconds = max(
                60, int((until - datetime.datetime.now(datetime.UTC)).total_seconds()) + CLOCK_SKEW
            )
        except ValueError:
            pass
    if not cache.add(f"sso:saml:assertion:{provider.pk}:{assertion.id}", 1, seconds):
        raise SamlError("replayed", assertion.id)


# The attributes in which Microsoft Entra ID (and ADFS) name a person.
CLAIM_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
CLAIM_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
CLAIM_DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"

# The attribute in which Microsoft Entra ID names the methods used (its class
# reference stays PasswordProtectedTransport even after a second factor).
METHODS_ATTRIBUTE = "http://schemas.microsoft.com/claims/authnmethodsreferences"


def used_mfa(parsed: dict) -> bool:
    """Return whether the assertion says the person used more than a password."""
    if parsed.get("class_ref", "") in MFA_CLASSES:
        return True
    methods = (parsed.get("attributes") or {}).get(METHODS_ATTRIBUTE) or []
    return any(str(method) in MFA_CLASSES for method in methods)


def logout_redirect(provider, name_id: str, name_id_format: str, session_index: str) -> str:
    """Return the address of the provider's single logout with a signed LogoutRequest, or ""."""
    with client(provider) as sp:
        try:
            destinations = sp.metadata.single_logout_service(
                provider.idp_entity_id, BINDING_HTTP_REDIRECT, "idpsso"
            )
        except Exception:
            return ""
        if not destinations:
            return ""
        destination = destinations[0]["location"]
        _request_id, request = sp.create_logout_request(
            destination,
            provider.idp_entity_id,
            name_id=NameID(text=name_id, format=name_id_format or None),
            session_indexes=[session_index] if session_index else None,
            sign=False,
        )
        info = sp.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            destination,
            relay_state="",
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return dict(info["headers"])["Location"]


def logout_requested(provider, message: str, relay_state: str, signature: dict) -> tuple[str, str]:
    """Check the provider's signed LogoutRequest; return (its NameID, the answer's address).

    The answer is a signed LogoutResponse to the provider's single logout service.
    Raises SamlError for a request that is unsigned, signed by another key, or of
    another issuer.
    """
    if not signature.get("Signature") or not signature.get("SigAlg"):
        raise SamlError("invalid_logout", "unsigned")
    with client(provider) as sp:
        # pysaml2's parse_logout_request checks a redirect's signature only where an
        # IdP's configuration asks for signed requests; an SP's cannot. The same
        # steps, with the signature required.
        request = saml_request.LogoutRequest(
            sp.sec,
            sp.config.endpoint("single_logout_service", BINDING_HTTP_REDIRECT, "sp"),
            sp.config.attribute_converters,
            timeslack=CLOCK_SKEW,
        )
        try:
            xml = sp.unravel(message, BINDING_HTTP_REDIRECT, saml_request.LogoutRequest.msgtype)
            request = request.loads(
                xml,
                BINDING_HTTP_REDIRECT,
                origdoc=message,
                must=True,
                relay_state=relay_state or None,
                sigalg=signature["SigAlg"],
                signature=signature["Signature"],
            )
            request.verify()
        except Exception as error:
            raise SamlError("invalid_logout", f"{type(error).__name__}: {error}") from None
        if request is None or request.message is None:
            raise SamlError("invalid_logout", "unreadable")
        issuer = request.message.issuer.text if request.message.issuer is not None else ""
        if issuer != provider.idp_entity_id:
            raise SamlError("wrong_issuer", issuer or "")
        name_id = request.message.name_id.text if request.message.name_id is not None else ""
        response = sp.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
        destination = sp.metadata.single_logout_service(
            provider.idp_entity_id, BINDING_HTTP_REDIRECT, "idpsso"
        )
        if not destination:
            raise SamlError("invalid_logout", "no single logout service")
        info = sp.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination[0]["location"],
            relay_state or "",
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return name_id, dict(info["headers"])["Location"]
