"""Faults on two app nodes: the database or Redis goes away, then comes back.

The nodes reach PostgreSQL and Redis through loopback proxies (bench/cluster.py)
that the test cuts, as a stopped server would look to them, without stopping
this machine's servers, which other tests share.

- PostgreSQL away for 10 seconds: pages answer a 503 page (no stack trace),
  ``/readyz`` answers 503, a write sent meanwhile leaves nothing behind, and once
  the database is back the nodes serve again by themselves (no restart).
- Redis away: sign-in fails closed (a 503 page; nothing is checked uncounted, so
  there is no window for unlimited tries), and comes back by itself.

How soon they heal is printed, not asserted: a busy machine is slow, not wrong.
"""

import re
import time

import pytest

from bench.cluster import Browser, Cluster, services_up, wait_for

PASSWORD = "Fault-Test-2026"
OUTAGE_SECONDS = 10

pytestmark = pytest.mark.system

_SETUP = """
from accounts.models import Domain, RoleAssignment, Tenant, User
from accounts.roles import GLOBAL_ADMIN
tenant = Tenant.objects.create(name="Faults", require_mfa_for_admins=False)
Domain.objects.create(tenant=tenant, name="faults.example", is_initial=True, is_default=True,
                      is_verified=True)
for name in ("admin", "user"):
    person = User(tenant=tenant, username=f"{{name}}@faults.example", display_name=name.title())
    person.set_password("{password}")
    person.save()
RoleAssignment.objects.create(tenant=tenant, user=User.objects.get(username="admin@faults.example"),
                              role=GLOBAL_ADMIN)
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    cluster = Cluster(tmp_path_factory.mktemp("faults"), nodes=2)
    try:
        cluster.start(_SETUP.format(password=PASSWORD), proxies=True)
        yield cluster
    finally:
        cluster.stop()


def _job_title(cluster, username):
    import psycopg

    with psycopg.connect(cluster.database_url) as connection:
        return connection.execute(
            "SELECT job_title FROM accounts_user WHERE username = %s", [username]
        ).fetchone()[0]


def test_a_database_outage_gives_503s_loses_nothing_and_heals_by_itself(cluster):
    a, b = cluster.ports
    admin = Browser()
    status, path, _ = admin.sign_in(a, "admin@faults.example", PASSWORD)
    assert (status, path) == (200, "/")
    _, _, listing = admin.get(b, "/users/?q=user%40faults")
    user_id = re.search(r'href="/users/(\d+)/"[^>]*>User<', listing).group(1)
    admin.get(a, f"/users/{user_id}/edit/")  # the form's CSRF token

    cluster.database_proxy.cut()
    try:
        outage_started = time.monotonic()
        for port in (a, b):
            status, _, content = admin.get(port, "/users/")
            assert status == 503, content[:300]
            assert "unavailable for a moment" in content
            # Nothing of the error reaches the page (the page's random request id may
            # hold any digits, so the port number alone is no sign of a leak).
            for leak in ("Traceback", "OperationalError", "connection to server", "127.0.0.1"):
                assert leak not in content
            assert admin.get(port, "/readyz")[0] == 503
        status, _, _ = admin.request(
            a, "POST", f"/users/{user_id}/edit/", {"display_name": "User", "job_title": "Lost?"}
        )
        assert status == 503
        time.sleep(max(0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
    finally:
        cluster.database_proxy.restore()

    took = wait_for(
        lambda: all(admin.get(port, "/readyz")[0] == 200 for port in (a, b)),
        "both nodes ready again after the database came back",
    )
    print(f"the nodes served again {took:.1f} s after the database came back")
    # The same session goes on, on both nodes, and the refused write left nothing.
    assert admin.get(a, "/users/")[0] == 200
    assert admin.get(b, "/users/")[0] == 200
    assert _job_title(cluster, "user@faults.example") != "Lost?"


def test_without_redis_sign_in_fails_closed_and_comes_back(cluster):
    a, b = cluster.ports
    cluster.redis_proxy.cut()
    try:
        for port in (a, b):
            visitor = Browser()
            visitor.get(port, "/signin/")
            status, _, content = visitor.request(
                port,
                "POST",
                "/signin/",
                {"username": "user@faults.example", "password": "wrong"},
            )
            assert status == 503, content[:300]
            assert "unavailable for a moment" in content
            # The right password is not let through either: nothing is checked uncounted.
            status, _, _ = visitor.request(
                port,
                "POST",
                "/signin/",
                {"username": "user@faults.example", "password": PASSWORD},
            )
            assert status == 503
    finally:
        cluster.redis_proxy.restore()

    def signs_in():
        status, path, _ = Browser().sign_in(b, "user@faults.example", PASSWORD)
        return status == 200 and path != "/signin/"

    took = wait_for(signs_in, "a sign-in after Redis came back")
    print(f"sign-in worked again {took:.1f} s after Redis came back")
