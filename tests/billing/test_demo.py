"""The Billing area's demo data: subscriptions with their history, invoices, payment methods."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import AuditEvent, Tenant
from billing import demo, invoicing, pricing
from billing.models import (
    BillingAccount,
    Charge,
    Invoice,
    License,
    PaymentMethod,
    Product,
    Subscription,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=20):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def billing_counts():
    models = (BillingAccount, Charge, Invoice, License, PaymentMethod, Product, Subscription)
    return {model.__name__: model.objects.count() for model in models} | {
        "audit": AuditEvent.objects.filter(action__startswith="billing.").count()
    }


def months_ago(n):
    return pricing.add_months(timezone.localdate().replace(day=1), -n)


def test_the_two_previous_months_have_invoices_the_older_paid_the_last_due(seed):
    tenant = seed()

    older = Invoice.objects.for_tenant(tenant).get(period=f"{months_ago(2):%Y-%m}")
    last = Invoice.objects.for_tenant(tenant).get(period=f"{months_ago(1):%Y-%m}")
    assert Invoice.objects.for_tenant(tenant).count() == 2
    assert older.status == Invoice.Status.PAID and older.paid_at is not None
    assert last.status == Invoice.Status.DUE and last.due_date >= timezone.localdate()
    assert (older.issue_date, last.issue_date) == (months_ago(1), months_ago(0))
    assert older.number == invoicing.invoice_number(tenant, older.period)
    assert AuditEvent.objects.filter(action="billing.invoice.pay", target_id=str(older.pk)).exists()


def test_invoice_totals_are_the_sum_of_their_charges_plus_vat(seed):
    tenant = seed()
    for invoice in Invoice.objects.for_tenant(tenant):
        lines = invoice.lines.all()
        assert lines.exists()
        assert all(invoice.period_start <= line.occurred_on <= invoice.period_end for line in lines)
        assert invoice.subtotal == lines.aggregate(total=Sum("amount"))["total"]
        assert invoice.vat_rate == 21 and not invoice.reverse_charge
        assert invoice.total == invoice.subtotal + invoice.vat_amount
        assert invoice.buyer["name"] == "Contoso"
    # What this month has charged so far waits for next month's invoice.
    [pending] = Charge.objects.for_tenant(tenant).filter(invoice__isnull=True)
    assert pending.kind == Charge.Kind.RENEWAL and pending.occurred_on == months_ago(0)


def test_business_basic_monthly_and_premium_annual_are_live_with_licenses_within_quantity(seed):
    tenant = seed()
    subscriptions = {
        s.product.sku: s
        for s in Subscription.objects.for_tenant(tenant).annotate(assigned=Count("licenses"))
    }
    assert set(subscriptions) == {"business-basic", "business-premium"}
    basic, premium = subscriptions["business-basic"], subscriptions["business-premium"]
    assert (basic.frequency, basic.quantity, basic.assigned) == ("monthly", 25, 10)
    assert (premium.frequency, premium.quantity, premium.assigned) == ("annual", 5, 3)
    today = timezone.localdate()
    for subscription in subscriptions.values():
        assert subscription.status == Subscription.Status.ACTIVE
        assert subscription.term_start <= today < subscription.term_end
        assert subscription.assigned <= subscription.quantity
    assert not License.objects.for_tenant(tenant).filter(user__deleted_at__isnull=False).exists()


def test_without_a_shared_cache_the_demo_has_no_card_the_server_would_not_know(seed, monkeypatch):
    monkeypatch.setattr(
        "django.conf.settings.CACHES",
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    tenant = seed()
    methods = list(PaymentMethod.objects.for_tenant(tenant))
    assert [(m.kind, m.is_default) for m in methods] == [("invoice", True)]
    assert Invoice.objects.for_tenant(tenant).filter(status="paid").exists()


def test_pays_by_invoice_by_default_and_keeps_the_test_card_on_file(seed, monkeypatch):
    monkeypatch.setattr(demo, "_fake_provider_shares_tokens", lambda: True)
    tenant = seed()
    methods = list(PaymentMethod.objects.for_tenant(tenant))
    assert [(m.kind, m.is_default) for m in methods] == [("invoice", True), ("card", False)]
    card = methods[1]
    assert (card.brand, card.last4) == ("visa", demo.TEST_VISA[-4:])
    assert card.exp_year > timezone.localdate().year
    account = BillingAccount.objects.for_tenant(tenant).get()
    assert account.sold_to_name == "Contoso" and account.city


def test_a_second_run_adds_nothing(seed):
    seed()
    before = billing_counts()

    seed()

    assert billing_counts() == before


def test_a_run_in_a_later_month_invoices_the_month_that_ended(seed, monkeypatch):
    tenant = seed()
    later = timezone.localdate().replace(day=1) + timedelta(days=40)
    monkeypatch.setattr(timezone, "localdate", lambda *args: later)

    seed()

    invoices = Invoice.objects.for_tenant(tenant)
    assert invoices.count() == 3
    assert invoices.filter(status=Invoice.Status.PAID).count() == 1
    # Business Basic renewed into the new month, as the renewal job would have.
    [pending] = Charge.objects.for_tenant(tenant).filter(invoice__isnull=True)
    assert pending.occurred_on == later.replace(day=1)
    basic = Subscription.objects.for_tenant(tenant).get(product__sku="business-basic")
    assert basic.term_start <= later < basic.term_end


def test_demo_invoices_are_shaped_like_generated_ones(seed):
    """The demo makes its invoices itself (mailing nobody): they must not drift from the job's."""
    from datetime import date

    from billing import services
    from tests.billing.factories import make_invoice_method, make_product
    from tests.factories import make_tenant, make_user

    demo_invoice = Invoice.objects.for_tenant(seed()).get(status=Invoice.Status.DUE)
    other = make_tenant(name="Fabrikam")
    admin = make_user(other, roles=["billing_admin"])
    services.subscription_buy(
        tenant=other,
        acting_user=admin,
        product=make_product(),
        quantity=2,
        frequency="monthly",
        payment_method=make_invoice_method(other),
        today=date(2026, 4, 1),
    )
    [generated] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))

    def shape(invoice):
        fields = [f.name for f in Invoice._meta.concrete_fields if f.name not in {"id", "paid_at"}]
        return {name: bool(getattr(invoice, name)) for name in fields} | {
            "buyer": sorted(invoice.buyer),
            "due_after": invoice.due_date - invoice.issue_date,
            "lines": invoice.lines.exists(),
        }

    assert shape(demo_invoice) == shape(generated)
    events = AuditEvent.objects.filter(action="billing.invoice.create")
    demo_event = events.get(target_id=str(demo_invoice.pk))
    generated_event = events.get(target_id=str(generated.pk))
    assert set(demo_event.new_values) == set(generated_event.new_values)
