"""Groups' services: kinds, unique addresses, owners, members, delete, restore, rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from core.exceptions import Forbidden
from groups import services
from groups.models import Group, Membership
from resources.models import Resource
from tests.factories import make_tenant, make_user
from tests.groups.factories import make_group
from users import services as user_services

pytestmark = pytest.mark.django_db


def create(tenant, groups_admin, kind="team", **fields):
    return make_group(tenant, groups_admin, kind, **fields)


@pytest.mark.parametrize(
    ("kind", "fields", "error_field"),
    [
        ("team", {"email": ""}, "email"),
        ("team", {"privacy": ""}, "privacy"),
        ("team", {"owners": []}, "owners"),
        ("security", {"email": "sec@x.example"}, "email"),
        ("distribution", {"privacy": "public"}, "privacy"),
        ("shared_mailbox", {"allow_external_senders": True}, "allow_external_senders"),
        ("mail_security", {"email": ""}, "email"),
    ],
)
def test_each_kind_has_its_required_and_forbidden_fields(
    tenant, groups_admin, kind, fields, error_field
):
    with pytest.raises(ValidationError) as caught:
        create(tenant, groups_admin, kind, **fields)
    assert error_field in caught.value.message_dict
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    "kind", ["team", "distribution", "mail_security", "security", "shared_mailbox"]
)
def test_every_kind_can_be_created(tenant, groups_admin, kind):
    group = create(tenant, groups_admin, kind, allow_external_senders=kind == "distribution")
    assert group.kind == kind
    assert AuditEvent.objects.filter(action="group.create", target_id=str(group.pk)).exists()


def test_addresses_are_unique_across_users_and_groups(tenant, groups_admin, domain):
    make_user(tenant, "sales")
    with pytest.raises(ValidationError) as caught:
        create(tenant, groups_admin)
    assert "in use by a user or a group" in caught.value.message_dict["email"][0]
    group = create(tenant, groups_admin, email=f"team@{domain}")
    assert not user_services.username_available(f"team@{domain}")
    with pytest.raises(ValidationError):
        create(tenant, groups_admin, name="Other", email=f"team@{domain}")
    assert group.email == f"team@{domain}"


def test_a_team_group_keeps_one_owner(tenant, groups_admin):
    group = create(tenant, groups_admin)
    with pytest.raises(ValidationError) as caught:
        services.group_people_remove(
            tenant=tenant, acting_user=groups_admin, group=group, users=[groups_admin], role="owner"
        )
    assert caught.value.code == "last_owner"
    other = make_user(tenant)
    services.group_people_add(
        tenant=tenant, acting_user=groups_admin, group=group, users=[other], role="owner"
    )
    services.group_people_remove(
        tenant=tenant, acting_user=groups_admin, group=group, users=[groups_admin], role="owner"
    )
    assert list(
        Membership.objects.filter(group=group, role="owner").values_list("user", flat=True)
    ) == [other.pk]


def test_members_must_be_active_users_of_the_tenant(tenant, groups_admin):
    group = create(tenant, groups_admin)
    with pytest.raises(ValidationError):
        services.group_people_add(
            tenant=tenant,
            acting_user=groups_admin,
            group=group,
            users=[make_user(make_tenant())],
            role="member",
        )


def test_delete_restore_and_purge(tenant, groups_admin, domain):
    group = create(tenant, groups_admin)
    services.groups_delete(tenant=tenant, acting_user=groups_admin, groups=[group])
    assert group.email == "" and group.deleted_email == f"sales@{domain}"
    # The address is free meanwhile.
    other = create(tenant, groups_admin, name="New sales")
    with pytest.raises(ValidationError) as caught:
        services.group_restore(tenant=tenant, acting_user=groups_admin, group=group)
    assert "in use by a user or a group" in caught.value.message_dict["email"][0]
    services.group_restore(
        tenant=tenant, acting_user=groups_admin, group=group, email=f"old-sales@{domain}"
    )
    assert Group.objects.get(pk=group.pk).email == f"old-sales@{domain}"
    services.groups_delete(tenant=tenant, acting_user=groups_admin, groups=[other])
    Group.objects.filter(pk=other.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert services.deleted_groups_purge() == 1
    assert not Group.objects.filter(pk=other.pk).exists()
    with pytest.raises(ValidationError):
        Group.objects.filter(pk=group.pk).update(deleted_at=timezone.now() - timedelta(days=30))
        services.group_restore(
            tenant=tenant, acting_user=groups_admin, group=Group.objects.get(pk=group.pk)
        )


def test_team_groups_have_no_rules(tenant, groups_admin):
    group = create(tenant, groups_admin)
    with pytest.raises(ValidationError) as caught:
        services.group_rule_set(
            tenant=tenant,
            acting_user=groups_admin,
            group=group,
            rule={"field": "department", "op": "equals", "value": "x"},
        )
    assert caught.value.code == "rule_kind"


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "password", "op": "equals", "value": "x"},
        {"field": "department", "op": "regex", "value": "x"},
        {"field": "department", "op": "equals", "value": "  "},
    ],
)
def test_bad_rules_are_refused(tenant, groups_admin, rule):
    group = create(tenant, groups_admin, "security", name="S")
    with pytest.raises(ValidationError):
        services.group_rule_set(tenant=tenant, acting_user=groups_admin, group=group, rule=rule)


def test_imported_users_join_rule_groups(tenant, groups_admin, domain):
    from users import services as users_services
    from users.csv_import import UserRow

    group = create(tenant, groups_admin, "security", name="Sales people")
    services.group_rule_set(
        tenant=tenant,
        acting_user=groups_admin,
        group=group,
        rule={"field": "department", "op": "equals", "value": "Sales"},
    )
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    rows = [
        UserRow(row=2, username=f"new{n}@{domain}", display_name=f"New {n}", department="Sales")
        for n in range(3)
    ]
    users_services.users_import(tenant=tenant, acting_user=boss, rows=rows)
    assert Membership.objects.filter(group=group, role="member").count() == 3


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_a_role_without_group_rights_is_refused_with_forbidden(tenant, groups_admin, role):
    group = create(tenant, groups_admin)
    reader = make_user(tenant, roles=[role])
    with pytest.raises(Forbidden):
        services.group_update(tenant=tenant, acting_user=reader, group=group, name="X")
    with pytest.raises(Forbidden):
        services.groups_delete(tenant=tenant, acting_user=reader, groups=[group])
    with pytest.raises(Forbidden):
        create(tenant, reader, "security", name="New")
    assert Group.objects.get(pk=group.pk).name == "Sales"


def test_an_admin_of_another_organization_is_refused_with_forbidden(tenant, groups_admin):
    group = create(tenant, groups_admin)
    other = make_tenant()
    stranger = make_user(other, roles=[GLOBAL_ADMIN])
    with pytest.raises(Forbidden):
        services.group_update(tenant=tenant, acting_user=stranger, group=group, name="X")


def test_a_resources_address_is_taken_for_a_group(tenant, groups_admin, domain):
    Resource.objects.create(tenant=tenant, kind="room", name="Room", email=f"sales@{domain}")
    with pytest.raises(ValidationError) as caught:
        create(tenant, groups_admin)
    assert "in use" in caught.value.message_dict["email"][0]
