"""Two app nodes, one PostgreSQL, one Redis: whatever one node learns, the other knows.

Two gunicorn processes serve the portal on two loopback ports with production
settings, sharing this machine's PostgreSQL (a database made for the test) and
Redis (under a key prefix of the test's own, removed afterwards). A plain HTTP client with a
cookie jar plays the browser and moves between the nodes as a load balancer would.

Proven here: a session signed in on A is valid on B; a sign-in lockout reached
through A holds on B; the SMS send limit reached through A holds on B; an admin's
password reset on A ends the user's session on B.
"""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/12"
PASSWORD = "Multi-Node-Test-2026"
ADMIN = "admin@nodes.example"
USER = "user@nodes.example"

pytestmark = pytest.mark.system


def _reachable(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A cookie jar over plain HTTP; each request may go to any node."""

    def __init__(self):
        self.cookies = {}
        self.token = ""  # the CSRF token of the last form seen

    def request(self, port, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode({"csrfmiddlewaretoken": self.token, **data})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        if token := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content):
            self.token = token.group(1)
        return response.status, response.getheader("Location") or "", content

    def get(self, port, path):
        return self.request(port, "GET", path)

    def follow(self, port, method, path, data=None):
        """Send the request and follow redirects on the same node; return (status, path, html)."""
        status, location, content = self.request(port, method, path, data)
        while status in (301, 302, 303):
            path = urlsplit(location).path + (
                f"?{urlsplit(location).query}" if urlsplit(location).query else ""
            )
            status, location, content = self.get(port, path)
        return status, path, content

    def sign_in(self, port, username, password=PASSWORD):
        self.get(port, "/signin/")
        return self.follow(port, "POST", "/signin/", {"username": username, "password": password})


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """Start two nodes over one fresh database; yield their ports."""
    if not (_reachable("127.0.0.1", 5432) and _reachable("127.0.0.1", 6379)):
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    import psycopg
    import redis

    database = f"portal_nodes_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    prefix = f"nodes-{secrets.token_hex(4)}"
    folder = tmp_path_factory.mktemp("nodes")
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "admin_portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "PORTAL_BASE_URL": "http://127.0.0.1",
        "DATABASE_URL": f"{PG_SERVER}/{database}",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": prefix,
        "STATIC_ROOT": str(folder / "static"),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(folder / "sms"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(folder / "mail"),
        "PYTHONPATH": str(ROOT),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "shell", "-c", _SETUP.format(password=PASSWORD)], env=env, check=True, cwd=ROOT
    )
    ports, servers = [_free_port(), _free_port()], []
    try:
        for port in ports:
            servers.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "gunicorn"),
                        "admin_portal.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--threads",
                        "2",
                        "--no-control-socket",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
        for port in ports:
            deadline = time.monotonic() + 30
            while not _reachable("127.0.0.1", port):
                assert time.monotonic() < deadline, f"node on {port} did not start"
                time.sleep(0.1)
        yield {"a": ports[0], "b": ports[1], "sms": folder / "sms"}
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# Run once in the fresh database: one organization, its Global admin and a user.
_SETUP = """
from accounts.models import Domain, RoleAssignment, Tenant, User
from accounts.roles import GLOBAL_ADMIN
tenant = Tenant.objects.create(name="Nodes", require_mfa_for_admins=False)
Domain.objects.create(tenant=tenant, name="nodes.example", is_initial=True, is_default=True,
                      is_verified=True)
for name in ("admin", "user", "locked", "texter"):
    person = User(tenant=tenant, username=f"{{name}}@nodes.example", display_name=name.title())
    person.set_password("{password}")
    person.save()
RoleAssignment.objects.create(tenant=tenant, user=User.objects.get(username="admin@nodes.example"),
                              role=GLOBAL_ADMIN)
"""


def test_a_session_signed_in_on_one_node_is_valid_on_the_other(nodes):
    browser = Browser()
    status, path, _ = browser.sign_in(nodes["a"], ADMIN)
    assert (status, path) == (200, "/")

    status, location, content = browser.get(nodes["b"], "/users/")
    assert status == 200, location
    assert "user@nodes.example" in content


def test_a_lockout_reached_through_one_node_holds_on_the_other(nodes):
    attacker = Browser()
    for _ in range(5):
        status, _, content = attacker.sign_in(nodes["a"], "locked@nodes.example", "wrong")
        assert status == 200
    assert "Too many failed attempts" in content

    # The right password, through the other node, from the same address: still locked.
    status, path, content = Browser().sign_in(nodes["b"], "locked@nodes.example")
    assert path == "/signin/"
    assert "Too many failed attempts" in content


def _send_phone_code(browser, port, number):
    _, path, _ = browser.follow(port, "GET", "/security-info/phone/")
    if path.startswith("/security-info/confirm/"):
        _, path, _ = browser.follow(port, "POST", path, {"password": PASSWORD})
    assert path == "/security-info/phone/", path
    return browser.follow(port, "POST", "/security-info/phone/", {"number": number})


def test_the_sms_limit_reached_through_one_node_holds_on_the_other(nodes):
    browser = Browser()
    browser.sign_in(nodes["a"], "texter@nodes.example")
    for _ in range(3):
        _, path, content = _send_phone_code(browser, nodes["a"], "+31612340001")
        assert path == "/security-info/phone/verify/", content[:300]
    sent = len(list(nodes["sms"].glob("*")))

    _status, path, content = _send_phone_code(browser, nodes["b"], "+31612340001")
    assert "asked for too many codes" in content.replace("&#x27;", "'")
    assert len(list(nodes["sms"].glob("*"))) == sent


def test_a_password_reset_on_one_node_ends_the_session_on_the_other(nodes):
    person = Browser()
    status, path, _ = person.sign_in(nodes["b"], USER)
    assert path in ("/", "/account/", "/security-info/")
    assert person.get(nodes["b"], "/account/")[0] == 200

    admin = Browser()
    admin.sign_in(nodes["a"], ADMIN)
    _, _, content = admin.get(nodes["a"], "/users/?q=user%40nodes")
    user_id = re.search(r'href="/users/(\d+)/"[^>]*>User<', content).group(1)
    status, _, content = admin.follow(
        nodes["a"], "POST", f"/users/{user_id}/reset-password/", {"mode": "generate"}
    )
    assert status == 200 and 'data-testid="new-password"' in content

    status, location, _ = person.get(nodes["b"], "/account/")
    assert status == 302 and urlsplit(location).path == "/signin/"
