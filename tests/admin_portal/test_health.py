"""Health checks for the load balancer: liveness and readiness."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.utils import InterfaceError, OperationalError

pytestmark = pytest.mark.django_db


def _fail(*args, **kwargs):
    raise OperationalError("the service is down")


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_database(client, monkeypatch):
    monkeypatch.setattr(connection, "cursor", _fail)
    assert client.get("/healthz").status_code == 200


def test_readyz_answers_200_with_database_and_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_answers_503_when_the_database_fails(client, monkeypatch):
    monkeypatch.setattr(connection, "cursor", _fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "error: OperationalError", "cache": "ok"}


def test_readyz_answers_503_when_the_cache_fails(client, monkeypatch):
    monkeypatch.setattr(cache, "set", _fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error: OperationalError"}


def test_readyz_answers_503_when_the_cache_loses_what_it_was_given(client, monkeypatch):
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error: no round trip"


def test_readyz_does_not_leak_error_details(client, monkeypatch):
    monkeypatch.setattr(connection, "cursor", _fail)
    assert "the service is down" not in client.get("/readyz").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_that_stops_answering_gives_a_503_page_without_details(
    client, monkeypatch, caplog, error
):
    from accounts.roles import GLOBAL_ADMIN
    from tests.factories import make_tenant, make_user
    from tests.helpers import sign_in

    admin = make_user(make_tenant(), "admin", roles=[GLOBAL_ADMIN])
    sign_in(client, admin)

    def fail(request):
        raise error("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr("accounts.views.home_cards", fail)
    client.raise_request_exception = False
    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    content = response.content.decode()
    assert "unavailable for a moment" in content
    # Nothing of the error reaches the page (the page's random request id may
    # hold any digits, so the port number alone is no sign of a leak).
    for leak in ("Traceback", "OperationalError", "connection to server", "127.0.0.1"):
        assert leak not in content
    assert "Service unavailable" in caplog.text


@pytest.mark.django_db
def test_other_errors_still_give_the_500_page(client, monkeypatch):
    from accounts.roles import GLOBAL_ADMIN
    from tests.factories import make_tenant, make_user
    from tests.helpers import sign_in

    sign_in(client, make_user(make_tenant(), "admin", roles=[GLOBAL_ADMIN]))
    monkeypatch.setattr("accounts.views.home_cards", lambda request: 1 / 0)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
