"""Two Global admins each removing "the other" at once: exactly one of them wins.

Needs PostgreSQL: the lock on the tenant's row (SELECT ... FOR UPDATE) is what
makes the second request count what the first one left; SQLite has no
concurrent writers to race.

Each request is held just before it commits (in its audit_record) until the
other has counted too, or for at most HOLD_SECONDS when the other waits on the
lock. Without the lock both count two Global admins, both pass, and both
commit: the organization is left without one who can sign in, every run.
"""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import services as account_services
from accounts.models import User
from accounts.roles import GLOBAL_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import run_together
from users import services

# How long a request that has counted waits for the other to count as well. Only
# reached when the other is (rightly) waiting on the lock; never asserted on.
HOLD_SECONDS = 2

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (run with DATABASE_URL=postgres://...)",
    ),
]


@pytest.fixture
def pair():
    tenant = make_tenant()
    first = make_user(tenant, "first", roles=[GLOBAL_ADMIN])
    second = make_user(tenant, "second", roles=[GLOBAL_ADMIN])
    return tenant, first, second


@pytest.fixture
def held(monkeypatch):
    """Hold each request after its write, before its commit, until both have counted."""
    barrier = threading.Barrier(2)

    def hold(original):
        def audit_record(**kwargs):
            # Broken: the other request waits on the lock, so go on and commit.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=HOLD_SECONDS)
            return original(**kwargs)

        return audit_record

    monkeypatch.setattr(services, "audit_record", hold(services.audit_record))
    monkeypatch.setattr(account_services, "audit_record", hold(account_services.audit_record))


def _fresh(user):
    return User.objects.select_related("tenant").get(pk=user.pk)


def _block(tenant, actor, target):
    def work():
        return services.users_sign_in_block(
            tenant=tenant, acting_user=_fresh(actor), users=[_fresh(target)], blocked=True
        )

    return work


def _demote(tenant, actor, target):
    def work():
        return services.user_roles_set(
            tenant=tenant, acting_user=_fresh(actor), user=_fresh(target), roles=[]
        )

    return work


def _delete(tenant, actor, target):
    def work():
        return services.users_delete(
            tenant=tenant, acting_user=_fresh(actor), users=[_fresh(target)]
        )

    return work


def _signing_in_global_admins(tenant):
    return User.objects.filter(
        tenant=tenant,
        deleted_at__isnull=True,
        is_sign_in_blocked=False,
        role_assignments__role=GLOBAL_ADMIN,
    ).count()


def _one_won_one_refused(results):
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    assert refused[0].code == "last_global_admin"
    assert not any(isinstance(r, Exception) and r is not refused[0] for r in results), results


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (_block, _block),
        (_demote, _demote),
        (_delete, _delete),
        (_block, _demote),
        (_demote, _delete),
    ],
    ids=["block-block", "demote-demote", "delete-delete", "block-demote", "demote-delete"],
)
def test_two_global_admins_removing_each_other_at_once_leave_one_who_can_sign_in(
    pair, held, one, other
):
    tenant, first, second = pair

    results = run_together(one(tenant, first, second), other(tenant, second, first))

    _one_won_one_refused(results)
    assert _signing_in_global_admins(tenant) == 1
