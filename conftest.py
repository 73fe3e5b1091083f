import os
import secrets
import shutil

# Browser tests drive a live server from pytest's (sync) thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import translation
from hypothesis import HealthCheck, database
from hypothesis import settings as hypothesis_settings

from admin_portal.celery import app

# Property tests check behaviour, never time: no deadline, and no health check that
# measures how long generating an example took (a loaded machine is slow at times).
# "portal" (make test, CI) is derandomized: every run tries the same examples, so a
# failure is one anyone can reproduce, and no example database carries inputs from
# one run into the next. "fuzz" (make fuzz) explores new inputs with many more
# examples and keeps the failing ones under .hypothesis/, where the next run of
# make fuzz tries them first. `pytest --hypothesis-profile=fuzz` picks it.
_NOT_TIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
hypothesis_settings.register_profile("portal", derandomize=True, database=None, **_NOT_TIMED)
hypothesis_settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    database=database.DirectoryBasedExampleDatabase(".hypothesis/examples"),
    **_NOT_TIMED,
)
hypothesis_settings.load_profile("portal")


# This test process's own part of the names on servers that other runs share.
RUN_ID = secrets.token_hex(4)


def pytest_configure(config):
    # Two runs on one machine (two clones, CI beside a developer) share its PostgreSQL
    # and Redis: the test database (pytest-django adds the xdist worker's name) and the
    # cache keys carry this run's id, so neither run touches the other's.
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        test = db.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_{RUN_ID}"
    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache"):
        cache["KEY_PREFIX"] = f"{cache['KEY_PREFIX']}-{RUN_ID}"
    # Hashing dominates a suite that signs in hundreds of times; tests about
    # hashing read admin_portal.settings itself.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Celery tasks run eagerly and at once, even on the PostgreSQL + Redis run, so
    # a test sees the outcome and no worker is needed (CELERY_TASK_ALWAYS_EAGER=true).
    # The in-process thread runner of the embedded default has its own test.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PORTAL_JOBS_IN_THREAD = False
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _source_language():
    """Start each test in English, the source language.

    A request served by the test client leaves its language active in the test's
    thread (the locale middleware does not undo it), which would make the next
    test's expected texts Dutch.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_cache(monkeypatch):
    """Start each test with empty counters (lockouts, rate limits).

    On Redis, test workers and other runs share one database: ``cache.clear()``
    (FLUSHDB) would end their sessions, so it clears only this run's worker's keys.
    """
    if isinstance(caches["default"], RedisCache):
        monkeypatch.setattr(caches["default"], "clear", _clear_cache)
    _clear_cache()
    yield
    _clear_cache()


def _clear_cache():
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Test workers share one Redis: delete only this worker's keys.
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


@pytest.fixture
def end_cache_windows():
    """Return a function that ends, at once, every cache entry that has a timeout.

    Lockout and rate-limit windows then close as if their time had passed, so a test
    of "it expires" never sleeps or races a short timeout on a busy machine. Entries
    without a timeout stay; on Redis, sessions in the cache end too.
    """

    def end():
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            client = backend._cache.get_client(write=True)
            for key in client.scan_iter(match=f"{backend.key_prefix}:*", count=1000):
                if client.ttl(key) >= 0:  # -1: no timeout, -2: already gone
                    client.delete(key)
        else:  # the local-memory cache: an expiry in the past is an expired entry
            with backend._lock:
                for key, expiry in backend._expire_info.items():
                    if expiry is not None:
                        backend._expire_info[key] = 0

    return end


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


# A local DNS server for the domain verification tests (unit and browser).
from tests.dns_server import dns_server  # noqa: E402, F401
