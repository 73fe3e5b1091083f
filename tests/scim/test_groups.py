"""SCIM /Groups: the organization's security groups and their members."""

import pytest

from accounts.models import AuditEvent
from groups.models import Group, Kind, Membership
from groups.services import group_create
from tests.factories import make_user
from tests.scim.helpers import GROUP_SCHEMA, body, error, patch, scim
from tests.scim.helpers import scim_secret as secret_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(tenant):
    return secret_of(tenant)


@pytest.fixture
def people(tenant):
    return [make_user(tenant, name) for name in ("ann", "bob", "cem")]


def _members(group_id):
    pk = int(group_id.removeprefix("g"))
    rows = Membership.objects.filter(group_id=pk, role=Membership.Role.MEMBER)
    return sorted(rows.values_list("user_id", flat=True))


@pytest.fixture
def sales(client, secret, people):
    data = {
        "schemas": [GROUP_SCHEMA],
        "displayName": "Sales",
        "externalId": "8aa1a0c0",
        "members": [{"value": str(people[0].pk)}],
    }
    return body(scim(client, "post", "/Groups", secret, data), 201)


def test_create_a_security_group_with_members(client, tenant, secret, people, sales):
    group = Group.objects.get(pk=sales["id"].removeprefix("g"))
    assert (group.kind, group.name, group.external_id) == (Kind.SECURITY, "Sales", "8aa1a0c0")
    assert sales["id"] == f"g{group.pk}"
    assert sales["members"] == [
        {
            "value": str(people[0].pk),
            "$ref": f"http://testserver/scim/v2/Users/{people[0].pk}",
            "type": "User",
        }
    ]
    assert sales["meta"]["location"] == f"http://testserver/scim/v2/Groups/g{group.pk}"
    event = AuditEvent.objects.get(action="group.create", target_id=str(group.pk))
    assert event.actor_label == "api:Entra ID"


def test_entra_ids_group_requests(client, secret, people, sales):
    """Microsoft's published sequence: find by name without members, add, remove, rename."""
    found = body(
        scim(
            client,
            "get",
            '/Groups?excludedAttributes=members&filter=displayName eq "SALES"',
            secret,
        ),
        200,
    )
    assert found["totalResults"] == 1
    assert "members" not in found["Resources"][0]
    path = f"/Groups/{sales['id']}"
    member = {"$ref": None, "value": str(people[1].pk)}
    add = {"name": "addMember", "op": "Add", "path": "members", "value": [member]}
    body(scim(client, "patch", path, secret, patch(add)), 200)
    assert _members(sales["id"]) == sorted([people[0].pk, people[1].pk])
    remove = {"name": "removeMember", "op": "Remove", "path": "members", "value": [member]}
    body(scim(client, "patch", path, secret, patch(remove)), 200)
    assert _members(sales["id"]) == [people[0].pk]
    rename = {"op": "Replace", "path": "displayName", "value": "Sales EMEA"}
    assert (
        body(scim(client, "patch", path, secret, patch(rename)), 200)["displayName"] == "Sales EMEA"
    )


def test_oktas_group_requests(client, secret, people):
    created = body(
        scim(
            client,
            "post",
            "/Groups",
            secret,
            {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []},
        ),
        201,
    )
    path = f"/Groups/{created['id']}"
    renamed = patch({"op": "replace", "value": {"id": created["id"], "displayName": "Okta group"}})
    assert body(scim(client, "patch", path, secret, renamed), 200)["displayName"] == "Okta group"
    added = patch(
        {
            "op": "add",
            "path": "members",
            "value": [{"value": str(p.pk), "display": p.username} for p in people[:2]],
        }
    )
    body(scim(client, "patch", path, secret, added), 200)
    assert _members(created["id"]) == sorted(p.pk for p in people[:2])
    removed = patch({"op": "remove", "path": f'members[value eq "{people[0].pk}"]'})
    body(scim(client, "patch", path, secret, removed), 200)
    assert _members(created["id"]) == [people[1].pk]
    assert scim(client, "delete", path, secret).status_code == 204
    assert Group.objects.get(pk=created["id"].removeprefix("g")).deleted_at is not None
    error(scim(client, "get", path, secret), 404)


def test_put_replaces_name_and_members(client, secret, people, sales):
    data = {"displayName": "Sales 2", "members": [{"value": str(people[2].pk)}]}
    replaced = body(scim(client, "put", f"/Groups/{sales['id']}", secret, data), 200)
    assert replaced["displayName"] == "Sales 2" and "externalId" not in replaced
    assert _members(sales["id"]) == [people[2].pk]
    emptied = body(scim(client, "put", f"/Groups/{sales['id']}", secret, {"displayName": "S"}), 200)
    assert "members" not in emptied and _members(sales["id"]) == []


