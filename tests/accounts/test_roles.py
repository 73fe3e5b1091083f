"""The role data and the one rule for who may reset whose password."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import roles
from accounts.models import User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    SERVICE_SUPPORT_ADMIN,
    USER_ADMIN,
    can_assign_role,
    can_reset_password,
    permissions_for_roles,
)
from tests.factories import make_operator, make_tenant, make_user

NO_ROLE = None

# Column and row order of the table below.
ORDER = [
    NO_ROLE,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    USER_ADMIN,
    HELPDESK_ADMIN,
    GROUPS_ADMIN,
    BILLING_ADMIN,
    SERVICE_SUPPORT_ADMIN,
    REPORTS_READER,
]
SHORT = {
    NO_ROLE: "none",
    GLOBAL_ADMIN: "GA",
    GLOBAL_READER: "GR",
    USER_ADMIN: "UA",
    HELPDESK_ADMIN: "HA",
    GROUPS_ADMIN: "GrA",
    BILLING_ADMIN: "BA",
    SERVICE_SUPPORT_ADMIN: "SSA",
    REPORTS_READER: "RR",
}

# May the actor (row) reset the password of a holder of the target role (column)?
# "Y" yes, "." no. Actor and target are two different people of one organization.
#
#                   target:  none  GA   GR   UA   HA   GrA  BA   SSA  RR
RESET_TABLE = {
    NO_ROLE:               " .    .    .    .    .    .    .    .    . ",
    GLOBAL_ADMIN:          " Y    Y    Y    Y    Y    Y    Y    Y    Y ",
    GLOBAL_READER:         " .    .    .    .    .    .    .    .    . ",
    USER_ADMIN:            " Y    .    .    Y    Y    Y    .    .    Y ",
    HELPDESK_ADMIN:        " Y    .    .    .    Y    .    .    .    Y ",
    GROUPS_ADMIN:          " .    .    .    .    .    .    .    .    . ",
    BILLING_ADMIN:         " .    .    .    .    .    .    .    .    . ",
    SERVICE_SUPPORT_ADMIN: " .    .    .    .    .    .    .    .    . ",
    REPORTS_READER:        " .    .    .    .    .    .    .    .    . ",
}  # fmt: skip

RESET_CASES = [
    pytest.param(
        actor_role,
        target_role,
        mark == "Y",
        id=f"{SHORT[actor_role]}-resets-{SHORT[target_role]}-{'yes' if mark == 'Y' else 'no'}",
    )
    for actor_role, row in RESET_TABLE.items()
    for target_role, mark in zip(ORDER, row.split(), strict=True)
]

# Targets holding several roles are protected by the most protected of them.
MULTI_ROLE_TARGETS = {
    "HA+RR": (HELPDESK_ADMIN, REPORTS_READER),
    "HA+GrA": (HELPDESK_ADMIN, GROUPS_ADMIN),
    "UA+GA": (USER_ADMIN, GLOBAL_ADMIN),
    "RR+BA": (REPORTS_READER, BILLING_ADMIN),
    "GrA+UA": (GROUPS_ADMIN, USER_ADMIN),
}
MULTI_ROLE_CASES = [
    # (actor role, target, expected)
    (HELPDESK_ADMIN, "HA+RR", True),
    (USER_ADMIN, "HA+RR", True),
    (HELPDESK_ADMIN, "HA+GrA", False),
    (USER_ADMIN, "HA+GrA", True),
    (USER_ADMIN, "UA+GA", False),
    (GLOBAL_ADMIN, "UA+GA", True),
    (HELPDESK_ADMIN, "RR+BA", False),
    (USER_ADMIN, "RR+BA", False),
    (GLOBAL_ADMIN, "RR+BA", True),
    (HELPDESK_ADMIN, "GrA+UA", False),
    (USER_ADMIN, "GrA+UA", True),
]


def test_the_reset_table_covers_every_role_pair():
    assert set(ORDER) == {None, *roles.ROLES}
    assert set(RESET_TABLE) == set(ORDER)
    assert len(RESET_CASES) == 81


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """One organization with an actor and a target per role, built once per module.

    Everything is rolled back at the end, like ``setUpTestData``. Roles are
    loaded up front, so the table tests themselves need no database.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        tenant = make_tenant()
        other = make_tenant()

        def person(role_codes):
            user = make_user(tenant, roles=role_codes)
            user.role_codes  # noqa: B018 (load and cache the roles)
            return user

        actors = {role: person([role] if role else []) for role in ORDER}
        targets = {role: person([role] if role else []) for role in ORDER}
        multi = {name: person(codes) for name, codes in MULTI_ROLE_TARGETS.items()}
        multi_actor = person([HELPDESK_ADMIN, GROUPS_ADMIN])
        foreign_admin = make_user(other, roles=[GLOBAL_ADMIN])
        foreign_user = make_user(other)
        for user in (foreign_admin, foreign_user):
            user.role_codes  # noqa: B018
        operator = make_operator()
        operator.role_codes  # noqa: B018
        yield SimpleNamespace(
            tenant=tenant,
            actors=actors,
            targets=targets,
            multi=multi,
            multi_actor=multi_actor,
            foreign_admin=foreign_admin,
            foreign_user=foreign_user,
            operator=operator,
        )
        transaction.set_rollback(True)


