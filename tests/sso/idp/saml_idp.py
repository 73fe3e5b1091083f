"""A SAML 2.0 identity provider built on pysaml2's IdP server, for the portal's SSO tests.

The portal's SAML code is judged by an IdP we did not write: requests are parsed and
their signatures checked, and responses made, signed and encrypted, by
``saml2.server.Server``; this module only adds a key pair, the HTTP endpoints and a
sign-in page. It runs two ways:

- in-process, for unit tests of what the portal refuses: ``SamlIdP(base_url=...,
  accounts=...)`` makes metadata (``metadata_xml()``) and SAMLResponses for a given SP
  metadata (``response(...)``), expired, unsigned, for another audience or issuer;
- as an HTTP server (``python -m tests.sso.idp.saml_idp --port N``, or the file path):
  metadata at ``/idp/metadata`` (its entity id), SSO at ``/sso/redirect`` (HTTP-Redirect)
  and ``/sso/post`` (HTTP-POST), SLO at ``/slo/redirect``. It prints ``READY <base_url>``
  when listening (``--port 0`` lets the system pick the port).

It learns an SP from the SP's first request: the portal's entity id is its metadata
URL, so an unknown Issuer is fetched as metadata (and fetched again when a signature
does not verify, for an SP whose keys changed). Requests must be signed, as
``want_authn_requests_signed`` makes pysaml2 check. The IdP keeps no single sign-on
session: every AuthnRequest shows the sign-in page, which keeps tests independent.
"""

import argparse
import base64
import datetime
import html
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager, suppress
from pathlib import Path
from socketserver import ThreadingMixIn
from unittest import mock
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree as defused_et
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, time_util
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.md import entity_descriptor_from_string
from saml2.mdstore import MetadataStore
from saml2.metadata import create_metadata_string
from saml2.response import IncorrectlySigned
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
MFA_CLASS = "http://schemas.microsoft.com/claims/multipleauthn"

ASSERTION_LIFETIME = datetime.timedelta(minutes=5)
SP_METADATA_TIMEOUT = 10  # seconds; the portal's live server answers at once

# OpenID Connect claim names (the accounts' shape, shared with the OIDC provider) and
# the SAML attribute each becomes; SAML names are accepted as they are.
_CLAIM_ATTRIBUTES = {
    "email": "email",
    "given_name": "givenName",
    "family_name": "sn",
    "name": "displayName",
}
_OIDC_ONLY = {"sub", "email_verified", "preferred_username", "locale", "zoneinfo"}


class SamlIdPError(Exception):
    """A request the IdP refuses (unknown SP, bad signature, unknown ACS)."""


def saml_attributes(claims: dict) -> dict[str, list[str]]:
    """Return the SAML attributes for an account given as OIDC claims or SAML attributes."""
    attributes = {}
    for key, value in claims.items():
        if key in _OIDC_ONLY or value is None or isinstance(value, bool):
            continue
        values = value if isinstance(value, list | tuple) else [value]
        attributes[_CLAIM_ATTRIBUTES.get(key, key)] = [str(item) for item in values]
    return attributes


