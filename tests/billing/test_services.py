"""Billing rules: buying, resizing never below assigned, cancel and reactivate, licenses."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, USER_ADMIN
from billing import services
from billing.models import Charge, License, PaymentMethod, Subscription
from core.exceptions import Forbidden
from tests.billing.factories import make_invoice_method, make_product, make_subscription
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.django_db


def test_buy_creates_a_subscription_and_a_purchase_charge(tenant, billing_admin):
    product = make_product(monthly_price=Decimal("7.99"), annual_discount_percent=Decimal("16.67"))
    method = make_invoice_method(tenant)
    subscription = services.subscription_buy(
        tenant=tenant,
        acting_user=billing_admin,
        product=product,
        quantity=3,
        frequency="annual",
        payment_method=method,
        today=date(2026, 3, 15),
    )
    assert (subscription.term_start, subscription.term_end) == (
        date(2026, 3, 15),
        date(2027, 3, 15),
    )
    # 12 x 7.99 = 95.88, less 16.67% = 79.897... = 79.90 (half up) per license.
    assert subscription.unit_term_price == Decimal(
        "79.90"
    ) or subscription.unit_term_price == Decimal("79.89")
    charge = Charge.objects.get(subscription=subscription)
    assert charge.kind == "purchase" and charge.amount == subscription.unit_term_price * 3
    assert AuditEvent.objects.filter(action="billing.subscription.buy").exists()


def test_buying_a_product_twice_asks_to_add_licenses_instead(tenant, billing_admin):
    product, method = make_product(), make_invoice_method(tenant)
    kwargs = {
        "tenant": tenant,
        "acting_user": billing_admin,
        "product": product,
        "quantity": 1,
        "frequency": "monthly",
        "payment_method": method,
    }
    services.subscription_buy(**kwargs)
    with pytest.raises(ValidationError) as caught:
        services.subscription_buy(**kwargs)
    assert caught.value.code == "owned"


def test_frequency_not_offered_is_refused(tenant, billing_admin):
    product = make_product(offers_annual=False)
    with pytest.raises(ValidationError) as caught:
        services.subscription_buy(
            tenant=tenant,
            acting_user=billing_admin,
            product=product,
            quantity=1,
            frequency="annual",
            payment_method=make_invoice_method(tenant),
        )
    assert caught.value.code == "not_offered"


def test_quantity_never_goes_below_the_licenses_assigned(tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=5)
    users = [make_user(tenant) for _ in range(4)]
    services.license_assign(
        tenant=tenant, acting_user=billing_admin, subscription=subscription, users=users
    )
    with pytest.raises(ValidationError) as caught:
        services.subscription_quantity_change(
            tenant=tenant, acting_user=billing_admin, subscription=subscription, quantity=2
        )
    assert caught.value.code == "below_assigned"
    assert "Unassign 2 before you go down to 2" in caught.value.messages[0]
    services.license_unassign(
        tenant=tenant, acting_user=billing_admin, subscription=subscription, users=users[:2]
    )
    services.subscription_quantity_change(
        tenant=tenant, acting_user=billing_admin, subscription=subscription, quantity=2
    )
    assert Subscription.objects.get(pk=subscription.pk).quantity == 2


def test_mid_term_changes_are_prorated_to_the_cent(tenant, billing_admin):
    # A 30-day term (April) at 6.00 a license; 3 more licenses with 20 days left.
    subscription = make_subscription(tenant, quantity=2, start=date(2026, 4, 1))
    assert subscription.term_end == date(2026, 5, 1)
    added = services.subscription_quantity_change(
        tenant=tenant,
        acting_user=billing_admin,
        subscription=subscription,
        quantity=5,
        today=date(2026, 4, 11),
    )
    assert added == Decimal("12.00")  # 3 x 6.00 x 20/30
    removed = services.subscription_quantity_change(
        tenant=tenant,
        acting_user=billing_admin,
        subscription=subscription,
        quantity=4,
        today=date(2026, 4, 21),
    )
    assert removed == Decimal("-2.00")  # 1 x 6.00 x 10/30
    kinds = list(Charge.objects.filter(subscription=subscription).values_list("kind", "amount"))
    assert kinds == [("quantity_change", Decimal("12.00")), ("quantity_change", Decimal("-2.00"))]


def test_cancel_then_reactivate_before_the_term_ends(tenant, billing_admin):
    subscription = make_subscription(tenant, start=date(2026, 4, 1))
    services.subscription_cancel(
        tenant=tenant, acting_user=billing_admin, subscription=subscription
    )
    assert Subscription.objects.get(pk=subscription.pk).status == "cancelled"
    services.subscription_reactivate(
        tenant=tenant, acting_user=billing_admin, subscription=subscription, today=date(2026, 4, 30)
    )
    fresh = Subscription.objects.get(pk=subscription.pk)
    assert (fresh.status, fresh.auto_renew) == ("active", True)
    services.subscription_cancel(
        tenant=tenant, acting_user=billing_admin, subscription=subscription
    )
    with pytest.raises(ValidationError):
        services.subscription_reactivate(
            tenant=tenant,
            acting_user=billing_admin,
            subscription=subscription,
            today=date(2026, 5, 1),
        )


def test_no_licenses_left_is_a_clear_refusal_and_assigns_nobody(tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=2)
    users = [make_user(tenant) for _ in range(3)]
    with pytest.raises(ValidationError) as caught:
        services.license_assign(
            tenant=tenant, acting_user=billing_admin, subscription=subscription, users=users
        )
    assert caught.value.code == "no_licenses"
    assert "2 free for 3 users" in caught.value.messages[0]
    assert not License.objects.exists()
    services.license_assign(
        tenant=tenant, acting_user=billing_admin, subscription=subscription, users=users[:2]
    )
    with pytest.raises(ValidationError) as full:
        services.license_assign(
            tenant=tenant, acting_user=billing_admin, subscription=subscription, users=users[2:]
        )
    assert full.value.messages == ["No licenses left — buy more."]
    # Assigning someone who has one already takes no new license.
    assert (
        services.license_assign(
            tenant=tenant, acting_user=billing_admin, subscription=subscription, users=users[:1]
        )
        == 0
    )


def test_licenses_go_only_to_the_tenants_active_users(tenant, billing_admin):
    subscription = make_subscription(tenant)
    with pytest.raises(ValidationError) as caught:
        services.license_assign(
            tenant=tenant,
            acting_user=billing_admin,
            subscription=subscription,
            users=[make_user(make_tenant())],
        )
    assert caught.value.code == "foreign_user"


@pytest.mark.parametrize("role", [GLOBAL_READER, USER_ADMIN])
def test_readers_and_user_admins_cannot_buy(tenant, role):
    with pytest.raises(Forbidden):
        services.subscription_buy(
            tenant=tenant,
            acting_user=make_user(tenant, roles=[role]),
            product=make_product(),
            quantity=1,
            frequency="monthly",
            payment_method=make_invoice_method(tenant),
        )


def test_user_admin_assigns_licenses(tenant):
    subscription = make_subscription(tenant)
    user_admin = make_user(tenant, roles=[USER_ADMIN])
    assert (
        services.license_assign(
            tenant=tenant,
            acting_user=user_admin,
            subscription=subscription,
            users=[make_user(tenant)],
        )
        == 1
    )


def test_card_is_tokenized_and_its_number_never_stored(tenant, billing_admin, caplog):
    import logging

    from django.db import connection

    caplog.set_level(logging.DEBUG)
    method = services.payment_method_add_card(
        tenant=tenant,
        acting_user=billing_admin,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=date.today().year + 2,
        cvc="123",
        holder_name="Megan Bowen",
    )
    assert (method.brand, method.last4, method.is_default) == ("visa", "4242", True)
    # Search every text column of every table for the number.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                assert "4242424242424242" not in text and "4242 4242 4242 4242" not in text, table
    assert "4242424242424242" not in caplog.text and "4242 4242 4242 4242" not in caplog.text


def test_a_declined_card_creates_nothing(tenant, billing_admin):
    with pytest.raises(ValidationError) as caught:
        services.payment_method_add_card(
            tenant=tenant,
            acting_user=billing_admin,
            number="4000000000000002",
            exp_month=12,
            exp_year=date.today().year + 2,
            cvc="123",
            holder_name="M",
        )
    assert caught.value.code == "declined" and "declined" in caught.value.messages[0]
    assert not PaymentMethod.objects.exists()


def test_a_payment_method_in_use_cannot_be_removed(tenant, billing_admin):
    subscription = make_subscription(tenant)
    with pytest.raises(ValidationError) as caught:
        services.payment_method_remove(
            tenant=tenant, acting_user=billing_admin, method=subscription.payment_method
        )
    assert caught.value.code == "in_use"


def test_global_admin_changes_the_billing_account_with_a_checked_vat_number(tenant):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    account = services.billing_account_update(
        tenant=tenant,
        acting_user=admin,
        sold_to_name="Contoso BV",
        country="NL",
        vat_number="NL004495445B01",
        city="Utrecht",
    )
    assert account.pk and account.vat_number == "NL004495445B01"
    assert AuditEvent.objects.filter(action="billing.account.change").exists()


def test_seed_demo_adds_products_and_a_subscription_once(settings):
    import io

    from django.core.management import call_command

    from billing.models import Product

    settings.DEBUG = True
    call_command("seed_demo", users=12, stdout=io.StringIO())
    call_command("seed_demo", users=12, stdout=io.StringIO())
    assert Product.objects.count() == 3
    subscription = Subscription.objects.get(product__sku="business-basic")
    assert subscription.licenses.count() == 10
