"""Operators run the product catalog in the operators' site; every change is audited."""

import pytest

from accounts.models import AuditEvent
from billing.models import Product
from tests.accounts.test_admin import verified_operator_client
from tests.billing.factories import make_subscription
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


def test_operator_adds_a_product(client):
    verified_operator_client(client)
    response = client.post(
        "/operators/billing/product/add/",
        {
            "sku": "business-premium",
            "name": "Business Premium",
            "description": "Everything",
            "monthly_price": "19.70",
            "currency": "EUR",
            "offers_monthly": "on",
            "offers_annual": "on",
            "annual_discount_percent": "10",
            "included_services": "Mail\nFiles",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get().name == "Business Premium"
    assert AuditEvent.objects.filter(action="operator.add", target_type="billing.product").exists()


def test_subscriptions_are_read_only_for_operators(client):
    subscription = make_subscription(make_tenant())
    verified_operator_client(client)
    assert client.get("/operators/billing/subscription/").status_code == 200
    page = client.get(f"/operators/billing/subscription/{subscription.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
