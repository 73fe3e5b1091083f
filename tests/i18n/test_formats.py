"""Dates, numbers, money and country names follow the reader's language.

The same page is read by a Dutch-speaking and an English-speaking admin of one
organization (the user's own language choice wins over the organization's).
Files for machines (CSV) keep ISO dates and plain decimals in every language.
"""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import translation
from pypdf import PdfReader

from accounts.roles import GLOBAL_ADMIN
from billing import invoicing, services
from billing.models import BillingAccount, Charge, Invoice
from core import l10n
from tests.billing.factories import make_invoice_method, make_product, make_subscription
from tests.factories import make_user
from tests.helpers import sign_in
from users.csv_import import parse_users_csv

pytestmark = pytest.mark.tenant(name="Contoso", country="NL")

NBSP = "\N{NO-BREAK SPACE}"
DASH = " \N{EN DASH} "  # between the dates of a period


@pytest.fixture
def readers(tenant):
    """Return ``{language: admin who reads the portal in it}``."""
    return {
        language: make_user(
            tenant, f"admin-{language}", roles=[GLOBAL_ADMIN], preferred_language=language
        )
        for language in ("nl", "en")
    }


@pytest.fixture
def page(client, readers):
    """Return a function that gets a URL as the admin reading ``language``."""

    def get(url, language):
        client.logout()
        sign_in(client, readers[language])
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Content-Language"] == language
        return response.content.decode()

    return get


@pytest.fixture
def invoice(tenant):
    subscription = make_subscription(tenant, make_product(name="Business Basic"), quantity=1234)
    invoice = Invoice.objects.create(
        tenant=tenant,
        number="INV-202604-000001",
        period="2026-04",
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 31),
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
        currency="EUR",
        subtotal=Decimal("1234.56"),
        vat_rate=Decimal("21"),
        vat_amount=Decimal("259.26"),
        total=Decimal("1493.82"),
        status=Invoice.Status.DUE,
        # Kept when the invoice was made, with the country's name of that day.
        buyer={
            "name": "Contoso",
            "address_lines": ["Hauptstraße 1", "10115 Berlin", "Germany"],
            "vat_number": "",
            "country": "DE",
        },
    )
    Charge.objects.create(
        tenant=tenant,
        subscription=subscription,
        invoice=invoice,
        kind=Charge.Kind.PURCHASE,
        description="Business Basic",
        quantity=1234,
        unit_price=Decimal("1.00"),
        amount=Decimal("1234.56"),
        occurred_on=date(2026, 4, 1),
    )
    return invoice


def test_invoice_page_in_dutch_and_in_english(page, invoice):
    url = f"/billing/bills/{invoice.pk}/"

    dutch = page(url, "nl")
    assert "1 mei 2026" in dutch  # issue date
    assert "31 mei 2026" in dutch  # due date
    assert f"1 april 2026{DASH}30 april 2026" in dutch
    assert f"€{NBSP}1.493,82" in dutch
    assert f"€{NBSP}259,26" in dutch
    assert "<td>1.234</td>" in dutch  # quantity, grouped
    assert "Duitsland" in dutch and "Germany" not in dutch
    assert "1493.82" not in dutch and "2026-05-01" not in dutch

    english = page(url, "en")
    assert "May 1, 2026" in english
    assert f"April 1, 2026{DASH}April 30, 2026" in english
    assert "€1,493.82" in english
    assert "€259.26" in english
    assert "<td>1,234</td>" in english
    assert "Germany" in english and "Duitsland" not in english


def test_invoice_list_in_dutch_and_in_english(page, invoice):
    dutch = page("/billing/bills/", "nl")
    assert f"€{NBSP}1.493,82" in dutch and "1 mei 2026" in dutch
    english = page("/billing/bills/", "en")
    assert "€1,493.82" in english and "May 1, 2026" in english


def test_invoice_csv_stays_machine_readable_in_dutch(page, invoice, client):
    page("/billing/bills/", "nl")
    response = client.get("/billing/bills/export/")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:3] == ["INV-202604-000001", "2026-05-01", "2026-05-31"]
    assert rows[1][4:8] == ["1234.56", "259.26", "1493.82", "EUR"]


