"""Health checks for the load balancer: liveness and readiness."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.utils import OperationalError

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