def make_key_pair(directory: Path, common_name: str) -> tuple[Path, Path]:
    """Write a fresh RSA key and a self-signed certificate; return their paths."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _timing(not_on_or_after: float | datetime.datetime | None) -> tuple[float, float]:
    """Return (clock shift, lifetime) in seconds for an assertion ending at ``not_on_or_after``.

    ``not_on_or_after`` is seconds from now or a datetime. An end in the past makes an
    assertion issued that long before it (the clock shifted back), so IssueInstant,
    AuthnInstant and NotBefore come before NotOnOrAfter as in any real assertion that
    has since expired.
    """
    lifetime = ASSERTION_LIFETIME.total_seconds()
    if not_on_or_after is None:
        return 0, lifetime
    if isinstance(not_on_or_after, datetime.datetime):
        moment = not_on_or_after
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        seconds = (moment - datetime.datetime.now(datetime.UTC)).total_seconds()
    else:
        seconds = float(not_on_or_after)
    if seconds > 0:
        return 0, seconds
    return seconds - lifetime, lifetime


class _ShiftedTime:
    """The ``time`` module, with "now" ``shift`` seconds away."""

    def __init__(self, shift: float):
        self.shift = shift

    def __getattr__(self, name):
        return getattr(time, name)

    def time(self) -> float:
        return time.time() + self.shift

    def gmtime(self, seconds: float | None = None):
        return time.gmtime(self.time() if seconds is None else seconds)


@contextmanager
def _clock_shifted(shift: float):
    """Make pysaml2's time helpers read a clock ``shift`` seconds away (negative: the past).

    pysaml2 has no "issue at" argument; every time it writes goes through
    ``saml2.time_util``, whose clock this swaps while a response is made. Other threads
    of this process that use pysaml2 meanwhile would see the shifted clock too.
    """
    if not shift:
        yield
        return

    class ShiftedDateTime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.now(tz) + datetime.timedelta(seconds=shift)

    with (
        mock.patch.object(time_util, "time", _ShiftedTime(shift)),
        mock.patch.object(time_util, "datetime", ShiftedDateTime),
    ):
        yield


class SamlIdP:
    """A pysaml2 IdP with a fresh key pair, its accounts and the SPs it has met.

    ``accounts`` maps a sign-in name to its claims (OIDC names such as ``given_name``,
    or SAML names such as ``givenName``); ``accounts_file`` is a JSON file of the same,
    read at every sign-in. ``settings_file`` is a JSON file read at every sign-in, whose
    ``encrypt`` overrides ``encrypt``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        accounts: dict | None = None,
        accounts_file: str | os.PathLike | None = None,
        encrypt: bool = False,
        settings_file: str | os.PathLike | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.entity_id = f"{self.base_url}/idp/metadata"
        self.accounts = dict(accounts or {})
        self.accounts_file = accounts_file
        self.encrypt = encrypt
        self.settings_file = settings_file
        # xmlsec1 reads the key from a file at every signature: the files live as long
        # as this object (close() or garbage collection removes them).
        files = Path(tempfile.mkdtemp(prefix="saml-idp-"))
        self._remove_files = weakref.finalize(self, shutil.rmtree, files, ignore_errors=True)
        key_path, cert_path = make_key_pair(files, urlsplit(self.base_url).netloc)
        self.cert_pem = cert_path.read_text()
        config = IdPConfig()
        config.load(self._config(key_path, cert_path))
        # No SP is known at start: an empty store, filled as SPs turn up.
        config.metadata = MetadataStore(config.attribute_converters, config)
        self.server = Server(config=config)
        self._sp_keys = {}  # SP entity id -> its key in the metadata store
        self._pending = {}  # sign-in page key -> what the response needs
        self._lock = threading.RLock()

    def _config(self, key_path: Path, cert_path: Path) -> dict:
        base = self.base_url
        return {
            "entityid": self.entity_id,
            "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
            "key_file": str(key_path),
            "cert_file": str(cert_path),
            "encryption_keypairs": [{"key_file": str(key_path), "cert_file": str(cert_path)}],
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "name": "Portal test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{base}/sso/redirect", BINDING_HTTP_REDIRECT),
                            (f"{base}/sso/post", BINDING_HTTP_POST),
                        ],
                        "single_logout_service": [(f"{base}/slo/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": True,
                    "sign_assertion": True,
                    "sign_response": False,
                    "policy": {
                        "default": self._policy_defaults(ASSERTION_LIFETIME.total_seconds())
                    },
                },
            },
        }

    @staticmethod
    def _policy_defaults(seconds: float) -> dict:
        return {
            "lifetime": {"seconds": int(seconds)},
            "attribute_restrictions": None,
            "name_form": NAME_FORMAT_URI,
        }

    def close(self):
        """Remove the key files."""
        self._remove_files()

    # Metadata --------------------------------------------------------------------

    def metadata_xml(self) -> str:
        """Return this IdP's metadata (unsigned), as served at its entity id."""
        xml = create_metadata_string(None, config=self.server.config, sign=False)
        return xml.decode() if isinstance(xml, bytes) else xml

    def load_sp_metadata(self, xml: str | bytes) -> str:
        """Load (or replace) an SP's metadata; return its entity id."""
        if isinstance(xml, bytes):
            xml = xml.decode()
        entity_id = entity_descriptor_from_string(xml).entity_id
        with self._lock:
            store = self.server.metadata
            old = self._sp_keys.pop(entity_id, None)
            if old is not None:
                del store.metadata[old]
            before = set(store.metadata)
            store.load("inline", xml)
            (self._sp_keys[entity_id],) = set(store.metadata) - before
        return entity_id

    def fetch_sp_metadata(self, entity_id: str) -> None:
        """Fetch an SP's metadata from its entity id, which is the portal's metadata URL."""
        if urlsplit(entity_id).scheme not in ("http", "https"):
            raise SamlIdPError(f"unknown SP {entity_id!r}, and its entity id is not a URL")
        answer = requests.get(entity_id, timeout=SP_METADATA_TIMEOUT)
        answer.raise_for_status()
        if self.load_sp_metadata(answer.content) != entity_id:
            raise SamlIdPError(f"the metadata at {entity_id} is for another entity")

    # Responses -------------------------------------------------------------------

    def account_attributes(self, login: str) -> dict | None:
        """Return the SAML attributes of ``login``, or None for an unknown sign-in name."""
        accounts = dict(self.accounts)
        if self.accounts_file and Path(self.accounts_file).exists():
            accounts.update(json.loads(Path(self.accounts_file).read_text() or "{}"))
        claims = accounts.get(login)
        return None if claims is None else saml_attributes(claims)

    def encrypting(self) -> bool:
        """Return whether sign-ins over HTTP get encrypted assertions (when the SP can)."""
        if self.settings_file and Path(self.settings_file).exists():
            settings = json.loads(Path(self.settings_file).read_text() or "{}")
            if "encrypt" in settings:
                return bool(settings["encrypt"])
        return self.encrypt

    def _make_response(
        self,
        *,
        sp_entity_id: str,
        in_response_to: str | None,
        destination: str,
        name_id: str,
        attributes: dict,
        mfa: bool,
        audience: str | None = None,
        issuer: str | None = None,
        sign_assertion: bool = True,
        encrypt: bool = False,
        not_on_or_after: float | datetime.datetime | None = None,
    ) -> str:
        """Return a SAML Response (XML) made by pysaml2's ``create_authn_response``."""
        audience = audience or sp_entity_id
        encrypt_cert = None
        if encrypt:
            certs = self.server.metadata.certs(sp_entity_id, "any", "encryption")
            if not certs:
                raise SamlIdPError(f"{sp_entity_id} has no encryption certificate in its metadata")
            encrypt_cert = certs[0][1]
        shift, lifetime = _timing(not_on_or_after)
        policy = Policy({"default": self._policy_defaults(lifetime)}, mds=self.server.metadata)
        with self._lock, _clock_shifted(shift):
            response = self.server.create_authn_response(
                identity=attributes,
                in_response_to=in_response_to,
                destination=destination,
                sp_entity_id=audience,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id),
                authn={
                    "class_ref": MFA_CLASS if mfa else PASSWORD_CLASS,
                    "authn_auth": self.entity_id,
                },
                issuer=issuer,
                release_policy=policy,
                sign_assertion=sign_assertion,
                sign_response=False,
                encrypt_assertion=encrypt,
                encrypt_cert_assertion=encrypt_cert,
                best_effort=True,
            )
        return str(response)

    def response(
        self,
        sp_metadata_xml: str | bytes,
        *,
        in_response_to: str | None,
        name_id: str,
        acs_url: str | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        sign_assertion: bool = True,
        encrypt: bool = False,
        mfa: bool = False,
        not_on_or_after: float | datetime.datetime | None = None,
        attributes: dict | None = None,
    ) -> str:
        """Return a base64 SAMLResponse for the SP whose metadata is given.

        ``acs_url`` defaults to the SP's first HTTP-POST ACS. ``audience`` puts another
        entity id in the AudienceRestriction (and SubjectConfirmation); ``issuer`` puts
        another Issuer on the response and its assertion, still signed with this IdP's
        key (for an assertion that is genuinely another IdP's, use a second SamlIdP).
        ``sign_assertion=False`` leaves the assertion unsigned (the response is never
        signed). ``not_on_or_after`` is seconds from now or a datetime: a past one makes
        a validly signed assertion that has expired. ``attributes`` (SAML names, or
        OIDC claim names) default to the account's when ``name_id`` is a known account.
        """
        sp_entity_id = self.load_sp_metadata(sp_metadata_xml)
        if acs_url is None:
            services = self.server.metadata.assertion_consumer_service(
                sp_entity_id, BINDING_HTTP_POST
            )
            if not services:
                raise SamlIdPError(f"{sp_entity_id} has no HTTP-POST assertion consumer service")
            acs_url = services[0]["location"]
        if attributes is None:
            attributes = self.account_attributes(name_id) or {}
        else:
            attributes = saml_attributes(attributes)
        xml = self._make_response(
            sp_entity_id=sp_entity_id,
            in_response_to=in_response_to,
            destination=acs_url,
            name_id=name_id,
            attributes=attributes,
            mfa=mfa,
            audience=audience,
            issuer=issuer,
            sign_assertion=sign_assertion,
            encrypt=encrypt,
            not_on_or_after=not_on_or_after,
        )
        return base64.b64encode(xml.encode()).decode()

    # Requests (the HTTP server) ----------------------------------------------------

    def _parse(self, parse, message: str, binding: str, **signature):
        """Parse a request with pysaml2, learning an unknown SP (or its new keys) once."""
        xml = self.server.unravel(message, binding, "request")
        issuer = defused_et.fromstring(xml).find(f"{{{saml.NAMESPACE}}}Issuer")
        if issuer is None or not (issuer.text or "").strip():
            raise SamlIdPError("the request has no Issuer")
        entity_id = issuer.text.strip()
        fetched = False
        if entity_id not in self._sp_keys:
            self.fetch_sp_metadata(entity_id)
            fetched = True
        try:
            return parse(message, binding, **signature)
        except IncorrectlySigned:
            if fetched:
                raise
        self.fetch_sp_metadata(entity_id)
        return parse(message, binding, **signature)

    def begin_sign_in(
        self, message: str, binding: str, relay_state: str | None, **signature
    ) -> str:
        """Check an AuthnRequest and keep what its response needs; return the page key."""
        with self._lock:
            request = self._parse(
                self.server.parse_authn_request,
                message,
                binding,
                relay_state=relay_state,
                **signature,
            )
            args = self.server.response_args(request.message, [BINDING_HTTP_POST])
        key = secrets.token_urlsafe(24)
        self._pending[key] = {
            "sp_entity_id": args["sp_entity_id"],
            "in_response_to": args["in_response_to"],
            "destination": args["destination"],
            "relay_state": relay_state,
        }
        return key

    def finish_sign_in(self, key: str, login: str, *, mfa: bool) -> tuple[str, dict] | None:
        """Return the ACS URL and form fields for a sign-in, or None for an unknown name."""
        pending = self._pending.get(key)
        if pending is None:
            raise SamlIdPError("this sign-in page is out of date")
        attributes = self.account_attributes(login)
        if attributes is None:
            return None
        del self._pending[key]
        xml = self._make_response(
            sp_entity_id=pending["sp_entity_id"],
            in_response_to=pending["in_response_to"],
            destination=pending["destination"],
            name_id=login,
            attributes=attributes,
            mfa=mfa,
            encrypt=self.encrypting()
            and self.server.has_encrypt_cert_in_metadata(pending["sp_entity_id"]),
        )
        fields = {"SAMLResponse": base64.b64encode(xml.encode()).decode()}
        if pending["relay_state"] is not None:
            fields["RelayState"] = pending["relay_state"]
        return pending["destination"], fields

    def logout(self, message: str, relay_state: str | None, **signature) -> str:
        """Answer a LogoutRequest; return the SP's logout URL with a signed LogoutResponse."""
        with self._lock:
            request = self._parse(
                self.server.parse_logout_request,
                message,
                BINDING_HTTP_REDIRECT,
                relay_state=relay_state,
                **signature,
            )
            response = self.server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
            destination = self.server.response_args(request.message, [BINDING_HTTP_REDIRECT])[
                "destination"
            ]
            info = self.server.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(response),
                destination,
                relay_state or "",
                response=True,
                sign=True,
            )
        return dict(info["headers"])["Location"]


