"""Two app nodes: an API client revoked or expired is refused at once on every node.

Two gunicorn processes with production settings share this machine's PostgreSQL
and Redis. A client's secret works on both; revoked from a third process (as an
admin on any node would), its very next request on either node is refused; a
changed secret with a grace period leaves the old one working on both.
"""

import http.client
import json

import pytest

from bench.cluster import Cluster, services_up

pytestmark = pytest.mark.system

SCIM_USERS = "/scim/v2/Users?filter=userName%20eq%20%22one@apinodes.example%22"

_SETUP = """
from accounts.models import Domain, Tenant, User
tenant = Tenant.objects.create(name="Api nodes", require_mfa_for_admins=False)
Domain.objects.create(tenant=tenant, name="apinodes.example", is_initial=True,
                      is_default=True, is_verified=True)
User.objects.create(tenant=tenant, username="one@apinodes.example", display_name="One")
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    cluster = Cluster(tmp_path_factory.mktemp("apinodes"), nodes=2)
    try:
        cluster.start(_SETUP)
        yield cluster
    finally:
        cluster.stop()


def _status(port, secret, path="/api/v1/users"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"Bearer {secret}"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def _token(cluster, name):
    done = cluster.manage(
        "create_api_token", "apinodes.example", name, "--role", "user_admin", capture=True
    )
    return done.stdout.strip().splitlines()[-1]


def _shell(cluster, code):
    return cluster.manage("shell", "-c", code, capture=True).stdout.strip()


def test_a_revoked_client_is_refused_at_once_on_every_node(cluster):
    secret = _token(cluster, "Revoked soon")
    for port in cluster.ports:
        status, body = _status(port, secret)
        assert status == 200, body
        assert "one@apinodes.example" in {u["username"] for u in json.loads(body)["items"]}
        status, body = _status(port, secret, SCIM_USERS)
        assert status == 200, body
    _shell(
        cluster,
        "from api.models import ApiClient; from api.services import api_client_revoke; "
        "c = ApiClient.objects.get(name='Revoked soon'); "
        "api_client_revoke(tenant=c.tenant, acting_user=None, client=c)",
    )
    for port in cluster.ports:
        assert _status(port, secret)[0] == 401
        assert _status(port, secret, SCIM_USERS)[0] == 401


def test_an_expired_client_is_refused_at_once_on_every_node(cluster):
    secret = _token(cluster, "Expires soon")
    for port in cluster.ports:
        assert _status(port, secret, SCIM_USERS)[0] == 200
    _shell(
        cluster,
        "from datetime import timedelta; from django.utils import timezone; "
        "from api.models import ApiClient; "
        "ApiClient.objects.filter(name='Expires soon')"
        ".update(expires_at=timezone.now() - timedelta(seconds=1))",
    )
    for port in cluster.ports:
        assert _status(port, secret)[0] == 401
        assert _status(port, secret, SCIM_USERS)[0] == 401


def test_a_changed_secret_and_the_old_one_in_its_grace_period_work_on_every_node(cluster):
    old = _token(cluster, "Rotated")
    new = _shell(
        cluster,
        "from api.models import ApiClient; from api.services import api_client_rotate; "
        "c = ApiClient.objects.get(name='Rotated'); "
        "print(api_client_rotate(tenant=c.tenant, acting_user=None, client=c, grace_hours=1))",
    ).splitlines()[-1]
    assert new != old
    for port in cluster.ports:
        assert _status(port, new)[0] == 200
        assert _status(port, old)[0] == 200
    _shell(
        cluster,
        "from api.models import ApiClient; from api.services import api_client_rotate; "
        "c = ApiClient.objects.get(name='Rotated'); "
        "api_client_rotate(tenant=c.tenant, acting_user=None, client=c, grace_hours=0)",
    )
    for port in cluster.ports:
        assert _status(port, old)[0] == 401
        assert _status(port, new)[0] == 401  # the second change replaced it too
