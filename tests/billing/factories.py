"""Billing test data: products, payment methods, subscriptions."""

from datetime import date
from decimal import Decimal
from itertools import count

from billing.models import PaymentMethod, Product, Subscription
from billing.pricing import term_end

_seq = count(1)


def make_product(**fields):
    n = next(_seq)
    defaults = {
        "sku": f"product-{n}",
        "name": f"Product {n}",
        "monthly_price": Decimal("6.00"),
        "annual_discount_percent": Decimal("10"),
        "included_services": "Mail\nFiles",
    }
    return Product.objects.create(**{**defaults, **fields})


def make_invoice_method(tenant, **fields):
    """Return the tenant's pay-by-invoice method, adding it (as default if first) when missing."""
    existing = PaymentMethod.objects.filter(tenant=tenant, kind=PaymentMethod.Kind.INVOICE).first()
    if existing:
        return existing
    is_default = not PaymentMethod.objects.filter(tenant=tenant).exists()
    return PaymentMethod.objects.create(
        tenant=tenant, kind=PaymentMethod.Kind.INVOICE, is_default=is_default, **fields
    )


def make_subscription(tenant, product=None, *, quantity=5, start=None, **fields):
    product = product or make_product()
    start = start or date.today()
    return Subscription.objects.create(
        tenant=tenant,
        product=product,
        quantity=quantity,
        frequency="monthly",
        unit_term_price=product.monthly_price,
        term_start=start,
        term_end=term_end(start, "monthly"),
        payment_method=fields.pop("payment_method", None) or make_invoice_method(tenant),
        **fields,
    )
