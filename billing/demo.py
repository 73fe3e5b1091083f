"""Demo data of the Billing area, added by ``manage.py seed_demo`` (idempotent).

The demo organization bought Business Basic two months ago and Business
Premium (annual) last month, has a billing account, pays by invoice, keeps a
card on file, and has the invoices of the two previous months: the older one
paid, the last one due.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.audit import audit_record
from accounts.management.commands.seed_demo import demo_account
from accounts.models import User
from billing import invoicing, payments, pricing, services
from billing.models import BillingAccount, Charge, Invoice, PaymentMethod, Product, Subscription

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
# Business Basic: bought with fewer licenses, topped up two weeks later.
BASIC_FIRST_QUANTITY = 20
DEMO_LICENSES = 25
DEMO_ASSIGNED = 10
# Business Premium (annual) for the admins who manage devices.
PREMIUM_LICENSES = 5
PREMIUM_HOLDERS = ["admin", "useradmin", "helpdesk"]
BILLING_ACCOUNT = {
    "address_line1": "Harbour Street 12",
    "postal_code": "1011 AB",
    "city": "Amsterdam",
}
# The fake provider's documented test Visa (billing.payments.FakePaymentProvider);
# no other provider is ever handed it.
TEST_VISA = "4242424242424242"
TEST_CVC = "123"


def seed(*, tenant):
    """Add the catalog, a billing account, payment methods, subscriptions and two invoices."""
    products = {}
    for fields in PRODUCTS:
        products[fields["sku"]], _created = Product.objects.get_or_create(
            sku=fields["sku"], defaults=fields
        )
    admin = demo_account(tenant, "billing")
    account = _billing_account(tenant, admin)
    method = _invoice_method(tenant, admin)
    card = _card(tenant, admin)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    two_months_ago = pricing.add_months(this_month, -2)
    last_month = pricing.add_months(this_month, -1)

    basic = _live(tenant, products["business-basic"])
    if basic is None:
        basic = services.subscription_buy(
            tenant=tenant,
            acting_user=admin,
            product=products["business-basic"],
            quantity=BASIC_FIRST_QUANTITY,
            frequency=pricing.Frequency.MONTHLY,
            payment_method=method,
            today=two_months_ago,
        )
        services.subscription_quantity_change(
            tenant=tenant,
            acting_user=admin,
            subscription=basic,
            quantity=DEMO_LICENSES,
            today=two_months_ago + timedelta(days=14),
        )
    premium = _live(tenant, products["business-premium"])
    if premium is None:
        premium = services.subscription_buy(
            tenant=tenant,
            acting_user=admin,
            product=products["business-premium"],
            quantity=PREMIUM_LICENSES,
            frequency=pricing.Frequency.ANNUAL,
            payment_method=method,
            today=last_month + timedelta(days=9),
        )
    for subscription in (basic, premium):
        _renew(subscription, today)

    if not basic.licenses.exists():
        users = User.objects.for_tenant(tenant).active().order_by("id")[:DEMO_ASSIGNED]
        services.license_assign(
            tenant=tenant, acting_user=admin, subscription=basic, users=list(users)
        )
    if not premium.licenses.exists():
        holders = [demo_account(tenant, local) for local in PREMIUM_HOLDERS]
        services.license_assign(
            tenant=tenant, acting_user=admin, subscription=premium, users=holders
        )

    # Invoices exist once a month (a constraint), so a second run finds them.
    for start in (two_months_ago, last_month):
        period = f"{start:%Y-%m}"
        if Invoice.objects.for_tenant(tenant).filter(period=period).exists():
            continue
        invoice = _invoice(tenant, account, period, issued=pricing.add_months(start, 1))
        if invoice is not None and start == two_months_ago:
            _pay(tenant, admin, invoice, card)


def _renew(subscription, today):
    """Charge the terms that began since the purchase, as the renewal job does.

    The job (``invoicing.subscriptions_renew``) renews every organization's
    subscriptions at once; the demo renews only its own.
    """
    if (
        subscription.status == Subscription.Status.ACTIVE
        and subscription.auto_renew
        and subscription.term_end <= today
    ):
        invoicing._renew(subscription, today)


def _live(tenant, product):
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(product=product)
        .exclude(status=Subscription.Status.EXPIRED)
        .select_related("product", "tenant")
        .first()
    )


def _billing_account(tenant, admin):
    account = BillingAccount.objects.for_tenant(tenant).first()
    if account is None:
        account = services.billing_account_update(
            tenant=tenant,
            acting_user=admin,
            sold_to_name=tenant.name,
            country=tenant.country,
            **BILLING_ACCOUNT,
        )
    return account


def _invoice_method(tenant, admin):
    method = PaymentMethod.objects.for_tenant(tenant).filter(kind=PaymentMethod.Kind.INVOICE)
    return method.first() or services.payment_method_add_invoice(tenant=tenant, acting_user=admin)


def _card(tenant, admin):
    """Return the organization's card; add the fake provider's test card when it has none."""
    card = PaymentMethod.objects.for_tenant(tenant).filter(kind=PaymentMethod.Kind.CARD).first()
    if card is None and _fake_provider_shares_tokens():
        card = services.payment_method_add_card(
            tenant=tenant,
            acting_user=admin,
            number=TEST_VISA,
            exp_month=12,
            exp_year=timezone.localdate().year + 3,
            cvc=TEST_CVC,
            holder_name=admin.display_name,
        )
    return card


def _fake_provider_shares_tokens():
    """Return whether a card added now can still be charged by the web server later.

    The fake provider keeps its tokens in the default cache. A local-memory
    cache (the embedded default) lives in one process, so a card seeded by the
    command would be unknown to the server: the demo then keeps pay by invoice,
    and an admin adds a card in the browser.
    """
    backend = settings.CACHES[payments.FakePaymentProvider.cache_alias]["BACKEND"]
    return isinstance(payments.get_provider(), payments.FakePaymentProvider) and (
        not backend.endswith("LocMemCache")
    )


def _invoice(tenant, account, period, *, issued):
    """Gather ``period``'s open charges into its invoice dated ``issued``; return it or None.

    As ``invoicing.invoices_generate`` does, for this organization only and
    without its email and card charge: seeding a demo mails nobody, and charges
    no card behind the admin's back.
    """
    start, end = invoicing.parse_period(period)
    charges = list(
        Charge.objects.for_tenant(tenant)
        .filter(invoice__isnull=True, occurred_on__gte=start, occurred_on__lt=end)
        .select_related("subscription__product")
    )
    if not charges:
        return None
    return invoicing.invoice_create(tenant, account, period, charges, issued=issued)


def _pay(tenant, admin, invoice, card):
    """Pay ``invoice`` with the card on file, else record it paid by bank transfer."""
    if card is not None:
        try:
            invoicing.invoice_pay(
                tenant=tenant, acting_user=admin, invoice=invoice, payment_method=card
            )
            return
        except ValidationError:
            # A card added by an earlier run, whose token the fake provider kept
            # in that process's memory only: a transfer stands in.
            pass
    invoice.status, invoice.paid_at = Invoice.Status.PAID, timezone.now()
    invoice.save(update_fields=["status", "paid_at"])
    audit_record(
        action="billing.invoice.pay",
        tenant=tenant,
        target=invoice,
        new={"method": str(PaymentMethod.Kind.INVOICE.label)},
    )
