"""Tests for security_info.sms: backend resolution and each backend's delivery."""

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from security_info import sms
from security_info.sms import Message, SMSDeliveryError, get_backend, send_sms

NUMBER = "+31612345678"
BODY = "Your verification code is 482913"


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


class RecordingBackend:
    """A backend named by dotted path in the tests below."""

    sent = []

    def send(self, message):
        self.sent.append(message)


# Resolution ---------------------------------------------------------------


def test_unknown_backend_name_is_improperly_configured(settings):
    settings.SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        send_sms(NUMBER, BODY)


def test_unimportable_dotted_path_is_improperly_configured(settings):
    settings.SMS_BACKEND = "security_info.sms.NoSuchBackend"
    with pytest.raises(ImproperlyConfigured, match="NoSuchBackend"):
        get_backend()


def test_dotted_path_backend_receives_the_message(settings):
    settings.SMS_BACKEND = f"{__name__}.RecordingBackend"
    RecordingBackend.sent.clear()
    send_sms(NUMBER, BODY)
    assert RecordingBackend.sent == [Message(to=NUMBER, body=BODY)]


def test_short_names_resolve_to_the_bundled_backends(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path)
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/"
    expected = {
        "console": sms.ConsoleBackend,
        "locmem": sms.LocmemBackend,
        "file": sms.FileBackend,
        "http": sms.HttpBackend,
    }
    for name, backend_class in expected.items():
        settings.SMS_BACKEND = name
        assert type(get_backend()) is backend_class


def test_backend_is_resolved_at_call_time(settings, capsys):
    settings.SMS_BACKEND = "locmem"
    send_sms(NUMBER, "first")
    settings.SMS_BACKEND = "console"
    send_sms(NUMBER, "second")
    assert [m.body for m in sms.outbox] == ["first"]
    assert "second" in capsys.readouterr().out


def test_number_that_is_not_e164_is_refused(settings):
    settings.SMS_BACKEND = "locmem"
    for bad in ["0612345678", "+0612345678", "+31 6 12345678", 31612345678]:
        with pytest.raises(ValueError, match=r"E\.164"):
            send_sms(bad, BODY)
    assert sms.outbox == []


def test_message_is_immutable():
    message = Message(to=NUMBER, body=BODY)
    with pytest.raises(AttributeError):
        message.body = "changed"


# Console and locmem ---------------------------------------------------------


def test_console_backend_prints_number_and_text(settings, capsys):
    settings.SMS_BACKEND = "console"
    assert send_sms(NUMBER, BODY) is None
    assert capsys.readouterr().out == f"SMS to {NUMBER}: {BODY}\n"


def test_locmem_backend_collects_messages_in_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    send_sms(NUMBER, BODY)
    send_sms("+32470123456", "Second")
    assert sms.outbox == [Message(NUMBER, BODY), Message("+32470123456", "Second")]
    assert sms.outbox[0].to == NUMBER
    assert sms.outbox[0].body == BODY


# File -----------------------------------------------------------------------


def test_file_backend_writes_one_readable_file_per_message(settings, tmp_path):
    folder = tmp_path / "var" / "sms"  # does not exist yet
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(folder)
    send_sms(NUMBER, BODY)
    send_sms("+32470123456", "Line one\nLine two")

    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".txt", ".txt"]  # no temp files left behind
    assert files[0].read_text(encoding="utf-8") == f"{NUMBER}\n{BODY}\n"
    assert files[1].read_text(encoding="utf-8") == "+32470123456\nLine one\nLine two\n"


def test_file_backend_refuses_a_path_that_is_a_file(settings, tmp_path):
    blocker = tmp_path / "sms"
    blocker.write_text("not a folder")
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(blocker)
    with pytest.raises(ImproperlyConfigured, match="not a directory"):
        send_sms(NUMBER, BODY)


# HTTP -----------------------------------------------------------------------


class GatewayHandler(BaseHTTPRequestHandler):
    """Record each POST and answer as the test configured on the server."""

    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length", 0))
        server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
        )
        # Hold the answer back until the test ends (bounded), to outlast the client.
        if server.delay:
            server.release.wait(server.delay)
        try:
            self.send_response(server.status)
            if server.location:
                self.send_header("Location", server.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass  # The client gave up (timeout test); nothing to answer.

    def log_message(self, format, *args):
        pass  # Keep test output quiet.


@pytest.fixture
def gateway(settings, monkeypatch):
    """Run a fake SMS gateway on 127.0.0.1 and point the http backend at it."""
    # A proxy from the environment would take the request off 127.0.0.1.
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), GatewayHandler)
    server.requests = []
    server.status = 200
    server.location = None
    server.delay = 0
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_HTTP_TOKEN = ""
    settings.SMS_HTTP_TIMEOUT = 2.0
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_http_backend_posts_json_with_headers(gateway, settings):
    settings.SMS_HTTP_TOKEN = "s3cret-token"
    assert send_sms(NUMBER, BODY) is None

    [request] = gateway.requests
    assert request["path"] == "/send"
    assert json.loads(request["body"]) == {"to": NUMBER, "body": BODY}
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer s3cret-token"


def test_http_backend_sends_no_authorization_without_token(gateway):
    send_sms(NUMBER, BODY)
    [request] = gateway.requests
    assert "Authorization" not in request["headers"]


def test_http_backend_accepts_any_2xx(gateway):
    gateway.status = 202
    send_sms(NUMBER, BODY)
    assert len(gateway.requests) == 1


def test_http_backend_error_status_raises_and_logs_without_body(gateway, caplog):
    gateway.status = 500
    with (
        caplog.at_level(logging.DEBUG, logger="core.sms"),
        pytest.raises(SMSDeliveryError, match="500") as excinfo,
    ):
        send_sms(NUMBER, BODY)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "500" in warnings[0].getMessage()
    assert "482913" not in caplog.text
    assert "482913" not in str(excinfo.value)


def test_http_backend_never_logs_the_body_on_success(gateway, caplog):
    with caplog.at_level(logging.DEBUG, logger="core.sms"):
        send_sms(NUMBER, BODY)
    assert "482913" not in caplog.text
    assert all(r.levelno < logging.INFO for r in caplog.records)


def test_http_backend_does_not_follow_redirects(gateway):
    gateway.status = 302
    gateway.location = "/elsewhere"
    with pytest.raises(SMSDeliveryError, match="302"):
        send_sms(NUMBER, BODY)
    assert [r["path"] for r in gateway.requests] == ["/send"]


def test_http_backend_timeout_raises(gateway, settings, caplog):
    settings.SMS_HTTP_TIMEOUT = 0.2
    # The gateway answers only at teardown: the client's time-out is what ends the call.
    gateway.delay = 600
    with (
        caplog.at_level(logging.WARNING, logger="core.sms"),
        pytest.raises(SMSDeliveryError, match="timed out"),
    ):
        send_sms(NUMBER, BODY)
    assert "482913" not in caplog.text


def test_http_backend_closed_port_raises(settings, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    # A port the OS gives us, held but not listening: refused, and no one else can take it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/send"
        settings.SMS_HTTP_TIMEOUT = 2.0
        with pytest.raises(SMSDeliveryError, match="refused"):
            send_sms(NUMBER, BODY)


def test_http_backend_without_url_is_improperly_configured(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = ""
    with pytest.raises(ImproperlyConfigured, match="SMS_HTTP_URL"):
        send_sms(NUMBER, BODY)


def test_http_backend_refuses_non_http_url(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "file:///etc/passwd"
    with pytest.raises(ImproperlyConfigured, match="http"):
        send_sms(NUMBER, BODY)
