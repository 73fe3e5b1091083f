"""The Groups area's demo data: every kind, owners, members, a rule group, a deleted group."""

import io

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Tenant, User
from groups import services
from groups.models import KINDS_WITH_EMAIL, Group, Kind, Membership
from resources.models import Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=40):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def group_counts():
    return {
        "groups": Group.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEvent.objects.filter(action__startswith="group.").count(),
    }


def rule_members(group):
    return set(
        group.memberships.filter(role=Membership.Role.MEMBER).values_list("user_id", flat=True)
    )


def test_a_live_group_of_every_kind_with_owners_from_the_demo_accounts(seed):
    tenant = seed()
    live = Group.objects.for_tenant(tenant).filter(deleted_at__isnull=True)
    assert {group.kind for group in live} == set(Kind.values)
    for group in live:
        owners = User.objects.filter(
            group_memberships__group=group, group_memberships__role="owner"
        )
        assert owners.exists(), group.name
        assert all(owner.username.endswith("@contoso.example") for owner in owners)
        assert group.memberships.filter(role=Membership.Role.MEMBER).exists(), group.name
        assert bool(group.email) == (group.kind in KINDS_WITH_EMAIL), group.name
    team = live.get(name="Sales team")
    assert team.privacy == "public"
    assert {m.user.department for m in team.memberships.filter(role="member")} == {"Sales"}


def test_group_addresses_are_unique_and_clash_with_no_user_or_resource(seed):
    tenant = seed()
    addresses = [
        g.email or g.deleted_email
        for g in Group.objects.for_tenant(tenant)
        if g.email or g.deleted_email
    ]
    assert len(addresses) == len(set(addresses))
    assert all(address.endswith("@contoso.example") for address in addresses)
    assert not User.objects.filter(username__in=addresses).exists()
    assert not Resource.objects.filter(email__in=addresses).exists()


def test_the_sales_department_follows_its_rule(seed):
    tenant = seed()
    group = Group.objects.for_tenant(tenant).get(name="Sales department")
    assert group.kind == Kind.DISTRIBUTION and group.allow_external_senders
    matches = set(
        services.rule_matches(tenant=tenant, rule=group.membership_rule).values_list(
            "pk", flat=True
        )
    )
    assert matches and rule_members(group) == matches


def test_users_added_by_a_later_run_join_the_rule_group(seed):
    tenant = seed(users=20)
    group = Group.objects.for_tenant(tenant).get(name="Sales department")
    before = rule_members(group)

    seed(users=80)

    sales = set(
        User.objects.for_tenant(tenant)
        .active()
        .filter(department="Sales")
        .values_list("pk", flat=True)
    )
    assert rule_members(group) == sales and len(sales) > len(before)


def test_the_deleted_group_can_be_restored_under_its_address(seed):
    tenant = seed()
    deleted = Group.objects.for_tenant(tenant).get(deleted_at__isnull=False)
    assert deleted.name == "Office move" and deleted.email == ""
    admin = User.objects.get(username="groupsadmin@contoso.example")

    services.group_restore(tenant=tenant, acting_user=admin, group=deleted)

    deleted.refresh_from_db()
    assert deleted.deleted_at is None and deleted.email == "officemove@contoso.example"


def test_a_second_run_adds_nothing(seed):
    seed()
    before = group_counts()

    seed()

    assert group_counts() == before


def test_a_restored_demo_group_is_not_deleted_again_or_duplicated(seed):
    tenant = seed()
    admin = User.objects.get(username="groupsadmin@contoso.example")
    deleted = Group.objects.for_tenant(tenant).get(deleted_at__isnull=False)
    services.group_restore(tenant=tenant, acting_user=admin, group=deleted)
    before = group_counts()

    seed()

    assert group_counts() == before
    assert not Group.objects.for_tenant(tenant).filter(deleted_at__isnull=False).exists()
