"""Writes on the shared model: each validates, runs in a transaction and audits itself."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import AuditEvent, Domain, RoleAssignment, Tenant, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    SERVICE_SUPPORT_ADMIN,
    USER_ADMIN,
)
from tests.factories import PASSWORD, make_operator, make_tenant, make_user

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Tenant.objects.count(),
        Domain.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    )


def _codes(error):
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def _create(**overrides):
    fields = {
        "name": "Contoso",
        "domain": "contoso.example",
        "admin_username": "admin@contoso.example",
        "admin_password": PASSWORD,
        "country": "NL",
    }
    return services.tenant_create(**{**fields, **overrides})


# --- tenant_create -----------------------------------------------------------


def test_tenant_create_writes_tenant_domain_admin_and_audit_events():
    operator = make_operator()
    tenant = _create(
        name="  Contoso  ",
        domain="Contoso.EXAMPLE",
        admin_username="Admin@Contoso.example",
        acting_user=operator,
        admin_display_name="Megan Bowen",
    )
    assert tenant.name == "Contoso"
    assert tenant.status == Tenant.Status.ACTIVE
    assert str(tenant.country) == "NL"

    [domain] = Domain.objects.for_tenant(tenant)
    assert domain.name == "contoso.example"
    assert domain.is_initial and domain.is_default and domain.is_verified

    [admin] = User.objects.for_tenant(tenant)
    assert admin.username == "admin@contoso.example"
    assert admin.display_name == "Megan Bowen"
    assert admin.check_password(PASSWORD)
    assert not admin.is_staff and not admin.is_superuser
    assert admin.role_codes == {GLOBAL_ADMIN}

    events = {e.action: e for e in AuditEvent.objects.for_tenant(tenant)}
    assert set(events) == {"tenant.create", "role.assign"}
    created = events["tenant.create"]
    assert created.actor == operator
    assert created.target_type == "accounts.tenant"
    assert created.target_id == str(tenant.pk)
    assert created.new_values == {"name": "Contoso", "domain": "contoso.example", "country": "NL"}
    assigned = events["role.assign"]
    assert assigned.target_id == str(admin.pk)
    assert assigned.new_values == {"role": GLOBAL_ADMIN}


def test_tenant_create_with_international_domain():
    tenant = _create(domain="Bücher.example", admin_username="anna@bücher.example")
    assert tenant.domain_set.get().name == "xn--bcher-kva.example"
    assert User.objects.for_tenant(tenant).get().username == "anna@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"domain": "TAKEN.example", "admin_username": "admin@taken.example"}, "domain_taken"),
        ({"admin_username": "admin@fabrikam.example"}, "foreign_domain"),
        ({"admin_username": "contoso.example"}, "foreign_domain"),
        ({"admin_password": "password"}, "password_too_common"),
        ({"admin_password": "short1!"}, "password_too_short"),
        ({"admin_password": "1234567890123"}, "password_entirely_numeric"),
        ({"name": "  "}, "required"),
        ({"domain": "not a domain"}, "invalid"),
        ({"country": "XX"}, "invalid_choice"),
    ],
    ids=[
        "taken-domain",
        "foreign-username",
        "username-without-local-part",
        "common-password",
        "short-password",
        "numeric-password",
        "no-name",
        "bad-domain",
        "bad-country",
    ],
)
def test_tenant_create_refuses_bad_input_and_writes_nothing(overrides, code):
    make_tenant(domain="taken.example")
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        _create(**overrides)
    assert code in _codes(caught.value)
    assert _counts() == before


# --- roles ---------------------------------------------------------------------


@pytest.fixture
def org():
    tenant = make_tenant()
    return {
        "tenant": tenant,
        "global_admin": make_user(tenant, roles=[GLOBAL_ADMIN]),
        "user_admin": make_user(tenant, roles=[USER_ADMIN]),
        "helpdesk": make_user(tenant, roles=[HELPDESK_ADMIN]),
        "user": make_user(tenant),
    }


def test_role_assign_writes_the_assignment_and_an_audit_event(org):
    tenant, actor, user = org["tenant"], org["global_admin"], org["user"]
    assignment = services.role_assign(
        tenant=tenant, user=user, role=HELPDESK_ADMIN, acting_user=actor
    )
    assert assignment.assigned_by == actor
    assert user.role_codes == {HELPDESK_ADMIN}  # the cached roles were forgotten
    event = AuditEvent.objects.get(action="role.assign", target_id=str(user.pk))
    assert event.tenant == tenant
    assert event.actor == actor
    assert event.actor_label == actor.username
    assert event.old_values == {}
    assert event.new_values == {"role": HELPDESK_ADMIN}


def test_role_assign_twice_changes_nothing(org):
    args = {"tenant": org["tenant"], "user": org["user"], "role": HELPDESK_ADMIN}
    services.role_assign(**args, acting_user=org["global_admin"])
    services.role_assign(**args, acting_user=org["global_admin"])
    assert RoleAssignment.objects.filter(user=org["user"]).count() == 1
    assert AuditEvent.objects.filter(action="role.assign").count() == 1


def test_role_remove_writes_an_audit_event_with_the_old_value(org):
    tenant, actor, helpdesk = org["tenant"], org["global_admin"], org["helpdesk"]
    helpdesk.role_codes  # noqa: B018 (cache the roles, to see them forgotten)
    services.role_remove(tenant=tenant, user=helpdesk, role=HELPDESK_ADMIN, acting_user=actor)
    assert helpdesk.role_codes == frozenset()
    event = AuditEvent.objects.get(action="role.remove")
    assert event.actor == actor
    assert event.target_id == str(helpdesk.pk)
    assert event.old_values == {"role": HELPDESK_ADMIN}
    assert event.new_values == {}


def test_role_remove_of_a_role_not_held_writes_nothing(org):
    services.role_remove(
        tenant=org["tenant"], user=org["user"], role=HELPDESK_ADMIN, acting_user=org["global_admin"]
    )
    assert not AuditEvent.objects.filter(action="role.remove").exists()


@pytest.mark.parametrize(
    "role", [GLOBAL_ADMIN, GLOBAL_READER, BILLING_ADMIN, SERVICE_SUPPORT_ADMIN]
)
def test_user_admin_cannot_assign_privileged_roles(org, role):
    with pytest.raises(ValidationError) as caught:
        services.role_assign(
            tenant=org["tenant"], user=org["user"], role=role, acting_user=org["user_admin"]
        )
    assert caught.value.code == "privileged_role"
    assert not RoleAssignment.objects.filter(user=org["user"]).exists()
    assert not AuditEvent.objects.filter(action="role.assign").exists()


@pytest.mark.parametrize("role", [USER_ADMIN, HELPDESK_ADMIN, GROUPS_ADMIN, REPORTS_READER])
def test_user_admin_assigns_the_limited_roles(org, role):
    services.role_assign(
        tenant=org["tenant"], user=org["user"], role=role, acting_user=org["user_admin"]
    )
    assert RoleAssignment.objects.filter(user=org["user"], role=role).exists()


def test_helpdesk_admin_cannot_assign_roles(org):
    with pytest.raises(ValidationError):
        services.role_assign(
            tenant=org["tenant"],
            user=org["user"],
            role=HELPDESK_ADMIN,
            acting_user=org["helpdesk"],
        )


def test_user_admin_cannot_take_a_global_admins_role(org):
    second = make_user(org["tenant"], roles=[GLOBAL_ADMIN])
    with pytest.raises(ValidationError) as caught:
        services.role_remove(
            tenant=org["tenant"], user=second, role=GLOBAL_ADMIN, acting_user=org["user_admin"]
        )
    assert caught.value.code == "privileged_role"
    assert second.role_assignments.filter(role=GLOBAL_ADMIN).exists()


def test_global_admin_assigns_privileged_roles(org):
    for role in (GLOBAL_ADMIN, GLOBAL_READER, USER_ADMIN):
        services.role_assign(
            tenant=org["tenant"], user=org["user"], role=role, acting_user=org["global_admin"]
        )
    assert User.objects.get(pk=org["user"].pk).role_codes == {
        GLOBAL_ADMIN,
        GLOBAL_READER,
        USER_ADMIN,
    }


def test_last_global_admin_cannot_be_removed(org):
    admin = org["global_admin"]
    with pytest.raises(ValidationError) as caught:
        services.role_remove(tenant=org["tenant"], user=admin, role=GLOBAL_ADMIN, acting_user=admin)
    assert caught.value.code == "last_global_admin"
    assert admin.role_assignments.filter(role=GLOBAL_ADMIN).exists()
    assert not AuditEvent.objects.filter(action="role.remove").exists()


def test_a_global_admin_can_be_removed_while_another_remains(org):
    admin = org["global_admin"]
    second = make_user(org["tenant"], roles=[GLOBAL_ADMIN])
    services.role_remove(tenant=org["tenant"], user=second, role=GLOBAL_ADMIN, acting_user=admin)
    assert not second.role_assignments.exists()


def test_deleted_global_admin_does_not_count_as_the_remaining_one(org):
    from django.utils import timezone

    admin = org["global_admin"]
    make_user(org["tenant"], roles=[GLOBAL_ADMIN], deleted_at=timezone.now())
    with pytest.raises(ValidationError):
        services.role_remove(tenant=org["tenant"], user=admin, role=GLOBAL_ADMIN, acting_user=admin)


def test_a_blocked_global_admin_does_not_count_as_the_remaining_one(org):
    # The reported sequence: promote X to Global admin, block X, remove your own role.
    tenant, admin = org["tenant"], org["global_admin"]
    services.role_assign(tenant=tenant, user=org["user"], role=GLOBAL_ADMIN, acting_user=admin)
    User.objects.filter(pk=org["user"].pk).update(is_sign_in_blocked=True)
    with pytest.raises(ValidationError) as caught:
        services.role_remove(tenant=tenant, user=admin, role=GLOBAL_ADMIN, acting_user=admin)
    assert caught.value.code == "last_global_admin"
    assert caught.value.messages == [
        "An organization needs at least one Global admin who can sign in. First make someone "
        "else Global admin, or allow a blocked Global admin to sign in again."
    ]
    assert admin.role_assignments.filter(role=GLOBAL_ADMIN).exists()
    assert not AuditEvent.objects.filter(action="role.remove").exists()


def test_an_inactive_global_admin_does_not_count_as_the_remaining_one(org):
    admin = org["global_admin"]
    make_user(org["tenant"], roles=[GLOBAL_ADMIN], is_active=False)
    with pytest.raises(ValidationError):
        services.role_remove(tenant=org["tenant"], user=admin, role=GLOBAL_ADMIN, acting_user=admin)


def test_a_global_admin_in_another_organization_does_not_count(org):
    admin = org["global_admin"]
    make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    with pytest.raises(ValidationError):
        services.role_remove(tenant=org["tenant"], user=admin, role=GLOBAL_ADMIN, acting_user=admin)


def test_a_blocked_global_admin_loses_the_role_while_one_who_can_sign_in_remains(org):
    tenant, admin = org["tenant"], org["global_admin"]
    blocked = make_user(tenant, roles=[GLOBAL_ADMIN], is_sign_in_blocked=True)
    services.role_remove(tenant=tenant, user=blocked, role=GLOBAL_ADMIN, acting_user=admin)
    assert not blocked.role_assignments.exists()


def test_the_only_global_admins_being_blocked_may_not_lose_the_role_either(org):
    # Nobody can sign in as a Global admin any more (an operator blocked them): taking
    # the role away would leave the organization with none at all.
    tenant, admin = org["tenant"], org["global_admin"]
    User.objects.filter(pk=admin.pk).update(is_sign_in_blocked=True)
    with pytest.raises(ValidationError) as caught:
        services.role_remove(tenant=tenant, user=admin, role=GLOBAL_ADMIN, acting_user=None)
    assert caught.value.code == "last_global_admin"


def test_global_admins_keep_names_nobody_who_holds_the_role(org):
    # Blocking or deleting people without the role never needs a Global admin left.
    tenant = org["tenant"]
    User.objects.filter(pk=org["global_admin"].pk).update(is_sign_in_blocked=True)
    services.global_admins_keep(tenant=tenant, losing=[org["user"], org["helpdesk"]])
    with pytest.raises(ValidationError):
        services.global_admins_keep(tenant=tenant, losing=[org["global_admin"]])


def test_role_cannot_be_given_to_a_user_of_another_tenant(org):
    stranger = make_user(make_tenant())
    with pytest.raises(ValidationError) as caught:
        services.role_assign(
            tenant=org["tenant"], user=stranger, role=HELPDESK_ADMIN, acting_user=None
        )
    assert caught.value.code == "foreign_user"


def test_global_admin_of_another_tenant_cannot_change_roles(org):
    foreign_admin = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    with pytest.raises(ValidationError) as caught:
        services.role_assign(
            tenant=org["tenant"], user=org["user"], role=GLOBAL_ADMIN, acting_user=foreign_admin
        )
    assert caught.value.code == "foreign_actor"
    assert not RoleAssignment.objects.filter(user=org["user"]).exists()


def test_unknown_role_is_refused(org):
    with pytest.raises(ValidationError) as caught:
        services.role_assign(
            tenant=org["tenant"], user=org["user"], role="emperor", acting_user=org["global_admin"]
        )
    assert caught.value.code == "unknown_role"


# --- tenant_set_status -------------------------------------------------------------


def test_tenant_set_status_suspends_and_reactivates_with_audit_events():
    tenant = make_tenant()
    operator = make_operator()
    services.tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED, acting_user=operator)
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.SUSPENDED
    suspended = AuditEvent.objects.get(action="tenant.suspend")
    assert suspended.tenant == tenant
    assert suspended.actor == operator
    assert suspended.old_values == {"status": "active"}
    assert suspended.new_values == {"status": "suspended"}

    services.tenant_set_status(tenant=tenant, status=Tenant.Status.ACTIVE, acting_user=operator)
    tenant.refresh_from_db()
    assert tenant.is_active
    reactivated = AuditEvent.objects.get(action="tenant.reactivate")
    assert reactivated.old_values == {"status": "suspended"}
    assert reactivated.new_values == {"status": "active"}


def test_tenant_set_status_to_the_same_status_writes_nothing():
    tenant = make_tenant()
    services.tenant_set_status(tenant=tenant, status=Tenant.Status.ACTIVE, acting_user=None)
    assert not AuditEvent.objects.exists()


def test_tenant_set_status_refuses_an_unknown_status():
    tenant = make_tenant()
    with pytest.raises(ValidationError):
        services.tenant_set_status(tenant=tenant, status="deleted", acting_user=None)
    tenant.refresh_from_db()
    assert tenant.is_active


def test_suspended_tenants_users_cannot_sign_in():
    tenant = make_tenant()
    user = make_user(tenant)
    services.tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED, acting_user=None)
    user = User.objects.select_related("tenant").get(pk=user.pk)
    assert not user.can_sign_in


# --- password_change ---------------------------------------------------------------


def test_password_change_sets_the_password_and_audits():
    user = make_user(make_tenant(), must_change_password=True)
    services.password_change(user=user, new_password="A-new-Passw0rd!")
    user.refresh_from_db()
    assert user.check_password("A-new-Passw0rd!")
    assert not user.must_change_password
    event = AuditEvent.objects.get(action="password.change")
    assert event.actor == user
    assert event.tenant == user.tenant
    assert "A-new-Passw0rd!" not in str(event.new_values) + str(event.old_values)
