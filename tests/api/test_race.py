"""20 parallel API assignments of the last free license: exactly one is given.

Needs PostgreSQL: the subscription row lock is what serializes the counting.
"""

import json

import pytest
from django.db import connection
from django.test import Client

from accounts.roles import USER_ADMIN
from api.services import api_client_create
from billing.models import License
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


def test_twenty_parallel_api_assignments_of_the_last_license_give_one():
    tenant = make_tenant()
    _client, secret = api_client_create(
        tenant=tenant, acting_user=None, name="Sync", roles=[USER_ADMIN]
    )
    subscription = make_subscription(tenant, quantity=2)
    License.objects.create(tenant=tenant, subscription=subscription, user=make_user(tenant))
    candidates = [make_user(tenant) for _ in range(PARALLEL)]

    def assign(person):
        def put():
            response = Client().put(
                f"/api/v1/users/{person.pk}/licenses/{subscription.pk}",
                headers={"Authorization": f"Bearer {secret}"},
            )
            return response.status_code, response.content

        return put

    results = run_together(*[assign(person) for person in candidates])
    statuses = sorted(status for status, _body in results)
    assert statuses == [204] + [409] * (PARALLEL - 1), results
    refusals = [json.loads(body) for status, body in results if status == 409]
    assert all(body["errors"][0]["code"] == "no_licenses" for body in refusals)
    assert License.objects.filter(subscription=subscription).count() == 2
