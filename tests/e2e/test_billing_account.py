"""End to end in Chromium: a Billing admin saves the billing account as it is, then pays by
transfer: the invoice shows the bank account."""

from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.roles import BILLING_ADMIN
from billing import services
from billing.invoicing import invoices_generate
from tests.billing.factories import make_invoice_method, make_product
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_billing_admin_saves_the_account_unchanged_and_reads_the_bank_details(
    page, live_server, sign_in, shot, settings
):
    settings.BILLING_SELLER_IBAN = "NL91ABNA0417164300"
    settings.BILLING_SELLER_BIC = "ABNANL2A"
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "bill", roles=[BILLING_ADMIN], display_name="Bill Admin")
    services.subscription_buy(
        tenant=tenant,
        acting_user=admin,
        product=make_product(name="Business Basic"),
        quantity=2,
        frequency="monthly",
        payment_method=make_invoice_method(tenant),
        today=date(2026, 4, 1),
    )
    [invoice] = invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in("bill@contoso.example", PASSWORD)

    page.goto(f"{live_server.url}/billing/accounts/")
    expect(page.get_by_label("Invoice recipients")).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The billing account was saved.")).to_be_visible()

    page.goto(f"{live_server.url}/billing/bills/{invoice.pk}/")
    transfer = page.get_by_test_id("bank-transfer")
    expect(transfer).to_contain_text("NL91 ABNA 0417 1643 00")
    expect(transfer).to_contain_text("ABNANL2A")
    expect(transfer).to_contain_text(invoice.number)
    shot("invoice-bank-transfer")