def test_subscription_page_in_dutch_and_in_english(page, tenant):
    product = make_product(name="Business Premium", monthly_price=Decimal("1250.00"))
    subscription = make_subscription(tenant, product, quantity=2500, start=date(2026, 4, 1))
    url = f"/billing/products/{subscription.pk}/"

    dutch = page(url, "nl")
    assert "<dd>2.500</dd>" in dutch
    assert f"€{NBSP}1.250,00" in dutch
    assert f"1 april 2026{DASH}1 mei 2026" in dutch

    english = page(url, "en")
    assert "<dd>2,500</dd>" in english
    assert "€1,250.00" in english
    assert f"April 1, 2026{DASH}May 1, 2026" in english


def test_product_price_on_the_buy_page(page, tenant):
    make_invoice_method(tenant)
    make_product(name="Big plan", monthly_price=Decimal("1999.50"))
    assert f"€{NBSP}1.999,50" in page("/billing/products/buy/", "nl")
    assert "€1,999.50" in page("/billing/products/buy/", "en")


def test_active_users_report_dates_in_dutch_and_csv_in_iso(page, readers, client):
    dutch = page("/reports/active-users/?period=7", "nl")
    today = date.today()
    with translation.override("nl"):
        assert l10n.format_date(today) in dutch
        assert l10n.format_month_day(today) in dutch  # the chart's labels
    assert today.isoformat() not in dutch
    response = client.get("/reports/active-users/?period=7&format=csv")
    content = b"".join(response.streaming_content).decode()
    assert today.isoformat() in content


def test_country_names_on_the_org_profile(page):
    assert 'data-testid="country">Nederland<' in page("/settings/profile/", "nl")
    assert 'data-testid="country">Netherlands<' in page("/settings/profile/", "en")


def test_country_names_on_the_billing_account_form(page, tenant):
    BillingAccount.objects.create(tenant=tenant, sold_to_name="Contoso", country="DE")
    dutch = page("/billing/accounts/", "nl")
    assert '<option value="DE" selected>Duitsland</option>' in dutch
    english = page("/billing/accounts/", "en")
    assert '<option value="DE" selected>Germany</option>' in english


def test_usage_location_on_the_users_page(page, tenant):
    person = make_user(tenant, "anna", display_name="Anna", usage_location="DE")
    assert "<dd>Duitsland</dd>" in page(f"/users/{person.pk}/", "nl")
    assert "<dd>Germany</dd>" in page(f"/users/{person.pk}/", "en")


def test_country_name_filter_reads_codes():
    template = Template("{% load portal %}{{ code|country_name }}|{{ empty|country_name }}")
    with translation.override("nl"):
        assert template.render(Context({"code": "NL", "empty": ""})) == "Nederland|"
    with translation.override("en"):
        assert template.render(Context({"code": "NL", "empty": ""})) == "Netherlands|"


def test_invoice_email_and_pdf_in_the_billing_accounts_language(
    tenant, django_capture_on_commit_callbacks
):
    admin = make_user(tenant, "bill", roles=[GLOBAL_ADMIN])
    BillingAccount.objects.create(
        tenant=tenant,
        sold_to_name="Contoso",
        address_line1="Hauptstraße 1",
        postal_code="10115",
        city="Berlin",
        country="DE",
        language="nl",
    )
    services.subscription_buy(
        tenant=tenant,
        acting_user=admin,
        product=make_product(monthly_price=Decimal("600.00")),
        quantity=2,
        frequency="monthly",
        payment_method=make_invoice_method(tenant),
        today=date(2026, 4, 1),
    )
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        invoicing.invoices_generate(period="2026-04", today=date(2026, 5, 1))

    [message] = mail.outbox
    assert "april 2026" in message.body
    assert f"€{NBSP}1.452,00" in message.body  # 1,200.00 and 21 % Dutch VAT (no VAT number)
    assert "31 mei 2026" in message.body
    pdf = PdfReader(io.BytesIO(message.attachments[0][1]))
    text = " ".join("\n".join(p.extract_text() for p in pdf.pages).split())
    assert "Factuurdatum 1 mei 2026" in text
    assert "Totaal € 1.452,00" in text.replace(NBSP, " ")
    assert "Duitsland" in text and "Germany" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "22-11-2026 07:05:09"), ("en", "11/22/2026 07:05:09")],
)
def test_timestamps_in_tables_follow_the_language_in_utc(language, expected):
    moment = datetime(2026, 11, 22, 7, 5, 9, tzinfo=UTC)
    template = Template("{% load portal %}{{ moment|utc_timestamp }}")
    with translation.override(language):
        assert template.render(Context({"moment": moment})) == expected


