"""20 parallel assignments of the last free license: exactly one wins.

Needs PostgreSQL: the subscription row lock (SELECT ... FOR UPDATE) is what
serializes the counting; SQLite has no concurrent writers to race.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import User
from accounts.roles import BILLING_ADMIN
from billing import services
from billing.models import License, Subscription
from tests.billing.factories import make_subscription
from tests.factories import make_tenant, make_user

PARALLEL = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (run with DATABASE_URL=postgres://...)",
    ),
]


def test_twenty_parallel_assignments_of_the_last_license_give_one_success():
    tenant = make_tenant()
    admin = make_user(tenant, roles=[BILLING_ADMIN])
    subscription = make_subscription(tenant, quantity=3)
    holders = [make_user(tenant) for _ in range(2)]
    services.license_assign(
        tenant=tenant, acting_user=admin, subscription=subscription, users=holders
    )
    candidates = [make_user(tenant) for _ in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)
    results = [None] * PARALLEL

    def assign(index):
        try:
            actor = User.objects.get(pk=admin.pk)
            target = User.objects.get(pk=candidates[index].pk)
            fresh = Subscription.objects.get(pk=subscription.pk)
            barrier.wait(timeout=30)
            results[index] = services.license_assign(
                tenant=tenant, acting_user=actor, subscription=fresh, users=[target]
            )
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    successes = [r for r in results if r == 1]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(successes) == 1, results
    assert len(refusals) == PARALLEL - 1, results
    assert {error.messages[0] for error in refusals} == {"No licenses left — buy more."}
    assert License.objects.filter(subscription=subscription).count() == 3
