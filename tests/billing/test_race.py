"""20 parallel assignments of the last free license: exactly one wins.

Needs PostgreSQL: the subscription row lock (SELECT ... FOR UPDATE) is what
serializes the counting; SQLite has no concurrent writers to race.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from accounts.roles import BILLING_ADMIN
from billing import services
from billing.models import License, Subscription
from tests.billing.factories import make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import run_together

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

    def assign(candidate):
        # Each request loads its objects afresh, as a request would.
        return lambda: services.license_assign(
            tenant=tenant,
            acting_user=User.objects.get(pk=admin.pk),
            subscription=Subscription.objects.get(pk=subscription.pk),
            users=[User.objects.get(pk=candidate.pk)],
        )

    results = run_together(*[assign(candidate) for candidate in candidates])

    successes = [r for r in results if r == 1]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(successes) == 1, results
    assert len(refusals) == PARALLEL - 1, results
    assert {error.messages[0] for error in refusals} == {"No licenses left — buy more."}
    assert License.objects.filter(subscription=subscription).count() == 3