@pytest.mark.parametrize(("actor_role", "target_role", "expected"), RESET_CASES)
def test_can_reset_password_follows_the_role_table(people, actor_role, target_role, expected):
    actor = people.actors[actor_role]
    target = people.targets[target_role]
    assert can_reset_password(actor, target) is expected


@pytest.mark.parametrize(
    ("actor_role", "target_name", "expected"),
    MULTI_ROLE_CASES,
    ids=[f"{SHORT[a]}-resets-{t}-{'yes' if e else 'no'}" for a, t, e in MULTI_ROLE_CASES],
)
def test_multi_role_target_is_protected_by_its_most_protected_role(
    people, actor_role, target_name, expected
):
    actor = people.actors[actor_role]
    assert can_reset_password(actor, people.multi[target_name]) is expected


def test_multi_role_actor_has_the_rights_of_each_of_its_roles(people):
    actor = people.multi_actor  # Helpdesk admin + Groups admin
    assert can_reset_password(actor, people.targets[NO_ROLE])
    assert can_reset_password(actor, people.targets[HELPDESK_ADMIN])
    assert not can_reset_password(actor, people.targets[GROUPS_ADMIN])
    assert not can_reset_password(actor, people.targets[GLOBAL_ADMIN])


@pytest.mark.parametrize("role", ORDER, ids=[SHORT[r] for r in ORDER])
def test_nobody_resets_their_own_password(people, role):
    user = people.actors[role]
    assert not can_reset_password(user, user)


def test_global_admin_cannot_reset_across_organizations(people):
    assert not can_reset_password(people.foreign_admin, people.targets[NO_ROLE])
    assert not can_reset_password(people.actors[GLOBAL_ADMIN], people.foreign_user)


def test_helpdesk_cannot_reset_global_admin(people):
    assert not can_reset_password(people.actors[HELPDESK_ADMIN], people.targets[GLOBAL_ADMIN])


def test_anonymous_missing_or_operator_actor_resets_nobody(people):
    target = people.targets[NO_ROLE]
    assert not can_reset_password(None, target)
    assert not can_reset_password(AnonymousUser(), target)
    assert not can_reset_password(people.operator, target)
    assert not can_reset_password(people.actors[GLOBAL_ADMIN], None)


def test_only_a_global_admin_assigns_privileged_roles(people):
    global_admin = people.actors[GLOBAL_ADMIN]
    privileged = {code for code, role in roles.ROLES.items() if role.privileged}
    assert privileged == {GLOBAL_ADMIN, GLOBAL_READER, BILLING_ADMIN, SERVICE_SUPPORT_ADMIN}
    for code in roles.ROLES:
        assert can_assign_role(global_admin, code)
        # A User admin manages the limited roles; other roles assign nothing.
        assert can_assign_role(people.actors[USER_ADMIN], code) == (code not in privileged)
        for actor_role in (HELPDESK_ADMIN, GLOBAL_READER):
            assert not can_assign_role(people.actors[actor_role], code), (actor_role, code)
    assert not can_assign_role(global_admin, "no_such_role")
    assert not can_assign_role(AnonymousUser(), HELPDESK_ADMIN)


# --- permissions -----------------------------------------------------------

READ_ALL = {
    roles.ADMIN_CENTER,
    roles.VIEW_USERS,
    roles.VIEW_ROLES,
    roles.VIEW_AUDIT,
    roles.VIEW_TENANT,
    roles.VIEW_DOMAINS,
}
EXPECTED_PERMISSIONS = {
    GLOBAL_ADMIN: READ_ALL
    | {
        roles.ADD_USERS,
        roles.CHANGE_USERS,
        roles.DELETE_USERS,
        roles.RESET_PASSWORDS,
        roles.ASSIGN_ROLES,
        roles.CHANGE_TENANT,
        roles.CHANGE_DOMAINS,
        roles.VIEW_PARTNERS,
        roles.CHANGE_PARTNERS,
    },
    GLOBAL_READER: READ_ALL | {roles.VIEW_PARTNERS},
    USER_ADMIN: {
        roles.ADMIN_CENTER,
        roles.VIEW_USERS,
        roles.ADD_USERS,
        roles.CHANGE_USERS,
        roles.DELETE_USERS,
        roles.VIEW_ROLES,
        roles.RESET_PASSWORDS,
        roles.ASSIGN_ROLES,
    },
    HELPDESK_ADMIN: {roles.ADMIN_CENTER, roles.VIEW_USERS, roles.RESET_PASSWORDS},
    GROUPS_ADMIN: {roles.ADMIN_CENTER, roles.VIEW_USERS},
    BILLING_ADMIN: {roles.ADMIN_CENTER},
    SERVICE_SUPPORT_ADMIN: {roles.ADMIN_CENTER},
    REPORTS_READER: {roles.ADMIN_CENTER},
}
# Every permission any role grants in this area, to test the ones a role lacks.
ALL_PERMISSIONS = set().union(*EXPECTED_PERMISSIONS.values())


