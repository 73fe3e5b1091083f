"""Billing pages: each role sees what it may, every change goes through its rules."""

from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from billing import pricing, services
from billing.models import BillingAccount, Charge, License, PaymentMethod, Subscription
from core import l10n
from core.exceptions import Forbidden
from tests.billing.factories import make_invoice_method, make_product, make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sidebar, sign_in

pytestmark = pytest.mark.django_db

PAGES = [
    "/billing/products/",
    "/billing/licenses/",
    "/billing/payment-methods/",
    "/billing/accounts/",
]


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, BILLING_ADMIN, GLOBAL_READER])
def test_billing_roles_open_every_page_and_see_the_nav(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    nav = sidebar(client.get("/"))
    assert "/billing/products/" in nav and "/billing/payment-methods/" in nav


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, None])
def test_other_roles_get_403_and_no_billing_nav(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    for url in [*PAGES, "/billing/products/buy/", "/billing/payment-methods/add-card/"]:
        assert_forbidden(client.get(url))
    if role:
        assert "/billing/" not in sidebar(client.get("/"))


def test_user_admin_sees_licenses_only(client, tenant):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert client.get("/billing/licenses/").status_code == 200
    assert_forbidden(client.get("/billing/products/"))


def test_buy_through_the_page(client, tenant, billing_admin):
    product = make_product(name="Business Basic")
    make_invoice_method(tenant)
    sign_in(client, billing_admin)
    page = client.get("/billing/products/buy/").content.decode()
    assert "Business Basic" in page and "per license per month" in page
    choice = {
        "product": product.pk,
        "quantity": "3",
        "frequency": "monthly",
        "payment_method": PaymentMethod.objects.get().pk,
    }
    # The buy button shows the cost to confirm: nothing is bought yet.
    confirm = client.post("/billing/products/buy/", choice)
    assert confirm.status_code == 200 and 'data-testid="buy-confirm-form"' in confirm.text
    assert not Subscription.objects.exists() and not Charge.objects.exists()
    response = client.post("/billing/products/buy/confirm/", choice)
    subscription = Subscription.objects.get()
    assert response.url == f"/billing/products/{subscription.pk}/"
    listing = client.get("/billing/products/").content.decode()
    assert "Business Basic" in listing and "You bought 3 licenses" in listing


def charge_now(page):
    return page.split('data-testid="charge-now">')[1].split("<")[0]


def charge_next(page):
    return page.split('data-testid="charge-next">')[1].split("<")[0].strip()


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("frequency", ["monthly", "annual"])
def test_the_purchase_shows_its_cost_before_it_is_made(
    client, tenant, billing_admin, language, frequency
):
    product = make_product(monthly_price=Decimal("7.99"), annual_discount_percent=Decimal("15"))
    method = make_invoice_method(tenant)
    billing_admin.preferred_language = language
    billing_admin.save(update_fields=["preferred_language"])
    sign_in(client, billing_admin)
    choice = {
        "product": product.pk,
        "quantity": "7",
        "frequency": frequency,
        "payment_method": method.pk,
    }
    page = client.post("/billing/products/buy/", choice).content.decode()
    unit = pricing.term_price(
        monthly_price=product.monthly_price,
        frequency=frequency,
        annual_discount_percent=product.annual_discount_percent,
    )
    expected = pricing.money(unit * 7)
    assert charge_now(page) == l10n.format_money(expected, product.currency, language=language)
    renewal = pricing.term_end(timezone.localdate(), frequency)
    with translation.override(language):
        assert l10n.format_date(renewal) in page
        per = gettext("%(amount)s per year" if frequency == "annual" else "%(amount)s per month")
        amount = l10n.format_money(expected, product.currency)
        assert charge_next(page) == per % {"amount": amount}
    assert not Subscription.objects.exists() and not Charge.objects.exists()

    client.post("/billing/products/buy/confirm/", choice)
    assert Charge.objects.get().amount == expected


def test_a_changed_buy_confirmation_is_checked_again(client, tenant, billing_admin):
    product = make_product(offers_annual=False)
    method = make_invoice_method(tenant)
    foreign = make_invoice_method(make_tenant())
    sign_in(client, billing_admin)
    choice = {"product": product.pk, "quantity": "2", "frequency": "annual"}
    page = client.post(
        "/billing/products/buy/confirm/", {**choice, "payment_method": method.pk}
    ).content.decode()
    assert "not sold with this billing frequency" in page
    page = client.post(
        "/billing/products/buy/confirm/",
        {**choice, "frequency": "monthly", "payment_method": foreign.pk},
    ).content.decode()
    assert "Select a valid choice" in page
    assert not Subscription.objects.exists()
    assert client.get("/billing/products/buy/confirm/").status_code == 405


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize(("old", "new"), [(5, 8), (5, 2)])
def test_a_quantity_change_shows_its_cost_before_it_is_made(
    client, tenant, billing_admin, language, old, new
):
    start = timezone.localdate() - timedelta(days=9)
    subscription = make_subscription(tenant, quantity=old, start=start)
    billing_admin.preferred_language = language
    billing_admin.save(update_fields=["preferred_language"])
    sign_in(client, billing_admin)
    url = f"/billing/products/{subscription.pk}/quantity/"
    page = client.post(url, {"quantity": str(new)}).content.decode()
    expected = pricing.quantity_change_amount(
        unit_term_price=subscription.unit_term_price,
        old_quantity=old,
        new_quantity=new,
        term_start=subscription.term_start,
        term_end=subscription.term_end,
        on=timezone.localdate(),
    )
    assert expected != 0
    currency = subscription.product.currency
    assert charge_now(page) == l10n.format_money(abs(expected), currency, language=language)
    with translation.override(language):
        assert gettext("Charged now" if expected > 0 else "Credited now") in page
        next_amount = l10n.format_money(subscription.unit_term_price * new, currency)
        assert next_amount in charge_next(page)
        assert l10n.format_date(subscription.term_end) in page
    # Nothing changes before confirming.
    assert Subscription.objects.get().quantity == old and not Charge.objects.exists()

    response = client.post(f"{url}confirm/", {"quantity": str(new)})
    assert response.url == f"/billing/products/{subscription.pk}/"
    assert Subscription.objects.get().quantity == new
    assert Charge.objects.get().amount == expected


def test_buy_without_a_payment_method_points_to_adding_one(client, tenant, billing_admin):
    make_product()
    sign_in(client, billing_admin)
    page = client.get("/billing/products/buy/").content.decode()
    assert "Add a payment method first." in page and 'data-testid="buy-form"' not in page


def test_bad_buy_input_is_reported(client, tenant, billing_admin):
    product = make_product(offers_annual=False)
    method = make_invoice_method(tenant)
    sign_in(client, billing_admin)
    response = client.post(
        "/billing/products/buy/",
        {
            "product": product.pk,
            "quantity": "0",
            "frequency": "annual",
            "payment_method": method.pk,
        },
    )
    page = response.content.decode()
    assert "greater than or equal to 1" in page and "not sold with this billing frequency" in page
    assert not Subscription.objects.exists()


def test_quantity_below_assigned_is_refused_with_how_many_to_unassign(
    client, tenant, billing_admin
):
    subscription = make_subscription(tenant, quantity=3)
    for user in [make_user(tenant) for _ in range(3)]:
        License.objects.create(tenant=tenant, subscription=subscription, user=user)
    sign_in(client, billing_admin)
    response = client.post(f"/billing/products/{subscription.pk}/quantity/", {"quantity": "1"})
    assert "Unassign 2 before you go down to 1" in client.get(response.url).content.decode()
    assert Subscription.objects.get().quantity == 3


def test_reader_cannot_change_a_subscription(client, tenant):
    subscription = make_subscription(tenant)
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get(f"/billing/products/{subscription.pk}/").content.decode()
    assert 'data-testid="quantity-form"' not in page
    assert_forbidden(client.post(f"/billing/products/{subscription.pk}/cancel/"))
    assert Subscription.objects.get().status == "active"


def test_assign_and_unassign_licenses_in_bulk(client, tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=2)
    pat, sam, kim = (
        make_user(tenant, name, display_name=name.title()) for name in ("pat", "sam", "kim")
    )
    sign_in(client, billing_admin)
    page = client.get(f"/billing/licenses/{subscription.pk}/", {"people_q": "pa"}).content.decode()
    assert f'id="assign-users-match-{pat.pk}"' in page and "Sam" not in page
    client.post(f"/billing/licenses/{subscription.pk}/assign/", {"users": [pat.pk, sam.pk]})
    assert License.objects.count() == 2
    response = client.post(f"/billing/licenses/{subscription.pk}/assign/", {"users": [kim.pk]})
    assert "No licenses left — buy more." in client.get(response.url).content.decode()
    client.post(f"/billing/licenses/{subscription.pk}/unassign/", {"users": [pat.pk]})
    assert list(License.objects.values_list("user_id", flat=True)) == [sam.pk]


def test_another_tenants_user_cannot_be_given_a_license(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    stranger = make_user(make_tenant())
    gone = make_user(tenant, "gone", deleted_at="2026-01-01T00:00Z")
    sign_in(client, billing_admin)
    url = f"/billing/licenses/{subscription.pk}/assign/"
    for bad in (stranger.pk, gone.pk, "x", 10**9):
        assert_not_found(client.post(url, {"users": [billing_admin.pk, bad]}))
    empty = client.post(url, {})
    assert "Select at least one user first." in client.get(empty.url).content.decode()
    assert not License.objects.exists()


def test_add_a_card_and_see_a_decline(client, tenant, billing_admin):
    sign_in(client, billing_admin)
    year = str(date.today().year + 1)
    declined = client.post(
        "/billing/payment-methods/add-card/",
        {
            "holder_name": "Bill",
            "number": "4000 0000 0000 0002",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
        },
    )
    assert "Your card was declined." in declined.content.decode()
    assert "4000 0000 0000 0002" not in declined.content.decode()
    bad = client.post(
        "/billing/payment-methods/add-card/",
        {
            "holder_name": "Bill",
            "number": "4242 4242 4242 4241",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
        },
    )
    assert bad.status_code == 200 and not PaymentMethod.objects.exists()
    client.post(
        "/billing/payment-methods/add-card/",
        {
            "holder_name": "Bill",
            "number": "4242 4242 4242 4242",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
        },
    )
    method = PaymentMethod.objects.get()
    assert (method.last4, method.is_default) == ("4242", True)
    assert "Visa ending in 4242" in client.get("/billing/payment-methods/").content.decode()


def test_invoice_method_default_and_remove(client, tenant, billing_admin):
    sign_in(client, billing_admin)
    client.post("/billing/payment-methods/add-invoice/")
    invoice = PaymentMethod.objects.get()
    subscription = make_subscription(tenant, payment_method=invoice)
    response = client.post(f"/billing/payment-methods/{invoice.pk}/remove/")
    assert "1 subscriptions pay with this method" in client.get(response.url).content.decode()
    Subscription.objects.filter(pk=subscription.pk).update(status="expired")
    client.post(f"/billing/payment-methods/{invoice.pk}/remove/")
    assert not PaymentMethod.objects.exists()


def test_billing_account_form_checks_the_vat_number(client, tenant, billing_admin):
    sign_in(client, billing_admin)
    data = {
        "sold_to_name": "Contoso BV",
        "address_line1": "Main 1",
        "postal_code": "1234 AB",
        "city": "Utrecht",
        "country": "NL",
        "vat_number": "NL123",
        "notify_emails": "a@b.example\nnot an email",
        "language": "en",
    }
    page = client.post("/billing/accounts/", data).content.decode()
    assert "Enter a valid email address." in page
    assert not BillingAccount.objects.exists()
    data.update(vat_number="NL004495445B01", notify_emails="Finance@Contoso.example")
    client.post("/billing/accounts/", data)
    account = BillingAccount.objects.get()
    assert account.notify_emails == ["finance@contoso.example"]


class FormValues(HTMLParser):
    """The values a browser would submit for a page's form, as it shows them."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button"}:
            if attrs.get("type") in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            else:
                self.values[name] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(response):
    parser = FormValues()
    parser.feed(response.content.decode())
    # A browser drops the newline that opens a textarea's content, as Django writes it.
    return {name: value.removeprefix("\n") for name, value in parser.values.items()}


@pytest.mark.parametrize("recipients", [[], ["finance@contoso.example", "cfo@contoso.example"]])
def test_the_billing_account_saves_unchanged(client, tenant, billing_admin, recipients):
    BillingAccount.objects.create(
        tenant=tenant, sold_to_name="Contoso BV", country="NL", notify_emails=recipients
    )
    sign_in(client, billing_admin)
    shown = form_values(client.get("/billing/accounts/"))
    assert shown["notify_emails"] == "\n".join(recipients)

    response = client.post("/billing/accounts/", shown)

    assert response.status_code == 302, response.content.decode()
    account = BillingAccount.objects.get()
    assert (account.sold_to_name, account.notify_emails) == ("Contoso BV", recipients)


def test_a_new_billing_account_saves_as_offered(client, tenant, billing_admin):
    sign_in(client, billing_admin)
    response = client.post("/billing/accounts/", form_values(client.get("/billing/accounts/")))
    assert response.status_code == 302, response.content.decode()
    assert BillingAccount.objects.get().notify_emails == []


def test_reader_cannot_change_the_billing_account(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert_forbidden(client.post("/billing/accounts/", {"sold_to_name": "X", "country": "NL"}))


def test_change_the_payment_method_then_remove_the_old_one(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    old = subscription.payment_method
    sign_in(client, billing_admin)
    year = str(date.today().year + 1)
    client.post(
        "/billing/payment-methods/add-card/",
        {
            "holder_name": "Bill",
            "number": "5555555555554444",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
        },
    )
    card = PaymentMethod.objects.get(kind="card")
    client.post(f"/billing/products/{subscription.pk}/payment-method/", {"payment_method": card.pk})
    assert Subscription.objects.get().payment_method == card
    client.post(f"/billing/payment-methods/{old.pk}/remove/")
    assert list(PaymentMethod.objects.values_list("pk", flat=True)) == [card.pk]
    assert PaymentMethod.objects.get().is_default
    foreign = make_invoice_method(make_tenant())
    assert_not_found(
        client.post(
            f"/billing/products/{subscription.pk}/payment-method/", {"payment_method": foreign.pk}
        )
    )


# --- One address per action; every id in the URL or the body is the organization's ----


def test_cancel_then_reactivate_through_their_own_addresses(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    sign_in(client, billing_admin)
    page = client.get(f"/billing/products/{subscription.pk}/").content.decode()
    assert f'action="/billing/products/{subscription.pk}/cancel/"' in page
    response = client.post(f"/billing/products/{subscription.pk}/cancel/")
    assert response.url == f"/billing/products/{subscription.pk}/"
    assert Subscription.objects.get().status == "cancelled"
    page = client.get(response.url).content.decode()
    assert "Cancelled. Your licenses stay until" in page
    assert f'action="/billing/products/{subscription.pk}/reactivate/"' in page
    client.post(f"/billing/products/{subscription.pk}/reactivate/")
    assert Subscription.objects.get().status == "active"


def test_an_action_address_answers_post_only(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    sign_in(client, billing_admin)
    assert client.get(f"/billing/products/{subscription.pk}/cancel/").status_code == 405
    assert client.post(f"/billing/products/{subscription.pk}/").status_code == 405
    assert client.post("/billing/payment-methods/").status_code == 405
    assert Subscription.objects.get().status == "active"


def test_a_bad_quantity_shows_the_page_again_with_the_error(client, tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=3)
    sign_in(client, billing_admin)
    response = client.post(f"/billing/products/{subscription.pk}/quantity/", {"quantity": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    assert Subscription.objects.get().quantity == 3


def test_the_payment_method_form_offers_the_organizations_methods(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    foreign = make_invoice_method(make_tenant())
    sign_in(client, billing_admin)
    page = client.get(f"/billing/products/{subscription.pk}/").content.decode()
    assert f'<option value="{subscription.payment_method_id}" selected>' in page
    assert f'<option value="{foreign.pk}"' not in page


def test_another_organizations_payment_method_changes_nothing(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    own = subscription.payment_method
    foreign = make_invoice_method(make_tenant())
    sign_in(client, billing_admin)
    url = f"/billing/products/{subscription.pk}/payment-method/"
    assert_not_found(client.post(url, {"payment_method": foreign.pk}))
    assert_not_found(client.post(url, {"payment_method": 10**12}))
    bad = client.post(url, {"payment_method": "x"})
    assert "Choose one of your payment methods." in client.get(bad.url).content.decode()
    assert Subscription.objects.get().payment_method == own
    assert_not_found(client.post(f"/billing/payment-methods/{foreign.pk}/remove/"))
    assert_not_found(client.post(f"/billing/payment-methods/{foreign.pk}/default/"))
    assert PaymentMethod.objects.filter(pk=foreign.pk, is_default=True).exists()


def test_another_organizations_subscription_changes_nothing(client, tenant, billing_admin):
    other = make_tenant()
    theirs = make_subscription(other, quantity=4)
    License.objects.create(tenant=other, subscription=theirs, user=make_user(other))
    sign_in(client, billing_admin)
    for action, data in [
        ("quantity", {"quantity": "9"}),
        ("quantity/confirm", {"quantity": "9"}),
        ("payment-method", {"payment_method": make_invoice_method(tenant).pk}),
        ("cancel", {}),
        ("reactivate", {}),
    ]:
        assert_not_found(client.post(f"/billing/products/{theirs.pk}/{action}/", data))
    for action in ("assign", "unassign"):
        assert_not_found(
            client.post(f"/billing/licenses/{theirs.pk}/{action}/", {"users": [billing_admin.pk]})
        )
    theirs.refresh_from_db()
    assert (theirs.quantity, theirs.status) == (4, "active")
    assert theirs.payment_method.tenant == other
    assert License.objects.filter(subscription=theirs).count() == 1


def test_another_organizations_user_keeps_their_license(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    pat = make_user(tenant, "pat")
    License.objects.create(tenant=tenant, subscription=subscription, user=pat)
    stranger = make_user(make_tenant())
    sign_in(client, billing_admin)
    url = f"/billing/licenses/{subscription.pk}/unassign/"
    assert_not_found(client.post(url, {"users": [pat.pk, stranger.pk]}))
    bad = client.post(url, {"users": ["x"]})
    assert "Choose active users of your organization." in client.get(bad.url).content.decode()
    empty = client.post(url, {})
    assert "Select at least one user first." in client.get(empty.url).content.decode()
    assert list(License.objects.values_list("user_id", flat=True)) == [pat.pk]


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_other_roles_cannot_take_the_actions(client, tenant, role):
    subscription = make_subscription(tenant)
    method = subscription.payment_method
    sign_in(client, make_user(tenant, roles=[role]))
    for url, data in [
        (f"/billing/products/{subscription.pk}/quantity/", {"quantity": "1"}),
        (f"/billing/products/{subscription.pk}/quantity/confirm/", {"quantity": "1"}),
        ("/billing/products/buy/", {"quantity": "1"}),
        ("/billing/products/buy/confirm/", {"quantity": "1"}),
        (f"/billing/products/{subscription.pk}/payment-method/", {"payment_method": method.pk}),
        (f"/billing/products/{subscription.pk}/reactivate/", {}),
        (f"/billing/licenses/{subscription.pk}/assign/", {"users": [make_user(tenant).pk]}),
        (f"/billing/licenses/{subscription.pk}/unassign/", {"users": [make_user(tenant).pk]}),
        ("/billing/payment-methods/add-invoice/", {}),
        (f"/billing/payment-methods/{method.pk}/default/", {}),
        (f"/billing/payment-methods/{method.pk}/remove/", {}),
    ]:
        assert_forbidden(client.post(url, data))
    assert Subscription.objects.get().quantity == 5
    assert PaymentMethod.objects.filter(pk=method.pk).exists()
    assert not License.objects.exists()


def test_make_a_payment_method_the_default(client, tenant, billing_admin):
    first = make_invoice_method(tenant)
    sign_in(client, billing_admin)
    year = str(date.today().year + 1)
    client.post(
        "/billing/payment-methods/add-card/",
        {
            "holder_name": "Bill",
            "number": "4242 4242 4242 4242",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
        },
    )
    card = PaymentMethod.objects.get(kind="card")
    page = client.get("/billing/payment-methods/").content.decode()
    assert f'action="/billing/payment-methods/{card.pk}/default/"' in page
    assert f'action="/billing/payment-methods/{first.pk}/default/"' not in page
    response = client.post(f"/billing/payment-methods/{card.pk}/default/")
    assert "is now the default." in client.get(response.url).content.decode()
    assert PaymentMethod.objects.get(is_default=True) == card


# --- Every button action: a service's role refusal is 403, a rule's refusal a message ----


def _button_actions(subscription):
    """Each button action with a valid body, the service it calls, and the page it returns to."""
    pk, method = subscription.pk, subscription.payment_method
    user = make_user(subscription.tenant, "pat")
    product_page = f"/billing/products/{pk}/"
    return [
        (f"{product_page}quantity/confirm/", {"quantity": "6"}, "subscription_quantity_change"),
        (
            f"{product_page}payment-method/",
            {"payment_method": method.pk},
            "subscription_payment_method_change",
        ),
        (f"{product_page}cancel/", {}, "subscription_cancel"),
        (f"{product_page}reactivate/", {}, "subscription_reactivate"),
        (f"/billing/licenses/{pk}/assign/", {"users": [user.pk]}, "license_assign"),
        (f"/billing/licenses/{pk}/unassign/", {"users": [user.pk]}, "license_unassign"),
        ("/billing/payment-methods/add-invoice/", {}, "payment_method_add_invoice"),
        (f"/billing/payment-methods/{method.pk}/default/", {}, "payment_method_set_default"),
        (f"/billing/payment-methods/{method.pk}/remove/", {}, "payment_method_remove"),
    ]


def _back_page(url):
    if url.startswith("/billing/payment-methods/"):
        return "/billing/payment-methods/"
    return url.rsplit("/", 3)[0] + "/" if "/confirm/" in url else url.rsplit("/", 2)[0] + "/"


def _refusing(error):
    def service(**kwargs):
        raise error

    return service


def test_a_services_role_refusal_of_a_button_action_is_403(
    client, tenant, billing_admin, monkeypatch
):
    subscription = make_subscription(tenant)
    sign_in(client, billing_admin)
    for url, data, service in _button_actions(subscription):
        monkeypatch.setattr(services, service, _refusing(Forbidden("Not for you.")))
        assert_forbidden(client.post(url, data))
    subscription.refresh_from_db()
    assert (subscription.quantity, subscription.status) == (5, "active")


def test_a_rule_refusing_a_button_action_goes_back_with_its_reason(
    client, tenant, billing_admin, monkeypatch
):
    subscription = make_subscription(tenant)
    sign_in(client, billing_admin)
    for url, data, service in _button_actions(subscription):
        monkeypatch.setattr(services, service, _refusing(ValidationError(f"Not now, {service}.")))
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response.url == _back_page(url), url
        assert f"Not now, {service}." in client.get(response.url).content.decode(), url
    subscription.refresh_from_db()
    assert (subscription.quantity, subscription.status) == (5, "active")


def test_a_button_action_on_an_unknown_id_changes_nothing(client, tenant, billing_admin):
    subscription = make_subscription(tenant)
    sign_in(client, billing_admin)
    for url, data, _service in _button_actions(subscription):
        if "add-invoice" in url:
            continue  # no id in its address
        missing = url.replace(f"/{subscription.pk}/", "/999999/").replace(
            f"/{subscription.payment_method_id}/", "/999999/"
        )
        assert_not_found(client.post(missing, data))
    subscription.refresh_from_db()
    assert (subscription.quantity, subscription.status) == (5, "active")


def test_change_the_number_of_licenses_as_confirmed(client, tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=3)
    sign_in(client, billing_admin)
    response = client.post(
        f"/billing/products/{subscription.pk}/quantity/confirm/", {"quantity": 4}
    )
    assert response.url == f"/billing/products/{subscription.pk}/"
    assert "You now have 4 licenses. A charge of" in client.get(response.url).content.decode()
    assert Subscription.objects.get().quantity == 4


def test_a_bad_confirmed_quantity_goes_back_with_the_error(client, tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=3)
    sign_in(client, billing_admin)
    url = f"/billing/products/{subscription.pk}/quantity/confirm/"
    for value, error in [
        ("0", "greater than or equal to 1"),
        ("many", "Enter a whole number."),
        ("", "This field is required."),
    ]:
        response = client.post(url, {"quantity": value})
        assert response.url == f"/billing/products/{subscription.pk}/", value
        assert error in client.get(response.url).content.decode(), value
    assert Subscription.objects.get().quantity == 3


def test_the_quantity_page_refuses_fewer_licenses_than_assigned(client, tenant, billing_admin):
    subscription = make_subscription(tenant, quantity=3)
    for name in ("pat", "sam"):
        License.objects.create(
            tenant=tenant, subscription=subscription, user=make_user(tenant, name)
        )
    sign_in(client, billing_admin)
    response = client.post(f"/billing/products/{subscription.pk}/quantity/", {"quantity": "1"})
    assert response.url == f"/billing/products/{subscription.pk}/"
    page = client.get(response.url).content.decode()
    assert "2 licenses are assigned. Unassign 1 before you go down to 1." in page
    assert Subscription.objects.get().quantity == 3
