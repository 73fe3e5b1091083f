"""The SMS gateway goes down: the code waits in the outbox, the worker retries it, and
the user is told what is happening; when the gateway is back the code arrives and works.

Two app nodes and a worker (bench/cluster.py) send SMS with the ``http`` backend to
a fake gateway in this process, which answers 503 while "down" and records what it
takes while "up". The first try happens on the node that asked; the retries on
the worker. Nothing is lost: the gateway gets the code, once, and the user verifies
the number with it on the other node.
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.cluster import Browser, Cluster, services_up, wait_for

PASSWORD = "Gateway-Test-2026"
NUMBER = "+31612349876"

pytestmark = pytest.mark.system

_SETUP = """
from accounts.models import Domain, Tenant, User
tenant = Tenant.objects.create(name="Texts", require_mfa_for_admins=False)
Domain.objects.create(tenant=tenant, name="texts.example", is_initial=True, is_default=True,
                      is_verified=True)
person = User(tenant=tenant, username="user@texts.example", display_name="User")
person.set_password("{password}")
person.save()
"""


class Gateway(ThreadingHTTPServer):
    """A fake SMS gateway: 503 while down; while up, 202 and the message kept."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.up = False
        self.refused = 0
        self.taken = []


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.up:
            self.server.taken.append(json.loads(body))
            self.send_response(202)
        else:
            self.server.refused += 1
            self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    gateway = Gateway()
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    cluster = Cluster(tmp_path_factory.mktemp("gateway"), nodes=2)
    cluster.env.update(
        SMS_BACKEND="http",
        SMS_HTTP_URL=f"http://127.0.0.1:{gateway.server_address[1]}/messages",
        SMS_HTTP_TIMEOUT="2",
        OUTBOX_RETRY_SECONDS="1",
    )
    try:
        cluster.start(_SETUP.format(password=PASSWORD))
        cluster.start_worker()
        yield cluster, gateway
    finally:
        cluster.stop()
        gateway.shutdown()


def _text(html):
    return html.replace("&#x27;", "'")


def test_a_code_sent_while_the_gateway_is_down_arrives_when_it_is_back(setup):
    cluster, gateway = setup
    a, b = cluster.ports
    browser = Browser()
    browser.sign_in(a, "user@texts.example", PASSWORD)
    _, path, _ = browser.follow(a, "GET", "/security-info/phone/")
    if path.startswith("/security-info/confirm/"):
        browser.follow(a, "POST", path, {"password": PASSWORD})

    status, path, content = browser.follow(a, "POST", "/security-info/phone/", {"number": NUMBER})

    assert (status, path) == (200, "/security-info/phone/verify/")
    assert "The text message service isn't answering right now." in _text(content)
    assert gateway.refused >= 1 and gateway.taken == []

    # Down until the worker has retried, then back.
    wait_for(lambda: gateway.refused >= 2, "the worker retrying while the gateway is down")
    gateway.up = True
    wait_for(lambda: gateway.taken, "the worker sending the code once the gateway is back")
    assert [m["to"] for m in gateway.taken] == [NUMBER]
    code = re.search(r"\b(\d{6})\b", gateway.taken[0]["body"]).group(1)

    # On the other node the page no longer warns, and the code works.
    _, _, page = browser.get(b, "/security-info/phone/verify/")
    assert "isn't answering" not in _text(page)
    status, path, content = browser.follow(
        b, "POST", "/security-info/phone/verify/", {"code": code}
    )
    assert path == "/security-info/", content[:500]
    assert "Your mobile phone is verified." in _text(content)
    assert len(gateway.taken) == 1  # sent once, never again
    assert _text_messages(cluster) == [("sent", 0)]  # nothing left to send, its text wiped


def _text_messages(cluster):
    """Return (status, length of the sealed text) of each SMS in the outbox."""
    import psycopg

    with psycopg.connect(cluster.database_url) as connection:
        return connection.execute(
            "SELECT status, length(payload) FROM admin_portal_outboundmessage WHERE channel = 'sms'"
        ).fetchall()