@pytest.mark.parametrize("role", list(EXPECTED_PERMISSIONS), ids=list(EXPECTED_PERMISSIONS))
def test_permissions_for_a_role(role):
    # Later areas add permissions to roles; the ones of this area stay exactly these.
    granted = permissions_for_roles([role])
    assert granted & ALL_PERMISSIONS == EXPECTED_PERMISSIONS[role]
    assert {p for p in granted if p.startswith("accounts.")} == EXPECTED_PERMISSIONS[role]


def _is_read(permission):
    return permission.split(".", 1)[1].startswith("view_")


def test_the_global_reader_holds_every_read_of_the_global_admin_and_no_write():
    # "Sees everything a Global admin sees, and changes nothing", in every area.
    admin = permissions_for_roles([GLOBAL_ADMIN])
    reader = permissions_for_roles([GLOBAL_READER])
    assert reader == {permission for permission in admin if _is_read(permission)}
    assert {roles.VIEW_SUPPORT_REQUESTS, roles.VIEW_RESOURCES, roles.VIEW_REPORTS} <= reader
    assert not {roles.OPEN_SUPPORT_REQUESTS, roles.CHANGE_RESOURCES} & reader


def test_permissions_for_roles_is_the_union_and_ignores_unknown_codes():
    assert permissions_for_roles([]) == frozenset()
    assert permissions_for_roles(["no_such_role"]) == frozenset()
    assert permissions_for_roles([HELPDESK_ADMIN, GLOBAL_READER]) == (
        permissions_for_roles([HELPDESK_ADMIN]) | permissions_for_roles([GLOBAL_READER])
    )


def test_every_admin_role_opens_the_admin_center():
    for code in roles.ROLES:
        assert roles.ADMIN_CENTER in permissions_for_roles([code])


@pytest.mark.parametrize("role", ORDER, ids=[SHORT[r] for r in ORDER])
def test_backend_grants_a_tenant_user_exactly_their_roles_permissions(people, role):
    user = people.actors[role]
    expected = permissions_for_roles([role] if role else [])
    assert user.get_all_permissions() == set(expected)
    for perm in ALL_PERMISSIONS:
        assert user.has_perm(perm) is (perm in expected), perm
    assert user.has_module_perms("accounts") is bool(expected)


@pytest.mark.django_db
def test_backend_reads_roles_from_the_database():
    tenant = make_tenant()
    user = make_user(tenant, roles=[HELPDESK_ADMIN, GLOBAL_READER])
    fresh = User.objects.get(pk=user.pk)
    assert fresh.get_all_permissions() == set(
        permissions_for_roles([HELPDESK_ADMIN, GLOBAL_READER])
    )
    assert fresh.has_perm(roles.RESET_PASSWORDS)
    assert fresh.has_perm(roles.VIEW_AUDIT)
    assert not fresh.has_perm(roles.ASSIGN_ROLES)
    # Django's model permissions are not what grants a tenant user anything.
    assert not fresh.has_perm("accounts.delete_auditevent")


@pytest.mark.django_db
def test_operator_keeps_django_model_permissions():
    operator = make_operator()
    assert operator.has_perm("accounts.change_tenant")
    assert operator.has_perm("accounts.view_auditevent")


@pytest.mark.django_db
@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_tenant_user_cannot_be_an_operator(flag):
    tenant = make_tenant()
    user = make_user(tenant)
    setattr(user, flag, True)
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert flag in caught.value.message_dict
    assert caught.value.error_dict[flag][0].code == "operator_tenant"


@pytest.mark.django_db
def test_tenant_user_flagged_superuser_in_the_database_gets_only_role_permissions():
    from accounts.models import User
    from tests.factories import make_tenant, make_user

    tenant = make_tenant()
    user = make_user(tenant, roles=[roles.HELPDESK_ADMIN], display_name="Hal")
    User.objects.filter(pk=user.pk).update(is_superuser=True)  # bypasses clean()
    user = User.objects.get(pk=user.pk)
    assert user.has_perm(roles.RESET_PASSWORDS)
    assert not user.has_perm(roles.VIEW_AUDIT)
    assert not user.has_perm(roles.ASSIGN_ROLES)
