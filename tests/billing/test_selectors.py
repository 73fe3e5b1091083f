"""Rows named by an id from outside: the organization's, or 404."""

import pytest
from django.http import Http404

from billing import selectors
from tests.billing.factories import make_invoice_method, make_subscription
from tests.factories import make_operator, make_tenant

pytestmark = pytest.mark.django_db


def test_subscriptions_are_found_in_the_organization_only(billing_admin):
    own = make_subscription(billing_admin.tenant, quantity=3)
    theirs = make_subscription(make_tenant())
    found = selectors.access_subscription_by_id(billing_admin, str(own.pk))
    assert (found, found.assigned, found.available) == (own, 0, 3)
    for wrong in (theirs.pk, theirs.pk + 1000, "x", "", None, 10**30):
        with pytest.raises(Http404):
            selectors.access_subscription_by_id(billing_admin, wrong)


def test_an_expired_subscription_is_not_live(billing_admin):
    expired = make_subscription(billing_admin.tenant, status="expired")
    assert selectors.access_subscription_by_id(billing_admin, expired.pk) == expired
    with pytest.raises(Http404):
        selectors.access_live_subscription_by_id(billing_admin, expired.pk)


def test_payment_methods_are_found_in_the_organization_only(billing_admin):
    own = make_invoice_method(billing_admin.tenant)
    theirs = make_invoice_method(make_tenant())
    assert selectors.access_payment_method_by_id(billing_admin, own.pk) == own
    with pytest.raises(Http404):
        selectors.access_payment_method_by_id(billing_admin, theirs.pk)


def test_a_user_without_an_organization_reaches_nothing():
    subscription = make_subscription(make_tenant())
    operator = make_operator()
    with pytest.raises(Http404):
        selectors.access_subscription_by_id(operator, subscription.pk)
    assert not selectors.payment_methods_reachable(operator).exists()
