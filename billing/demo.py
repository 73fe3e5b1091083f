"""Demo data of the Billing area, added by ``manage.py seed_demo`` (idempotent)."""

from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from billing import pricing
from billing.models import License, PaymentMethod, Product, Subscription

PRODUCTS = [
    {
        "sku": "business-basic",
        "name": "Business Basic",
        "description": "Mail, calendar and file storage in the browser.",
        "monthly_price": Decimal("6.00"),
        "annual_discount_percent": Decimal("16.67"),
        "included_services": "Mail and calendar\n1 TB file storage\nOnline meetings",
    },
    {
        "sku": "business-standard",
        "name": "Business Standard",
        "description": "Everything in Basic, plus the desktop apps.",
        "monthly_price": Decimal("12.50"),
        "annual_discount_percent": Decimal("16.67"),
        "included_services": "Everything in Business Basic\nDesktop apps\nWebinars",
    },
    {
        "sku": "business-premium",
        "name": "Business Premium",
        "description": "Everything in Standard, plus device management and threat protection.",
        "monthly_price": Decimal("22.00"),
        "annual_discount_percent": Decimal("16.67"),
        "included_services": (
            "Everything in Business Standard\nDevice management\nThreat protection"
        ),
    },
]
DEMO_LICENSES = 25
DEMO_ASSIGNED = 10


def seed(*, tenant):
    """Add the catalog, pay-by-invoice and a Business Basic subscription to the demo."""
    products = {}
    for fields in PRODUCTS:
        products[fields["sku"]], _created = Product.objects.get_or_create(
            sku=fields["sku"], defaults=fields
        )
    method = PaymentMethod.objects.for_tenant(tenant).first() or PaymentMethod.objects.create(
        tenant=tenant, kind=PaymentMethod.Kind.INVOICE, is_default=True
    )
    product = products["business-basic"]
    subscription = (
        Subscription.objects.for_tenant(tenant)
        .filter(product=product)
        .exclude(status="expired")
        .first()
    )
    if subscription is None:
        today = timezone.localdate()
        subscription = Subscription.objects.create(
            tenant=tenant,
            product=product,
            quantity=DEMO_LICENSES,
            frequency=pricing.Frequency.MONTHLY,
            unit_term_price=product.monthly_price,
            term_start=today,
            term_end=pricing.term_end(today, pricing.Frequency.MONTHLY),
            payment_method=method,
        )
    if not subscription.licenses.exists():
        users = User.objects.for_tenant(tenant).active().order_by("id")[:DEMO_ASSIGNED]
        License.objects.bulk_create(
            [License(tenant=tenant, subscription=subscription, user=user) for user in users]
        )
