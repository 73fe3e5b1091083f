"""End to end in Chromium: a Billing admin buys, assigns, resizes and downloads an invoice."""

import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.roles import BILLING_ADMIN
from billing.invoicing import invoices_generate
from billing.models import License, Subscription
from tests.billing.factories import make_product
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_billing_admin_buys_assigns_resizes_and_downloads_the_invoice(
    page, live_server, sign_in, shot
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "bill", roles=[BILLING_ADMIN], display_name="Bill Admin")
    make_user(tenant, "adele", display_name="Adele Vance")
    make_user(tenant, "alex", display_name="Alex Wilber")
    make_product(name="Business Basic")
    sign_in("bill@contoso.example", PASSWORD)

    # A card first: the number goes to the payment provider.
    page.goto(f"{live_server.url}/billing/payment-methods/")
    page.get_by_role("link", name="Add a card").click()
    page.get_by_label("Name on card").fill("Bill Admin")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(timezone.localdate().year + 2))
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Add card").click()
    expect(page.get_by_text("Visa ending in 4242").first).to_be_visible()

    page.goto(f"{live_server.url}/billing/products/")
    page.get_by_role("link", name="Buy a product").click()
    page.get_by_label("Licenses").fill("2")
    page.get_by_role("button", name="Buy").click()
    # The cost comes first; nothing is bought until it is confirmed.
    expect(page.get_by_test_id("charge-now")).to_have_text("€12.00")
    shot("billing-buy-confirm")
    assert not Subscription.objects.exists()
    page.get_by_role("button", name="Confirm purchase").click()
    expect(page.get_by_text("You bought 2 licenses of Business Basic.")).to_be_visible()
    shot("billing-subscription")

    page.get_by_role("link", name="See and assign licenses").click()
    people = page.get_by_role("combobox", name="People")
    people.press_sequentially("adele", delay=50)
    page.get_by_role("option", name="Adele Vance").click()
    people.press_sequentially("alex", delay=50)
    expect(page.get_by_role("option", name="Alex Wilber")).to_be_visible()
    people.press("ArrowDown")
    people.press("Enter")
    page.get_by_role("button", name="Assign licenses").click()
    expect(page.get_by_text("2 licenses assigned.")).to_be_visible()
    shot("billing-licenses")
    assert License.objects.count() == 2

    subscription = Subscription.objects.get()
    page.goto(f"{live_server.url}/billing/products/{subscription.pk}/")
    page.get_by_role("spinbutton", name="Licenses").fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Unassign 1 before you go down to 1")).to_be_visible()
    page.goto(f"{live_server.url}/billing/licenses/{subscription.pk}/")
    page.get_by_test_id("license-holders").get_by_label("Alex Wilber").check()
    page.get_by_role("button", name="Unassign selected").click()
    page.goto(f"{live_server.url}/billing/products/{subscription.pk}/")
    page.get_by_role("spinbutton", name="Licenses").fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("quantity-quote")).to_contain_text("Credited now")
    shot("billing-quantity-confirm")
    page.get_by_role("button", name="Confirm change").click()
    expect(page.get_by_text("You now have 1 licenses.")).to_be_visible()

    invoices_generate(period=timezone.localdate().strftime("%Y-%m"))
    page.goto(f"{live_server.url}/billing/bills/")
    page.get_by_test_id("invoice-table").locator("tbody a").first.click()
    shot("billing-invoice")
    with page.expect_download() as download:
        page.get_by_test_id("invoice-pdf").click()
    text = PdfReader(io.BytesIO(download.value.path().read_bytes())).pages[0].extract_text()
    assert "Business Basic" in text and "Contoso" in text
