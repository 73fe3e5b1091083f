"""Groups, subscriptions, licenses and the audit log through the REST API."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import BILLING_ADMIN, GLOBAL_READER, GROUPS_ADMIN, HELPDESK_ADMIN
from billing.models import License
from groups.models import Group, Membership
from tests.api.helpers import api_secret, call, problem
from tests.billing.factories import make_subscription
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def secret_for(tenant, *roles, name="Script"):
    return api_secret(tenant, *roles, name=name, default=(GROUPS_ADMIN,))


def test_a_group_is_created_with_members_changed_and_listed(client, tenant):
    ann, bob = make_user(tenant, "ann"), make_user(tenant, "bob")
    secret = secret_for(tenant, name="Directory sync")
    created = call(
        client,
        "post",
        "/api/v1/groups",
        secret,
        {"kind": "security", "name": "Engineers", "members": [ann.pk]},
    )
    assert created.status_code == 201, created.content
    group_id = json.loads(created.content)["id"]
    event = AuditEvent.objects.get(action="group.create")
    assert event.actor_label == "api:Directory sync"
    added = call(client, "post", f"/api/v1/groups/{group_id}/members", secret, {"users": [bob.pk]})
    assert added.status_code == 204
    members = json.loads(call(client, "get", f"/api/v1/groups/{group_id}/members", secret).content)
    assert sorted(m["username"] for m in members) == sorted([ann.username, bob.username])
    removed = call(client, "delete", f"/api/v1/groups/{group_id}/members/{ann.pk}", secret)
    assert removed.status_code == 204
    assert list(Membership.objects.filter(group_id=group_id).values_list("user_id", flat=True)) == [
        bob.pk
    ]
    page = json.loads(call(client, "get", "/api/v1/groups", secret, limit=1).content)
    assert [item["name"] for item in page["items"]] == ["Engineers"]


def test_a_group_change_with_a_stale_etag_is_refused(client, tenant):
    group = Group.objects.create(tenant=tenant, kind="security", name="Old")
    secret = secret_for(tenant)
    tag = call(client, "get", f"/api/v1/groups/{group.pk}", secret)["ETag"]
    path = f"/api/v1/groups/{group.pk}"
    changed = call(client, "patch", path, secret, {"name": "New"}, **{"If-Match": tag})
    assert changed.status_code == 200 and json.loads(changed.content)["name"] == "New"
    problem(call(client, "patch", path, secret, {"name": "Lost"}, **{"If-Match": tag}), 412)
    group.refresh_from_db()
    assert group.name == "New"


def test_a_group_is_deleted_and_restored_and_bad_input_is_refused(client, tenant):
    group = Group.objects.create(tenant=tenant, kind="security", name="Temporary")
    secret = secret_for(tenant)
    assert call(client, "delete", f"/api/v1/groups/{group.pk}", secret).status_code == 204
    problem(call(client, "get", f"/api/v1/groups/{group.pk}", secret), 404)
    restored = call(client, "post", f"/api/v1/deleted-groups/{group.pk}/restore", secret, {})
    assert restored.status_code == 200, restored.content
    for body in ({"kind": "nonsense", "name": "X"}, {"kind": "team", "name": "No owner"}):
        problem(call(client, "post", "/api/v1/groups", secret, body), 422)
    problem(call(client, "post", "/api/v1/groups", secret, {"name": "No kind"}), 422)


def test_a_client_without_group_rights_is_refused(client, tenant):
    group = Group.objects.create(tenant=tenant, kind="security", name="Kept")
    helpdesk = secret_for(tenant, HELPDESK_ADMIN, name="Helpdesk")
    # A Helpdesk admin sees groups but changes none.
    assert call(client, "get", f"/api/v1/groups/{group.pk}", helpdesk).status_code == 200
    problem(call(client, "patch", f"/api/v1/groups/{group.pk}", helpdesk, {"name": "X"}), 403)
    problem(call(client, "delete", f"/api/v1/groups/{group.pk}", helpdesk), 403)
    billing = secret_for(tenant, BILLING_ADMIN, name="Billing")
    problem(call(client, "get", "/api/v1/groups", billing), 403)


def test_subscriptions_and_their_licenses_are_read(client, tenant):
    subscription = make_subscription(tenant, quantity=3)
    person = make_user(tenant, "person")
    License.objects.create(tenant=tenant, subscription=subscription, user=person)
    secret = secret_for(tenant, BILLING_ADMIN)
    [listed] = json.loads(call(client, "get", "/api/v1/subscriptions", secret).content)
    assert (listed["quantity"], listed["assigned"], listed["available"]) == (3, 1, 2)
    held = json.loads(
        call(client, "get", f"/api/v1/subscriptions/{subscription.pk}/licenses", secret).content
    )
    assert [h["username"] for h in held] == [person.username]
    problem(call(client, "get", "/api/v1/subscriptions", secret_for(tenant, name="G")), 403)


def test_the_audit_log_is_read_oldest_first_from_a_cursor_or_a_time(client, tenant, other_tenant):
    now = timezone.now()
    for n in range(5):
        AuditEvent.objects.create(
            tenant=tenant, action="user.change", target_label=f"e{n}", created_at=now
        )
    AuditEvent.objects.create(tenant=other_tenant, action="user.change", target_label="theirs")
    secret = secret_for(tenant, GLOBAL_READER)
    seen, cursor = [], ""
    while True:
        page = json.loads(
            call(client, "get", f"/api/v1/audit-events?limit=2&cursor={cursor}", secret).content
        )
        seen += [item["target"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert [name for name in seen if name.startswith("e")] == [f"e{n}" for n in range(5)]
    assert "theirs" not in seen
    later = (now + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    nothing = json.loads(call(client, "get", f"/api/v1/audit-events?since={later}", secret).content)
    assert nothing["items"] == []
    problem(call(client, "get", "/api/v1/audit-events", secret_for(tenant, name="G")), 403)


def test_another_organizations_ids_in_a_body_are_404_and_change_nothing(
    client, tenant, other_tenant, django_assert_max_num_queries
):
    group = Group.objects.create(tenant=tenant, kind="security", name="Ours")
    ours = [make_user(tenant, f"ours{n}") for n in range(3)]
    stranger = make_user(other_tenant, "stranger")
    secret = secret_for(tenant)
    for ids in ([stranger.pk], [ours[0].pk, stranger.pk], [987654321], [2**63]):
        path = f"/api/v1/groups/{group.pk}/members"
        problem(call(client, "post", path, secret, {"users": ids}), 404)
        body = {"kind": "security", "name": f"New {ids[-1]}", "owners": ids}
        problem(call(client, "post", "/api/v1/groups", secret, body), 404)
    assert not Membership.objects.filter(group__tenant=tenant).exists()
    assert list(Group.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["Ours"]
    # All the people named are read at once, however many.
    with django_assert_max_num_queries(12):
        added = call(
            client,
            "post",
            f"/api/v1/groups/{group.pk}/members",
            secret,
            {"users": [person.pk for person in ours]},
        )
    assert added.status_code == 204
