"""The Redis cache keeps one client per connection pool and behaves as Django's."""

import secrets

import pytest
import redis as redis_lib

from core.cache import RedisCache

URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
def cache():
    try:
        redis_lib.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except redis_lib.exceptions.ConnectionError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    backend = RedisCache(URL, {"KEY_PREFIX": f"test-cache-{secrets.token_hex(6)}"})
    yield backend
    backend.delete_many(["page"])  # its own keys only: other runs may share this Redis


def test_one_client_serves_every_call(cache):
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client


def test_values_round_trip_as_with_djangos_client(cache):
    cache.set("page", (b"<html>", [("Content-Type", "text/html")]), timeout=30)
    assert cache.get("page") == (b"<html>", [("Content-Type", "text/html")])
    assert cache.add("page", "other") is False
    assert cache.get_many(["page", "missing"]) == {
        "page": (b"<html>", [("Content-Type", "text/html")])
    }
    cache.delete("page")
    assert cache.get("page") is None
