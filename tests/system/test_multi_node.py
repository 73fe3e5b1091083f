"""Two app nodes, one PostgreSQL, one Redis: whatever one node learns, the other knows.

Two gunicorn processes serve the portal on two loopback ports with production
settings, sharing this machine's PostgreSQL (a database made for the test) and
Redis (under a key prefix of the test's own, removed afterwards). A plain HTTP client with a
cookie jar plays the browser and moves between the nodes as a load balancer would.

Proven here: a session signed in on A is valid on B; a sign-in lockout reached
through A holds on B; the SMS send limit reached through A holds on B; an admin's
password reset on A ends the user's session on B; a bulk import confirmed on A
has its passwords set by the worker, and its progress shows on B; a users export
asked for on A is written by the worker, and B shows its progress and hands out
the file.
"""

import re
from urllib.parse import urlsplit

import pytest

from bench.cluster import Browser, Cluster, services_up, wait_for

PASSWORD = "Multi-Node-Test-2026"
ADMIN = "admin@nodes.example"
USER = "user@nodes.example"

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """Start two nodes over one fresh database; yield their ports."""
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    cluster = Cluster(tmp_path_factory.mktemp("nodes"), nodes=2)
    cluster.env["USERS_EXPORT_BACKGROUND_ROWS"] = "2"  # every users export is a job
    try:
        cluster.start(_SETUP.format(password=PASSWORD))
        worker_log = cluster.start_worker()
        yield {
            "a": cluster.ports[0],
            "b": cluster.ports[1],
            "sms": cluster.folder / "sms",
            "worker_log": worker_log,
        }
    finally:
        cluster.stop()


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
    status, path, _ = browser.sign_in(nodes["a"], ADMIN, PASSWORD)
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

    # The right password, through the other node, from the same address: still locked,
    # refused with 429 before the password is looked at.
    status, path, content = Browser().sign_in(nodes["b"], "locked@nodes.example", PASSWORD)
    assert status == 429
    assert path == "/signin/"
    assert "Try again in" in content


def _send_phone_code(browser, port, number):
    _, path, _ = browser.follow(port, "GET", "/security-info/phone/")
    if path.startswith("/security-info/confirm/"):
        _, path, _ = browser.follow(port, "POST", path, {"password": PASSWORD})
    assert path == "/security-info/phone/", path
    return browser.follow(port, "POST", "/security-info/phone/", {"number": number})


def test_the_sms_limit_reached_through_one_node_holds_on_the_other(nodes):
    browser = Browser()
    browser.sign_in(nodes["a"], "texter@nodes.example", PASSWORD)
    for _ in range(3):
        _, path, content = _send_phone_code(browser, nodes["a"], "+31612340001")
        assert path == "/security-info/phone/verify/", content[:300]
    sent = len(list(nodes["sms"].glob("*")))

    _status, path, content = _send_phone_code(browser, nodes["b"], "+31612340001")
    assert "asked for too many codes" in content.replace("&#x27;", "'")
    assert len(list(nodes["sms"].glob("*"))) == sent


def test_a_password_reset_on_one_node_ends_the_session_on_the_other(nodes):
    person = Browser()
    status, path, _ = person.sign_in(nodes["b"], USER, PASSWORD)
    assert path in ("/", "/account/", "/security-info/")
    assert person.get(nodes["b"], "/account/")[0] == 200

    admin = Browser()
    admin.sign_in(nodes["a"], ADMIN, PASSWORD)
    _, _, content = admin.get(nodes["a"], "/users/?q=user%40nodes")
    user_id = re.search(r'href="/users/(\d+)/"[^>]*>User<', content).group(1)
    status, _, content = admin.follow(
        nodes["a"], "POST", f"/users/{user_id}/reset-password/", {"mode": "generate"}
    )
    assert status == 200 and 'data-testid="new-password"' in content

    status, location, _ = person.get(nodes["b"], "/account/")
    assert status == 302 and urlsplit(location).path == "/signin/"


def test_an_import_started_on_one_node_is_finished_by_the_worker_and_shown_on_the_other(nodes):
    admin = Browser()
    admin.sign_in(nodes["a"], ADMIN, PASSWORD)
    admin.get(nodes["a"], "/users/import/")
    rows = "".join(
        f"imported{n}@nodes.example,Imported,Person {n},Imported Person {n}\n" for n in range(5)
    )
    csv = ("User Name,First Name,Last Name,Display Name\n" + rows).encode()
    status, content = admin.upload(nodes["a"], "/users/import/", "file", "people.csv", csv)
    assert status == 200 and "5 users are ready to add" in content, content[:500]
    status, path, content = admin.follow(nodes["a"], "POST", "/users/import/confirm/", {})
    job = re.search(r"/users/import/(\d+)/", path).group(1)

    wait_for(
        lambda: "5 of 5 passwords set" in admin.get(nodes["b"], f"/users/import/{job}/")[2],
        "the import's progress on node B",
        every=0.3,
    )
    assert "users.tasks.import_passwords_hash" in nodes["worker_log"].read_text()


def test_an_export_asked_for_on_one_node_is_written_by_the_worker_and_downloaded_on_the_other(
    nodes,
):
    admin = Browser()
    admin.sign_in(nodes["a"], ADMIN, PASSWORD)
    status, _, content = admin.get(nodes["a"], "/users/export/")
    assert status == 200 and 'data-testid="export-confirm"' in content, content[:500]
    status, path, _ = admin.follow(nodes["a"], "POST", "/users/export/", {"query": ""})
    job = re.search(r"/users/export/(\d+)/", path).group(1)

    wait_for(
        lambda: (
            'data-testid="export-download"' in admin.get(nodes["b"], f"/users/export/{job}/")[2]
        ),
        "the export's download link on node B",
        every=0.3,
    )
    status, _, csv_text = admin.get(nodes["b"], f"/users/export/{job}/users.csv")
    assert status == 200
    assert "user@nodes.example" in csv_text and "admin@nodes.example" in csv_text
    assert "users.tasks.export_users" in nodes["worker_log"].read_text()
