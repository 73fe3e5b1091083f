"""user_groups_set: a user's groups change all together, or not at all."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from accounts.roles import HELPDESK_ADMIN
from core.exceptions import Forbidden
from groups import services
from groups.models import Group, Membership
from tests.factories import make_tenant, make_user
from users import services as user_services

pytestmark = pytest.mark.django_db

RULE = {"field": "department", "op": "equals", "value": "Sales"}


@pytest.fixture
def pat(tenant):
    return make_user(tenant, "pat")


def security_group(tenant, name, **fields):
    return Group.objects.create(tenant=tenant, kind="security", name=name, **fields)


def team_group(tenant, groups_admin, name, owners):
    local = name.lower()
    return services.group_create(
        tenant=tenant,
        acting_user=groups_admin,
        kind="team",
        name=name,
        email=f"{local}@{tenant.domain_set.get().name}",
        privacy="private",
        owners=owners,
    )


def memberships(user):
    return set(Membership.objects.filter(user=user).values_list("group__name", "role"))


def test_adds_and_removes_in_one_change_audited_per_group(tenant, groups_admin, pat):
    laptops, printers, old = (security_group(tenant, n) for n in ("Laptops", "Printers", "Old"))
    Membership.objects.create(tenant=tenant, group=old, user=pat, role="member")
    added, removed = services.user_groups_set(
        tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops, printers], remove=[old]
    )
    assert (added, removed) == (2, 1)
    assert memberships(pat) == {("Laptops", "member"), ("Printers", "member")}
    events = AuditEvent.objects.filter(action__startswith="group.member").order_by("id")
    assert [(e.action, e.target_id) for e in events] == [
        ("group.member.add", str(laptops.pk)),
        ("group.member.add", str(printers.pk)),
        ("group.member.remove", str(old.pk)),
    ]
    assert events[0].new_values == {"users": [pat.username]}
    assert events[2].old_values == {"users": [pat.username]}


def test_adding_twice_changes_nothing_the_second_time(tenant, groups_admin, pat):
    laptops = security_group(tenant, "Laptops")
    services.user_groups_set(tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops])
    assert services.user_groups_set(
        tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops], role="member"
    ) == (0, 0)
    assert AuditEvent.objects.filter(action="group.member.add").count() == 1


def test_makes_an_owner(tenant, groups_admin, pat):
    laptops = security_group(tenant, "Laptops")
    services.user_groups_set(
        tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops], role="owner"
    )
    assert memberships(pat) == {("Laptops", "owner")}


def test_a_refusal_on_the_second_group_leaves_the_first_unchanged(tenant, groups_admin, pat):
    laptops = security_group(tenant, "Laptops")
    by_rule = security_group(tenant, "Sales", membership_rule=RULE)
    with pytest.raises(ValidationError) as raised:
        services.user_groups_set(
            tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops, by_rule]
        )
    assert raised.value.code == "rule_members"
    assert not Membership.objects.filter(user=pat).exists()
    assert (
        not AuditEvent.objects.filter(action__startswith="group.")
        .exclude(action="group.create")
        .exists()
    )


def test_removing_the_last_owner_of_the_second_group_keeps_the_first(tenant, groups_admin, pat):
    other = make_user(tenant, "other")
    first = team_group(tenant, groups_admin, "First", owners=[pat, other])
    second = team_group(tenant, groups_admin, "Second", owners=[pat])
    with pytest.raises(ValidationError) as raised:
        services.user_groups_set(
            tenant=tenant, acting_user=groups_admin, user=pat, remove=[first, second], role="owner"
        )
    assert raised.value.code == "last_owner"
    assert memberships(pat) == {("First", "owner"), ("Second", "owner")}
    assert not AuditEvent.objects.filter(action="group.owner.remove").exists()


def test_a_refusal_found_only_while_changing_undoes_the_earlier_groups(
    tenant, groups_admin, pat, monkeypatch
):
    laptops, printers = security_group(tenant, "Laptops"), security_group(tenant, "Printers")
    real_add = services.group_people_add

    def add_then_refuse(*, group, **kwargs):
        if group == printers:
            raise ValidationError("refused", code="refused")
        return real_add(group=group, **kwargs)

    monkeypatch.setattr(services, "group_people_add", add_then_refuse)
    with pytest.raises(ValidationError):
        services.user_groups_set(
            tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops, printers]
        )
    assert not Membership.objects.filter(user=pat).exists()
    assert not AuditEvent.objects.filter(action="group.member.add").exists()


def test_another_organizations_group_is_refused_and_nothing_changes(tenant, groups_admin, pat):
    laptops = security_group(tenant, "Laptops")
    foreign = security_group(make_tenant(), "Foreign")
    with pytest.raises(ValidationError) as raised:
        services.user_groups_set(
            tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops, foreign]
        )
    assert raised.value.code == "not_found"
    assert not Membership.objects.filter(user=pat).exists()


def test_a_deleted_group_or_user_is_refused(tenant, groups_admin, pat):
    from django.utils import timezone

    gone = security_group(tenant, "Gone", deleted_at=timezone.now())
    with pytest.raises(ValidationError):
        services.user_groups_set(tenant=tenant, acting_user=groups_admin, user=pat, add=[gone])
    laptops = security_group(tenant, "Laptops")
    user_services.users_delete(
        tenant=tenant, acting_user=make_user(tenant, roles=["global_admin"]), users=[pat]
    )
    pat.refresh_from_db()
    with pytest.raises(ValidationError):
        services.user_groups_set(tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops])
    assert not Membership.objects.filter(group=laptops).exists()


def test_an_unknown_role_is_refused(tenant, groups_admin, pat):
    laptops = security_group(tenant, "Laptops")
    with pytest.raises(ValidationError) as raised:
        services.user_groups_set(
            tenant=tenant, acting_user=groups_admin, user=pat, add=[laptops], role="emperor"
        )
    assert raised.value.code == "unknown_role"
    assert not Membership.objects.filter(user=pat).exists()


def test_who_may_not_change_groups_is_refused(tenant, pat):
    laptops = security_group(tenant, "Laptops")
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    with pytest.raises(Forbidden):
        services.user_groups_set(tenant=tenant, acting_user=helpdesk, user=pat, add=[laptops])
    assert not Membership.objects.filter(user=pat).exists()
