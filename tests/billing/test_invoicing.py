"""Invoices (idempotent, VAT, PDF, emails), renewals and expiry."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from pypdf import PdfReader

from accounts.models import AuditEvent
from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from billing import invoicing, services
from billing.models import BillingAccount, Charge, Invoice, License, PaymentMethod, Subscription
from billing.pdf import render_invoice_pdf
from core.exceptions import Forbidden
from tests.billing.factories import make_invoice_method, make_product
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(name="Contoso")]


def buy(tenant, admin, *, quantity=2, price="6.00", on=date(2026, 4, 1), name="Business Basic"):
    return services.subscription_buy(
        tenant=tenant,
        acting_user=admin,
        product=make_product(name=name, monthly_price=Decimal(price)),
        quantity=quantity,
        frequency="monthly",
        payment_method=make_invoice_method(tenant),
        today=on,
    )


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_month_of_charges_becomes_one_invoice_with_dutch_vat(
    tenant, billing_admin, django_capture_on_commit_callbacks
):
    subscription = buy(tenant, billing_admin, quantity=2)  # 12.00
    services.subscription_quantity_change(
        tenant=tenant,
        acting_user=billing_admin,
        subscription=subscription,
        quantity=5,
        today=date(2026, 4, 11),
    )  # + 3 x 6.00 x 20/30 = 12.00
    with django_capture_on_commit_callbacks(execute=True):
        [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    assert (invoice.subtotal, invoice.vat_rate, invoice.vat_amount, invoice.total) == (
        Decimal("24.00"),
        Decimal("21"),
        Decimal("5.04"),
        Decimal("29.04"),
    )
    assert invoice.status == "due" and invoice.due_date == date(2026, 5, 31)
    assert (invoice.period_start, invoice.period_end) == (date(2026, 4, 1), date(2026, 4, 30))
    assert invoice.lines.count() == 2
    # The billing admin gets it by email, with the PDF.
    [message] = mail.outbox
    assert message.to == [billing_admin.username] and invoice.number in message.subject
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    text = pdf_text(message.attachments[0][1])
    assert invoice.number in text and "29.04" in text and "5.04" in text


def test_generating_twice_makes_nothing_new(tenant, billing_admin):
    buy(tenant, billing_admin)
    call_command("generate_invoices", period="2026-04", stdout=io.StringIO())
    out = io.StringIO()
    call_command("generate_invoices", period="2026-04", stdout=out)
    assert "0 invoice(s) made for 2026-04" in out.getvalue()
    assert Invoice.objects.count() == 1
    assert not Charge.objects.filter(invoice__isnull=True).exists()


def test_a_bad_period_is_a_clear_command_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("generate_invoices", period="April", stdout=io.StringIO())


def test_a_valid_eu_vat_number_abroad_is_reverse_charged(tenant, billing_admin):
    BillingAccount.objects.create(
        tenant=tenant, sold_to_name="Contoso GmbH", country="DE", vat_number="DE136695976"
    )
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    assert (invoice.vat_rate, invoice.vat_amount, invoice.reverse_charge) == (
        Decimal("0"),
        Decimal("0.00"),
        True,
    )
    text = pdf_text(render_invoice_pdf(invoicing.invoice_document(invoice)))
    assert "reverse" in text.lower() and "DE136695976" in text


def test_a_default_card_pays_the_invoice(tenant, billing_admin):
    card = services.payment_method_add_card(
        tenant=tenant,
        acting_user=billing_admin,
        number="4242424242424242",
        exp_month=12,
        exp_year=date.today().year + 2,
        cvc="123",
        holder_name="Bill",
    )
    services.subscription_buy(
        tenant=tenant,
        acting_user=billing_admin,
        product=make_product(),
        quantity=1,
        frequency="monthly",
        payment_method=card,
        today=date(2026, 4, 1),
    )
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    assert invoice.status == "paid" and invoice.paid_at is not None


def test_unpaid_invoices_become_overdue(tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    assert invoicing.invoices_mark_overdue(today=date(2026, 5, 31)) == 0
    assert invoicing.invoices_mark_overdue(today=date(2026, 6, 1)) == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "overdue"


def test_renewal_charges_a_new_term(tenant, billing_admin):
    subscription = buy(tenant, billing_admin, quantity=3, on=date(2026, 1, 31))
    assert subscription.term_end == date(2026, 2, 28)
    assert invoicing.subscriptions_renew(today=date(2026, 2, 28)) == (1, 0)
    fresh = Subscription.objects.get(pk=subscription.pk)
    assert (fresh.term_start, fresh.term_end) == (date(2026, 2, 28), date(2026, 3, 28))
    renewal = Charge.objects.get(kind="renewal")
    assert (renewal.amount, renewal.occurred_on) == (Decimal("18.00"), date(2026, 2, 28))
    assert invoicing.subscriptions_renew(today=date(2026, 3, 1)) == (0, 0)


def test_a_cancelled_subscription_expires_and_its_users_are_told(
    tenant, billing_admin, django_capture_on_commit_callbacks
):
    subscription = buy(tenant, billing_admin, on=date(2026, 4, 1))
    pat = make_user(tenant, "pat")
    services.license_assign(
        tenant=tenant, acting_user=billing_admin, subscription=subscription, users=[pat]
    )
    services.subscription_cancel(
        tenant=tenant, acting_user=billing_admin, subscription=subscription
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert invoicing.subscriptions_renew(today=date(2026, 5, 1)) == (0, 1)
    assert Subscription.objects.get(pk=subscription.pk).status == "expired"
    assert not License.objects.exists()
    assert mail.outbox[-1].bcc == [pat.username] and "has ended" in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="billing.subscription.expire").exists()


def test_bills_pages_list_filter_show_and_download(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in(client, billing_admin)
    listing = client.get("/billing/bills/").content.decode()
    assert invoice.number in listing
    assert (
        invoice.number
        not in client.get("/billing/bills/", {"date_from": "2026-06-01"}).content.decode()
    )
    bad = client.get("/billing/bills/", {"date_from": "2026-06-01", "date_to": "2026-01-01"})
    assert "Choose a date after the start." in bad.content.decode()
    detail = client.get(f"/billing/bills/{invoice.pk}/").content.decode()
    assert "Business Basic" in detail and "14.52" in detail
    response = client.get(f"/billing/bills/{invoice.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert invoice.number in pdf_text(response.content)
    export = b"".join(client.get("/billing/bills/export/").streaming_content).decode()
    assert invoice.number in export and "14.52" in export


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, GLOBAL_READER])
def test_readers_see_bills(client, tenant, billing_admin, role):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in(client, make_user(tenant, roles=[role]))
    assert client.get(f"/billing/bills/{invoice.pk}/pdf/").status_code == 200


def test_helpdesk_gets_403_on_bills(client, tenant):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert_forbidden(client.get("/billing/bills/"))


def test_a_due_invoice_is_paid_from_its_page(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    assert invoice.status == "due"
    sign_in(client, billing_admin)
    page = client.get(f"/billing/bills/{invoice.pk}/").content.decode()
    assert "Pay by bank transfer" in page
    card = services.payment_method_add_card(
        tenant=tenant,
        acting_user=billing_admin,
        number="4242424242424242",
        exp_month=12,
        exp_year=date.today().year + 2,
        cvc="123",
        holder_name="Bill",
    )
    response = client.post(f"/billing/bills/{invoice.pk}/pay/", {"payment_method": card.pk})
    assert "is paid." in client.get(response.url).content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    again = client.post(f"/billing/bills/{invoice.pk}/pay/", {"payment_method": card.pk})
    assert "paid already" in client.get(again.url).content.decode()


@pytest.mark.parametrize("role", [BILLING_ADMIN, GLOBAL_READER])
def test_an_invoice_to_pay_shows_the_sellers_bank_account_on_its_page_and_pdf(
    client, tenant, billing_admin, settings, role
):
    settings.BILLING_SELLER_NAME = "Admin Portal Services B.V."
    settings.BILLING_SELLER_IBAN = "NL91ABNA0417164300"
    settings.BILLING_SELLER_BIC = "ABNANL2A"
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in(client, make_user(tenant, roles=[role]))

    page = client.get(f"/billing/bills/{invoice.pk}/").content.decode()
    section = page[page.index('data-testid="bank-transfer"') :]
    for text in ["Admin Portal Services B.V.", "NL91 ABNA 0417 1643 00", "ABNANL2A"]:
        assert text in section
    assert f"<dt>Payment reference</dt><dd>{invoice.number}</dd>" in section
    document = pdf_text(client.get(f"/billing/bills/{invoice.pk}/pdf/").content)
    assert "IBAN NL91 ABNA 0417 1643 00" in document
    assert f"Payment reference {invoice.number}" in document


def test_a_paid_invoice_asks_for_no_transfer(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    sign_in(client, billing_admin)
    assert (
        'data-testid="bank-transfer"'
        not in client.get(f"/billing/bills/{invoice.pk}/").content.decode()
    )
    assert "IBAN" not in pdf_text(client.get(f"/billing/bills/{invoice.pk}/pdf/").content)


def test_the_emailed_pdf_of_a_due_invoice_carries_the_bank_account(
    tenant, billing_admin, django_capture_on_commit_callbacks
):
    buy(tenant, billing_admin)
    with django_capture_on_commit_callbacks(execute=True):
        [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    [message] = [m for m in mail.outbox if invoice.number in m.subject]
    [(_name, data, _type)] = message.attachments
    assert "IBAN NL91 ABNA 0417 1643 00" in pdf_text(data)


def test_a_reader_cannot_pay(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert (
        'data-testid="pay-form"' not in client.get(f"/billing/bills/{invoice.pk}/").content.decode()
    )
    assert_forbidden(client.post(f"/billing/bills/{invoice.pk}/pay/", {"payment_method": 1}))


def test_another_organizations_card_cannot_pay_an_invoice(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    other = make_tenant()
    foreign_card = services.payment_method_add_card(
        tenant=other,
        acting_user=make_user(other, roles=[BILLING_ADMIN]),
        number="4242424242424242",
        exp_month=12,
        exp_year=date.today().year + 2,
        cvc="123",
        holder_name="Someone Else",
    )
    sign_in(client, billing_admin)
    pay = f"/billing/bills/{invoice.pk}/pay/"
    assert_not_found(client.post(pay, {"payment_method": foreign_card.pk}))
    assert_not_found(client.post(pay, {"payment_method": 10**12}))
    bad = client.post(pay, {"payment_method": "x"})
    assert "Choose one of your payment methods." in client.get(bad.url).content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "due"
    assert not AuditEvent.objects.filter(action="billing.invoice.pay").exists()


def test_another_organizations_invoice_cannot_be_paid(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    other = make_tenant()
    other_admin = make_user(other, roles=[BILLING_ADMIN])
    card = services.payment_method_add_card(
        tenant=other,
        acting_user=other_admin,
        number="4242424242424242",
        exp_month=12,
        exp_year=date.today().year + 2,
        cvc="123",
        holder_name="Someone Else",
    )
    sign_in(client, other_admin)
    assert_not_found(client.post(f"/billing/bills/{invoice.pk}/pay/", {"payment_method": card.pk}))
    assert Invoice.objects.get(pk=invoice.pk).status == "due"


def test_paying_is_a_post_to_its_own_address(client, tenant, billing_admin):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in(client, billing_admin)
    assert client.get(f"/billing/bills/{invoice.pk}/pay/").status_code == 405
    assert client.post(f"/billing/bills/{invoice.pk}/", {"payment_method": 1}).status_code == 405


def _refusing(error):
    def invoice_pay(**kwargs):
        raise error

    return invoice_pay


def test_a_services_role_refusal_of_paying_is_403(client, tenant, billing_admin, monkeypatch):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    method = PaymentMethod.objects.for_tenant(tenant).get()
    monkeypatch.setattr(invoicing, "invoice_pay", _refusing(Forbidden("Not for you.")))
    sign_in(client, billing_admin)
    assert_forbidden(
        client.post(f"/billing/bills/{invoice.pk}/pay/", {"payment_method": method.pk})
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "due"


def test_a_refused_payment_goes_back_to_the_invoice_with_its_reason(
    client, tenant, billing_admin, monkeypatch
):
    buy(tenant, billing_admin)
    [invoice] = invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))
    method = PaymentMethod.objects.for_tenant(tenant).get()
    monkeypatch.setattr(invoicing, "invoice_pay", _refusing(ValidationError("The card said no.")))
    sign_in(client, billing_admin)
    response = client.post(f"/billing/bills/{invoice.pk}/pay/", {"payment_method": method.pk})
    assert response.url == f"/billing/bills/{invoice.pk}/"
    assert "The card said no." in client.get(response.url).content.decode()
    empty = client.post(f"/billing/bills/{invoice.pk}/pay/", {})
    assert "Choose one of your payment methods." in client.get(empty.url).content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "due"