def test_replace_and_remove_all_members(client, secret, people, sales):
    path = f"/Groups/{sales['id']}"
    value = [{"value": str(people[1].pk)}, {"value": str(people[2].pk)}]
    body(
        scim(
            client,
            "patch",
            path,
            secret,
            patch({"op": "replace", "path": "members", "value": value}),
        ),
        200,
    )
    assert _members(sales["id"]) == sorted([people[1].pk, people[2].pk])
    body(scim(client, "patch", path, secret, patch({"op": "remove", "path": "members"})), 200)
    assert _members(sales["id"]) == []


@pytest.mark.parametrize(
    ("expression", "count"),
    [
        ('displayName eq "sales"', 1),
        ('displayName sw "Mark"', 1),
        ('externalId eq "8aa1a0c0"', 1),
        ('externalId eq "8AA1A0C0"', 0),
        ('members[value eq "{ann}"]', 1),
        ('members.value eq "{bob}"', 0),
        ("members pr", 1),
        ("not (members pr)", 1),
        ('members[type eq "User" and value eq "{ann}"]', 1),
        ('id eq "{sales}"', 1),
        ('id sw "g"', 2),
        ('id eq "{sales_number}"', 0),
    ],
)
def test_filters(client, tenant, groups_admin, secret, people, sales, expression, count):
    group_create(tenant=tenant, acting_user=groups_admin, kind=Kind.SECURITY, name="Marketing")
    text = expression.format(
        ann=people[0].pk, bob=people[1].pk, sales=sales["id"], sales_number=sales["id"][1:]
    )
    found = body(scim(client, "get", f"/Groups?filter={text}", secret), 200)
    assert found["totalResults"] == count, found


def test_other_kinds_of_group_are_not_scims(client, tenant, secret, people):
    team = Group.objects.create(tenant=tenant, kind=Kind.DISTRIBUTION, name="All", email="")
    error(scim(client, "get", f"/Groups/g{team.pk}", secret), 404)
    assert body(scim(client, "get", "/Groups", secret), 200)["totalResults"] == 0


@pytest.mark.parametrize(
    "members",
    [[{"value": "999999"}], [{"value": "abc"}], [{"value": None}], "everyone", [{"value": True}]],
)
def test_unknown_members_are_invalid(client, secret, members):
    data = {"displayName": "Bad", "members": members}
    error(scim(client, "post", "/Groups", secret, data), 400, "invalidValue")
    assert not Group.objects.exists()


def test_a_group_needs_a_name(client, secret):
    error(scim(client, "post", "/Groups", secret, {"members": []}), 400, "invalidValue")
    error(scim(client, "post", "/Groups", secret, {"displayName": "x" * 121}), 400, "invalidValue")


def test_list_reads_members_of_a_page_at_once(
    groups_admin, client, tenant, secret, people, django_assert_num_queries
):
    for n in range(5):
        group_create(
            tenant=tenant,
            acting_user=groups_admin,
            kind=Kind.SECURITY,
            name=f"G{n}",
            members=people,
        )
    scim(client, "get", "/Groups", secret)
    with django_assert_num_queries(3):  # the client, the page, its members
        found = body(scim(client, "get", "/Groups", secret), 200)
    assert found["totalResults"] == 5
    assert all(len(g["members"]) == 3 for g in found["Resources"])
    with django_assert_num_queries(2):
        body(scim(client, "get", "/Groups?excludedAttributes=members", secret), 200)


def test_search_over_users_and_groups(client, tenant, secret, people, sales):
    found = body(
        scim(client, "post", "/.search", secret, {"filter": 'displayName sw "s"', "count": 10}),
        200,
    )
    assert [r["id"] for r in found["Resources"]] == [sales["id"]]
    everything = body(scim(client, "post", "/.search", secret, {"attributes": ["externalId"]}), 200)
    assert everything["totalResults"] == len(people) + 1
    ids = [r["id"] for r in everything["Resources"]]
    assert len(set(ids)) == len(ids)  # ids are unique across users and groups
    page = body(scim(client, "post", "/.search", secret, {"startIndex": 3, "count": 2}), 200)
    assert [r["id"] for r in page["Resources"]] == [str(people[2].pk), sales["id"]]
    error(scim(client, "post", "/.search", secret, {"filter": 'nope eq "x"'}), 400, "invalidFilter")


def test_a_deleted_member_is_not_listed_and_does_not_block_changes(
    client, tenant, admin, secret, people, sales
):
    from users.services import users_delete

    users_delete(tenant=tenant, acting_user=admin, users=[people[0]])
    path = f"/Groups/{sales['id']}"
    assert "members" not in body(scim(client, "get", path, secret), 200)
    member = [{"value": str(people[1].pk)}]
    added = patch({"op": "add", "path": "members", "value": member})
    assert body(scim(client, "patch", path, secret, added), 200)["members"][0]["value"] == str(
        people[1].pk
    )
