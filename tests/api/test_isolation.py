"""Every API route that takes an id: another organization's id is 404 and changes nothing.

The routes come from the served OpenAPI schema, so a new route is swept without
being listed here; a route whose id this sweep cannot fill fails the test.
"""

import json
import re

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, RoleAssignment, User
from accounts.roles import GLOBAL_ADMIN
from api.services import api_client_create
from billing.models import License
from groups.models import Group, Membership
from tests.billing.factories import make_subscription
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# A body each operation accepts, so that only the id can make it fail.
BODIES = {
    ("patch", "/api/v1/users/{user_id}"): {"job_title": "Changed"},
    ("put", "/api/v1/users/{user_id}/roles"): {"roles": []},
    ("post", "/api/v1/deleted-users/{user_id}/restore"): {"username": "back@nowhere.example"},
    ("patch", "/api/v1/groups/{group_id}"): {"description": "Changed"},
    ("post", "/api/v1/deleted-groups/{group_id}/restore"): {},
    ("post", "/api/v1/groups/{group_id}/owners"): {"users": []},
    ("post", "/api/v1/groups/{group_id}/members"): {"users": []},
}


def _snapshot(tenant):
    return (
        sorted(User.objects.filter(tenant=tenant).values_list()),  # deleted ones too
        sorted(License.objects.filter(tenant=tenant).values_list()),
        sorted(RoleAssignment.objects.filter(tenant=tenant).values_list()),
        sorted(Group.objects.filter(tenant=tenant).values_list()),  # deleted ones too
        sorted(Membership.objects.filter(group__tenant=tenant).values_list()),
        AuditEvent.objects.filter(tenant=tenant).count(),
    )


def test_another_organizations_ids_are_404_and_change_nothing(client, tenant, other_tenant):
    secret = api_client_create(
        tenant=tenant,
        acting_user=None,
        name="Everything",
        roles=[GLOBAL_ADMIN],
        global_admin_confirmed=True,
    )[1]
    theirs = {
        "user_id": make_user(other_tenant, "theirs", roles=[GLOBAL_ADMIN]).pk,
        "subscription_id": make_subscription(other_tenant).pk,
    }
    group = Group.objects.create(tenant=other_tenant, kind="security", name="Theirs")
    gone_group = Group.objects.create(
        tenant=other_tenant, kind="security", name="Gone", deleted_at=timezone.now()
    )
    theirs["group_id"] = group.pk
    deleted = make_user(other_tenant, "gone")
    User.objects.filter(pk=deleted.pk).update(deleted_at="2026-12-01T00:00:00Z")
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    before = _snapshot(other_tenant)
    swept = []
    for path, operations in schema["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        for method in operations:
            ids = dict(theirs)
            if path.startswith("/api/v1/deleted-users/"):
                ids["user_id"] = deleted.pk
            if path.startswith("/api/v1/deleted-groups/"):
                ids["group_id"] = gone_group.pk
            assert set(names) <= set(ids), f"no id of the other organization for {path}"
            url = path.format(**ids)
            body = BODIES.get((method, path))
            response = getattr(client, method)(
                url,
                json.dumps(body) if body is not None else None,
                content_type="application/json",
                headers={"Authorization": f"Bearer {secret}"},
            )
            assert response.status_code == 404, (method, url, response.content)
            swept.append((method, path))
    assert len(swept) >= 10, swept
    assert _snapshot(other_tenant) == before