@pytest.mark.parametrize(
    ("country", "code"),
    [("Duitsland", "DE"), ("Germany", "DE"), ("verenigd koninkrijk", "GB"), ("NL", "NL")],
)
def test_users_csv_import_reads_country_names_in_our_languages(tenant, country, code):
    domain = tenant.domain_set.get(is_default=True).name
    data = f"User Name,Display Name,Country or Region\r\na@{domain},A,{country}\r\n".encode()
    with translation.override("en"):
        result = parse_users_csv(data, tenant=tenant)
    assert not result.errors
    assert result.rows[0].usage_location == code


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (Decimal("1234.565"), "EUR", "nl", f"€{NBSP}1.234,57"),  # half up, like pricing
        (Decimal("1234.565"), "EUR", "en", "€1,234.57"),
        (Decimal("-0.004"), "EUR", "en", "€0.00"),
        (Decimal("-12.5"), "EUR", "nl", f"€{NBSP}-12,50"),
        (Decimal("1500"), "USD", "en", "$1,500.00"),
        (Decimal("1500"), "JPY", "en", "¥1,500"),
        (None, "EUR", "en", ""),
    ],
)
def test_format_money(amount, currency, language, expected):
    assert l10n.format_money(amount, currency, language=language) == expected


def test_money_filter_uses_the_active_language():
    template = Template("{% load portal %}{{ amount|money:'EUR' }}")
    with translation.override("nl"):
        assert template.render(Context({"amount": Decimal("1234.56")})) == f"€{NBSP}1.234,56"
    with translation.override("en"):
        assert template.render(Context({"amount": Decimal("1234.56")})) == "€1,234.56"


@pytest.mark.parametrize(
    ("lines", "language", "expected"),
    [
        (("Street 1", "Germany"), "nl", ("Street 1", "Duitsland")),
        (("Street 1", "duitsland"), "en", ("Street 1", "Germany")),
        (("Street 1", "DE"), "nl", ("Street 1", "Duitsland")),
        # A last line that is no country name stays: nothing is added or lost.
        (("Street 1", "Berlin"), "nl", ("Street 1", "Berlin")),
        ((), "nl", ()),
    ],
)
def test_localize_country_line(lines, language, expected):
    assert l10n.localize_country_line(lines, "DE", language=language) == expected


def test_timestamps_fall_back_to_django_for_formats_with_words():
    moment = datetime(2026, 11, 22, 7, 5, 9, tzinfo=UTC)
    assert l10n._numeric_format("j F Y") is None
    assert l10n._numeric_format(r"d\m Y") == (
        l10n._NUMERIC_FORMAT_CHARACTERS["d"],
        "m",
        " ",
        l10n._NUMERIC_FORMAT_CHARACTERS["Y"],
    )
    with translation.override("nl"):
        assert l10n.format_utc_timestamp(None) == ""
        assert l10n.format_utc_timestamp(moment) == "22-11-2026 07:05:09"


def test_money_filter_shows_what_is_no_amount_as_it_is():
    template = Template("{% load portal %}[{{ amount|money:'EUR' }}]")
    assert template.render(Context({"amount": "n/a"})) == "[n/a]"
    assert template.render(Context({})) == "[]"