# HTTP ---------------------------------------------------------------------------

_FIELD_NAMES = ("SAMLRequest", "RelayState", "SigAlg", "Signature")


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        f'<head><meta charset="utf-8"><title>{html.escape(title)}</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
        f"<body>\n<main>\n<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    ).encode()


def login_page(key: str, *, login: str = "", error: str = "") -> bytes:
    """Return the sign-in page: name, any password, and whether a second factor was used."""
    alert = f'<p role="alert">{html.escape(error)}</p>\n' if error else ""
    return _page(
        "Sign in to the test IdP",
        f"""{alert}<form method="post" action="/sso/login" autocomplete="off">
  <input type="hidden" name="key" value="{html.escape(key)}">
  <p><label for="login">Sign-in name</label>
  <input id="login" name="login" type="text" value="{html.escape(login)}" required autofocus></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password"></p>
  <p><input id="mfa" name="mfa" type="checkbox" value="1">
  <label for="mfa">I used a second factor</label></p>
  <p><button type="submit">Sign in</button></p>
</form>""",
    )


def post_page(action: str, fields: dict) -> bytes:
    """Return the HTTP-POST binding's form, which submits itself (or with "Continue")."""
    inputs = "\n".join(
        f'  <input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )
    return _page(
        "Signing in",
        f"""<form method="post" action="{html.escape(action)}">
{inputs}
  <p><button type="submit">Continue</button></p>
</form>
<script>document.forms[0].submit();</script>""",
    )


class _App:
    """The WSGI application in front of a SamlIdP."""

    def __init__(self, idp: SamlIdP):
        self.idp = idp

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        try:
            params = self._params(environ)
            status, headers, body = self._route(method, path, params)
        except Exception as error:
            print(f"saml_idp: {method} {path}: {type(error).__name__}: {error}", file=sys.stderr)
            status, headers = "400 Bad Request", [("Content-Type", "text/html; charset=utf-8")]
            body = _page(
                "Sign-in error", f"<p>{html.escape(f'{type(error).__name__}: {error}')}</p>"
            )
        start_response(status, [*headers, ("Cache-Control", "no-store")])
        return [body]

    @staticmethod
    def _params(environ) -> dict:
        query = environ.get("QUERY_STRING", "")
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode()
        return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}

    def _route(self, method: str, path: str, params: dict):
        html_type = [("Content-Type", "text/html; charset=utf-8")]
        idp = self.idp
        if method == "GET" and path == "/idp/metadata":
            return (
                "200 OK",
                [("Content-Type", "application/samlmetadata+xml")],
                idp.metadata_xml().encode(),
            )
        if path in ("/sso/redirect", "/sso/post") and "SAMLRequest" in params:
            binding = BINDING_HTTP_REDIRECT if path == "/sso/redirect" else BINDING_HTTP_POST
            signature = {}
            if binding == BINDING_HTTP_REDIRECT:
                signature = {"sigalg": params.get("SigAlg"), "signature": params.get("Signature")}
            key = idp.begin_sign_in(
                params["SAMLRequest"], binding, params.get("RelayState"), **signature
            )
            return "200 OK", html_type, login_page(key)
        if method == "POST" and path == "/sso/login":
            login = params.get("login", "").strip()
            answer = idp.finish_sign_in(params.get("key", ""), login, mfa=bool(params.get("mfa")))
            if answer is None:
                page = login_page(
                    params.get("key", ""), login=login, error="We do not know that sign-in name."
                )
                return "200 OK", html_type, page
            return "200 OK", html_type, post_page(*answer)
        if method == "GET" and path == "/slo/redirect" and "SAMLRequest" in params:
            location = idp.logout(
                params["SAMLRequest"],
                params.get("RelayState"),
                sigalg=params.get("SigAlg"),
                signature=params.get("Signature"),
            )
            return "302 Found", [("Location", location)], b""
        return "404 Not Found", html_type, _page("Not found", f"<p>{html.escape(path)}</p>")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        """Log to stderr only when asked (SAML_IDP_VERBOSE=1), to keep test output short."""
        if os.environ.get("SAML_IDP_VERBOSE"):
            super().log_message(format, *args)


