"""Observability: one JSON log line per request, a request id on every response and on
the error pages, and error reports that carry no secrets or personal data."""

import io
import json
import logging
import re

import pytest
from django.db.utils import OperationalError
from hypothesis import given
from hypothesis import strategies as st

from admin_portal import error_reporting, request_log
from tests.admin_portal.test_settings import _manage
from tests.factories import PASSWORD
from tests.helpers import sign_in

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def request_lines():
    """Return the lines portal.request wrote, parsed, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(request_log.JsonFormatter())
    log = logging.getLogger("portal.request")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    lines = []

    def read():
        lines[:] = [json.loads(line) for line in stream.getvalue().splitlines()]
        return lines

    yield read
    log.removeHandler(handler)
    log.setLevel(old_level)


# --- the request id ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/signin/", "/users/", "/no-such-page/"])
def test_every_response_carries_a_request_id(client, path):
    response = client.get(path)

    assert HEX32.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_each_request_gets_its_own_id(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_when_the_proxy_is_trusted(client, settings):
    settings.PORTAL_TRUSTED_PROXIES = 1
    given_id = "3f2b9c1e-8d7a-4b6c-9e0f-1a2b3c4d5e6f"

    response = client.get("/healthz", headers={"X-Request-ID": given_id})

    assert response["X-Request-ID"] == given_id


@pytest.mark.django_db
def test_a_request_id_from_the_client_is_ignored_without_a_trusted_proxy(client, settings):
    settings.PORTAL_TRUSTED_PROXIES = 0

    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-the-client-1234"})

    assert HEX32.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given_id",
    [
        "short",
        "x" * 129,
        "has spaces in it here",
        "<script>alert(1)</script>",
        "line\nbreak-12345678",
        "-starts-with-a-dash",
        "ünïcödé-1234567890",
        "",
    ],
)
def test_an_odd_request_id_is_replaced_even_from_a_trusted_proxy(client, settings, given_id):
    settings.PORTAL_TRUSTED_PROXIES = 1
    request = client.get("/healthz", headers={"X-Request-ID": given_id})

    assert HEX32.fullmatch(request["X-Request-ID"])


@given(st.text(max_size=300))
def test_whatever_arrives_the_request_id_is_a_sane_token(text):
    from django.test import RequestFactory, override_settings

    with override_settings(PORTAL_TRUSTED_PROXIES=1):
        try:
            request = RequestFactory().get("/", headers={"X-Request-ID": text})
        except (ValueError, UnicodeError):
            return  # not a value a header can carry at all
        request_id = request_log.incoming_request_id(request)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}", request_id)


# --- the log line -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_request_writes_one_json_line_with_ids_and_no_query(
    client, admin, request_lines
):
    sign_in(client, admin)
    request_lines()  # what signing in wrote

    response = client.get("/users/", {"q": "Alice Jansen"})

    [line] = [entry for entry in request_lines() if entry["path"] == "/users/"]
    assert line["logger"] == "portal.request"
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["method"], line["status"]) == ("GET", 200)
    assert (line["user_id"], line["organization_id"]) == (admin.pk, admin.tenant_id)
    assert isinstance(line["duration_ms"], int | float)
    assert line["time"].endswith("Z")
    # Only ids: no name, no search, no address.
    text = json.dumps(line)
    assert "Alice" not in text and "q=" not in text
    assert admin.username not in text and "127.0.0.1" not in text


@pytest.mark.django_db
def test_an_anonymous_request_is_logged_without_ids(client, request_lines):
    response = client.post("/signin/", {"username": "nobody@example.org", "password": "x"})

    [line] = request_lines()
    assert (line["method"], line["path"], line["status"]) == ("POST", "/signin/", 200)
    assert (line["user_id"], line["organization_id"]) == (None, None)
    assert line["request_id"] == response["X-Request-ID"]
    assert "nobody" not in json.dumps(line)


@pytest.mark.django_db
def test_signing_in_is_logged_as_the_user_who_signed_in(client, admin, request_lines):
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    [line] = request_lines()
    assert line["status"] == 302
    assert line["user_id"] == admin.pk


def test_the_formatter_writes_one_line_of_json_even_for_odd_messages():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, 'two\nlines "quoted"', None, None)
    record.json = {"path": "/ü/"}

    text = request_log.JsonFormatter().format(record)

    assert "\n" not in text
    assert json.loads(text)["message"] == 'two\nlines "quoted"'
    assert json.loads(text)["path"] == "/ü/"


# --- the error pages --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("error", "status"), [(ZeroDivisionError, 500), (OperationalError, 503)])
def test_the_error_pages_show_the_request_id_of_the_header_and_the_log(
    client, admin, monkeypatch, request_lines, error, status
):
    sign_in(client, admin)

    def fail(request):
        raise error("boom")

    monkeypatch.setattr("accounts.views.home_cards", fail)
    client.raise_request_exception = False
    response = client.get("/")

    assert response.status_code == status
    request_id = response["X-Request-ID"]
    assert f"Request id: <code>{request_id}</code>" in response.content.decode()
    assert request_lines()[-1]["request_id"] == request_id
    assert request_lines()[-1]["status"] == status


@pytest.mark.django_db
def test_the_error_page_shows_the_trusted_proxys_id(client, admin, monkeypatch, settings):
    settings.PORTAL_TRUSTED_PROXIES = 1
    sign_in(client, admin)
    monkeypatch.setattr("accounts.views.home_cards", lambda request: 1 / 0)
    client.raise_request_exception = False

    response = client.get("/", headers={"X-Request-ID": "nginx-0123456789abcdef"})

    assert "nginx-0123456789abcdef" in response.content.decode()


# --- error reports (Sentry) ----------------------------------------------------------


def _event():
    return {
        "message": "Code 123456 for alice@example.org did not match",
        "request": {
            "url": "https://portal.example/users/?q=Alice+Jansen",
            "method": "POST",
            "query_string": "q=Alice+Jansen",
            "data": {"password": "Correct-Horse-42!", "username": "alice@example.org"},
            "cookies": {"portal_session": "s3ss10n", "portal_csrftoken": "csrf"},
            "headers": {
                "Authorization": "Bearer abc.def.ghi",
                "Cookie": "portal_session=s3ss10n",
                "X-CSRFToken": "csrf",
                "User-Agent": "Mozilla/5.0",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": 42, "email": "alice@example.org", "ip_address": "203.0.113.9"},
        "extra": {
            "sys.argv": ["manage.py", "createtenant", "--password", "Hunter-2-Hunter"],
            "otp_token": "654321",
            "detail": "Authorization: Bearer sk_live_abcdef",
        },
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": "Key (username)=(bob@example.org) exists; phone +31 6 12345678",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "user_create",
                                "vars": {
                                    "password": "Correct-Horse-42!",
                                    "secret_key": "django-insecure",
                                    "api_token": "tok_123",
                                    "sealed_passwords": "gAAAA...",
                                    "count": 3,
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [{"category": "query", "message": "SELECT 1", "data": {"code": "111222"}}]
        },
        "tags": {"request_id": "3f2b9c1e8d7a4b6c9e0f1a2b3c4d5e6f"},
    }


def test_the_scrubber_removes_secrets_and_personal_data():
    event = error_reporting.scrub(_event())
    text = json.dumps(event)

    for secret in (
        "Correct-Horse",
        "s3ss10n",
        'csrf"',
        "abc.def.ghi",
        "sk_live",
        "Hunter-2",
        "654321",
        "123456",
        "111222",
        "12345678",
        "alice@",
        "bob@",
        "Alice",
        "203.0.113.9",
        "django-insecure",
        "tok_123",
        "gAAAA",
    ):
        assert secret not in text, secret
    request = event["request"]
    assert "data" not in request and "cookies" not in request and "query_string" not in request
    assert request["url"] == "https://portal.example/users/"
    assert set(request["headers"]) == {"User-Agent"}
    assert event["user"] == {"id": 42}
    # What helps to find the bug stays.
    assert event["tags"]["request_id"] == "3f2b9c1e8d7a4b6c9e0f1a2b3c4d5e6f"
    assert event["exception"]["values"][0]["type"] == "IntegrityError"
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["function"] == "user_create"
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["count"] == 3


def test_the_scrubber_takes_events_without_a_request_or_user():
    assert error_reporting.scrub({"message": "plain"}) == {"message": "plain"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=30,
)


@given(st.dictionaries(st.text(), json_values))
def test_the_scrubber_never_fails_on_any_event(event):
    error_reporting.scrub(event)


@given(
    st.dictionaries(
        st.sampled_from(["password", "otp_code", "Api-Key", "token"]), st.text(min_size=1)
    )
)
def test_a_sensitive_key_never_keeps_its_value(event):
    assert all(value == error_reporting.FILTERED for value in error_reporting.scrub(event).values())


def test_sentry_is_not_started_without_a_dsn(monkeypatch):
    calls = []
    monkeypatch.setattr("sentry_sdk.init", lambda **kwargs: calls.append(kwargs))

    assert error_reporting.init(dsn="", environment="production") is False
    assert calls == []


def test_sentry_is_started_with_a_dsn_without_personal_data(monkeypatch):
    calls = []
    monkeypatch.setattr("sentry_sdk.init", lambda **kwargs: calls.append(kwargs))

    started = error_reporting.init(
        dsn="https://public@127.0.0.1:9/1", environment="staging", release="1.2.3"
    )

    assert started is True
    [options] = calls
    assert options["dsn"] == "https://public@127.0.0.1:9/1"
    assert (options["environment"], options["release"]) == ("staging", "1.2.3")
    assert options["send_default_pii"] is False
    assert options["max_request_body_size"] == "never"
    assert options["include_local_variables"] is False
    assert options["before_send"] is error_reporting.scrub


def test_the_settings_start_sentry_only_when_sentry_dsn_is_set():
    script = "import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    without = _manage("shell", "-v", "0", "-c", script)
    with_dsn = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        script,
        SENTRY_DSN="https://public@127.0.0.1:9/1",
        SENTRY_ENVIRONMENT="ci",
    )

    assert without.returncode == 0, without.stderr
    assert with_dsn.returncode == 0, with_dsn.stderr
    assert without.stdout.strip() == "False"
    assert with_dsn.stdout.strip() == "True"
