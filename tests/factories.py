"""Test data builders. Usernames are unique per call, so tests never collide."""

import itertools

from accounts.models import Domain, RoleAssignment, Tenant, User

PASSWORD = "Correct-Horse-42!"
_seq = itertools.count(1)


def make_tenant(name=None, domain=None, **fields):
    # Most tests are not about the second-factor policy; those that are turn it on.
    fields.setdefault("require_mfa_for_admins", False)
    n = next(_seq)
    tenant = Tenant.objects.create(name=name or f"Org {n}", **fields)
    Domain.objects.create(
        tenant=tenant,
        name=domain or f"org{n}.example",
        is_initial=True,
        is_default=True,
        is_verified=True,
    )
    return tenant


def make_user(tenant, local=None, *, roles=(), password=PASSWORD, **fields):
    domain = tenant.domain_set.get(is_default=True).name
    local = local or f"user{next(_seq)}"
    user = User(tenant=tenant, username=f"{local}@{domain}", **fields)
    user.set_password(password)
    user.full_clean()
    user.save()
    for role in roles:
        RoleAssignment.objects.create(tenant=tenant, user=user, role=role)
    return user


def make_operator(username=None, password=PASSWORD):
    return User.objects.create_superuser(
        username or f"operator{next(_seq)}@platform.example",
        password,
        display_name="Operator",
    )