def _exit_with_parent() -> None:
    """End with the test run even when it could not stop us (killed, not interrupted)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    accounts: dict | None = None,
    accounts_file: str | None = None,
    settings_file: str | None = None,
    encrypt: bool = False,
) -> None:
    """Listen on ``host:port`` (0: any free port), print ``READY <base_url>``, serve forever."""
    app = _App(None)
    httpd = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    base_url = f"http://{host}:{httpd.server_port}"
    app.idp = SamlIdP(
        base_url,
        accounts=accounts,
        accounts_file=accounts_file,
        encrypt=encrypt,
        settings_file=settings_file,
    )
    _exit_with_parent()
    # Stopped with SIGTERM by the fixture: end through `finally`, which removes the key.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY {base_url}", flush=True)
    try:
        httpd.serve_forever()
    finally:
        app.idp.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--accounts",
        default=os.environ.get("SAML_ACCOUNTS", "{}"),
        help="JSON: sign-in name -> attributes (default: $SAML_ACCOUNTS)",
    )
    parser.add_argument(
        "--accounts-file", help="a JSON file of more accounts, read at every sign-in"
    )
    parser.add_argument(
        "--settings-file", help='a JSON file such as {"encrypt": true}, read at every sign-in'
    )
    parser.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt assertions with the SP's encryption certificate",
    )
    args = parser.parse_args(argv)
    with suppress(KeyboardInterrupt):
        serve(
            host=args.host,
            port=args.port,
            accounts=json.loads(args.accounts),
            accounts_file=args.accounts_file,
            settings_file=args.settings_file,
            encrypt=args.encrypt,
        )


if __name__ == "__main__":
    main()
