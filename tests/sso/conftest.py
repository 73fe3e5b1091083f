"""The test identity providers, each started once per test process (xdist worker).

``oidc_idp`` runs Node's oidc-provider (tests/sso/idp/oidc/server.mjs), ``saml_idp``
pysaml2's IdP server (tests/sso/idp/saml_idp.py), each in a process of its own on a
port of 127.0.0.1 the system picks, so workers never collide. Both read their clients
and accounts from JSON files on every use, so a test registers what it needs while
the provider runs: ``oidc_idp.add_client(...)``, ``oidc_idp.add_account(...)``,
``saml_idp.add_account(...)``, ``saml_idp.set_encrypt(...)``. The SAML IdP learns an
SP by fetching the SP's entity id (the portal's metadata URL) on its first request.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

IDP_DIR = Path(__file__).parent / "idp"
OIDC_DIR = IDP_DIR / "oidc"
START_SECONDS = 60  # how long a provider may take to start on a loaded machine


def _write_json(path: Path, data) -> None:
    """Replace ``path`` at once, so the provider never reads half a file."""
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def _read_json(path: Path, default):
    return json.loads(path.read_text()) if path.exists() else default


@dataclass
class OidcIdP:
    """The running OpenID Connect provider, and the files it reads clients and accounts from."""

    issuer: str
    clients_file: Path
    accounts_file: Path

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str] = (),
        **metadata,
    ) -> dict:
        """Register (or replace) a confidential client; return its metadata.

        ``metadata`` adds oidc-provider client metadata, for instance
        ``token_endpoint_auth_method="client_secret_post"`` (the default is
        ``client_secret_basic``).
        """
        client = {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris),
            **metadata,
        }
        clients = [c for c in _read_json(self.clients_file, []) if c["client_id"] != client_id]
        _write_json(self.clients_file, [*clients, client])
        return client

    def add_account(self, login: str, claims: dict) -> None:
        """Let ``login`` sign in; ``claims`` are its OpenID claims (email, name, given_name...)."""
        _write_json(self.accounts_file, {**_read_json(self.accounts_file, {}), login: claims})


@dataclass
class SamlIdPServer:
    """The running SAML IdP, and the files it reads accounts and settings from."""

    base_url: str
    accounts_file: Path
    settings_file: Path

    @property
    def metadata_url(self) -> str:
        """The IdP's metadata address, which is also its entity id."""
        return f"{self.base_url}/idp/metadata"

    @property
    def entity_id(self) -> str:
        return self.metadata_url

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    @property
    def slo_url(self) -> str:
        return f"{self.base_url}/slo/redirect"

    def metadata_xml(self) -> str:
        answer = requests.get(self.metadata_url, timeout=30)
        answer.raise_for_status()
        return answer.text

    def add_account(self, login: str, attributes: dict) -> None:
        """Let ``login`` sign in, with OIDC-style claims or SAML attributes (givenName, sn...)."""
        _write_json(self.accounts_file, {**_read_json(self.accounts_file, {}), login: attributes})

    def set_encrypt(self, encrypt: bool) -> None:
        """Encrypt the assertions of later sign-ins (for SPs with an encryption certificate)."""
        _write_json(self.settings_file, {**_read_json(self.settings_file, {}), "encrypt": encrypt})


def _start(
    command: list[str], *, env: dict, logs: Path, probe: str
) -> tuple[subprocess.Popen, str]:
    """Start a provider; wait for its ``READY <url>`` line and for ``<url><probe>`` to answer.

    Its output goes to files (a pipe nobody reads could fill and stall it); stderr is
    shown when it does not start.
    """
    stdout, stderr = logs.with_suffix(".out"), logs.with_suffix(".err")
    with stdout.open("w") as out, stderr.open("w") as err:
        # Our own helper scripts, with fixed arguments. In the test run's process group,
        # so Ctrl-C reaches them too.
        process = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=out, stderr=err, start_new_session=False
        )
    deadline = time.monotonic() + START_SECONDS
    url = None
    while time.monotonic() < deadline and process.poll() is None:
        for line in stdout.read_text().splitlines():
            if line.startswith("READY "):
                url = line.split(" ", 1)[1].strip()
        if url:
            try:
                if requests.get(url + probe, timeout=5).ok:
                    return process, url
            except requests.ConnectionError:
                pass
        time.sleep(0.05)
    _stop(process)
    pytest.fail(
        f"{command[1]} did not start (exit code {process.returncode}):\n"
        f"{stderr.read_text()[-4000:]}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def oidc_idp(tmp_path_factory):
    """Run oidc-provider for this test process; yield an OidcIdP."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "Node.js is needed for the OpenID Connect tests (apt-get install nodejs)", pytrace=False
        )
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            f"{OIDC_DIR / 'node_modules'} is missing: run `make idp-packages`", pytrace=False
        )
    directory = tmp_path_factory.mktemp("oidc-idp")
    clients_file, accounts_file = directory / "clients.json", directory / "accounts.json"
    _write_json(clients_file, [])
    _write_json(accounts_file, {})
    env = {
        **os.environ,
        "PORT": "0",
        "CLIENTS_FILE": str(clients_file),
        "ACCOUNTS_FILE": str(accounts_file),
    }
    process, issuer = _start(
        [node, str(OIDC_DIR / "server.mjs")],
        env=env,
        logs=directory / "server",
        probe="/.well-known/openid-configuration",
    )
    yield OidcIdP(issuer=issuer, clients_file=clients_file, accounts_file=accounts_file)
    _stop(process)


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory):
    """Run the pysaml2 IdP for this test process; yield a SamlIdPServer."""
    directory = tmp_path_factory.mktemp("saml-idp")
    accounts_file, settings_file = directory / "accounts.json", directory / "settings.json"
    _write_json(accounts_file, {})
    _write_json(settings_file, {"encrypt": False})
    command = [
        sys.executable,
        str(IDP_DIR / "saml_idp.py"),
        "--port",
        "0",
        "--accounts-file",
        str(accounts_file),
        "--settings-file",
        str(settings_file),
    ]
    process, base_url = _start(
        command, env=dict(os.environ), logs=directory / "server", probe="/idp/metadata"
    )
    yield SamlIdPServer(base_url=base_url, accounts_file=accounts_file, settings_file=settings_file)
    _stop(process)
