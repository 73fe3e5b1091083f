"""Dates, numbers, money and country names follow the reader's language.

The same page is read by a Dutch-speaking and an English-speaking admin of one
organization (the user's own language choice wins over the organization's).
Dates name the month in words ("3 Dec 2026", "3 dec 2026"), so nobody reads 12/03
as the wrong day; times are in the organization's time zone and name it.
Files for machines (CSV) keep ISO dates and plain decimals in every language.
"""

import csv
import io
import re
import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import dateformat, formats, timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN
from billing import invoicing, services
from billing.models import BillingAccount, Charge, Invoice
from core import l10n
from core.tables import EventTimeColumn
from tests.billing.factories import make_invoice_method, make_product, make_subscription
from tests.factories import make_tenant, make_user
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
    assert f"1 apr 2026{DASH}30 apr 2026" in dutch
    assert f"€{NBSP}1.493,82" in dutch
    assert f"€{NBSP}259,26" in dutch
    assert "<td>1.234</td>" in dutch  # quantity, grouped
    assert "Duitsland" in dutch and "Germany" not in dutch
    assert "1493.82" not in dutch and "2026-05-01" not in dutch

    english = page(url, "en")
    assert "1 May 2026" in english
    assert f"1 Apr 2026{DASH}30 Apr 2026" in english
    assert "€1,493.82" in english
    assert "€259.26" in english
    assert "<td>1,234</td>" in english
    assert "Germany" in english and "Duitsland" not in english


def test_invoice_list_in_dutch_and_in_english(page, invoice):
    dutch = page("/billing/bills/", "nl")
    assert f"€{NBSP}1.493,82" in dutch and "1 mei 2026" in dutch
    english = page("/billing/bills/", "en")
    assert "€1,493.82" in english and "1 May 2026" in english


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
    assert f"1 apr 2026{DASH}1 mei 2026" in dutch

    english = page(url, "en")
    assert "<dd>2,500</dd>" in english
    assert "€1,250.00" in english
    assert f"1 Apr 2026{DASH}1 May 2026" in english


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


def test_money_filter_shows_what_is_no_amount_as_it_is():
    template = Template("{% load portal %}[{{ amount|money:'EUR' }}]")
    assert template.render(Context({"amount": "n/a"})) == "[n/a]"
    assert template.render(Context({})) == "[]"


# --- Dates and times ---------------------------------------------------------------

MOMENT = datetime(2026, 12, 3, 16, 22, 8, tzinfo=UTC)  # 17:22:08 in Amsterdam (CET)
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}


@pytest.mark.parametrize(
    ("language", "format_name", "expected"),
    [
        ("en", "DATE_FORMAT", "3 Dec 2026"),
        ("en", "SHORT_DATE_FORMAT", "3 Dec 2026"),
        ("en", "DATETIME_FORMAT", "3 Dec 2026, 16:22"),
        ("en", "SHORT_DATETIME_FORMAT", "3 Dec 2026, 16:22"),
        ("en", "MONTH_DAY_FORMAT", "3 Dec"),  # a chart's axis
        ("nl", "DATE_FORMAT", "3 dec 2026"),
        ("nl", "SHORT_DATE_FORMAT", "3 dec 2026"),
        ("nl", "DATETIME_FORMAT", "3 dec 2026, 16:22"),
        ("nl", "SHORT_DATETIME_FORMAT", "3 dec 2026, 16:22"),
        ("nl", "MONTH_DAY_FORMAT", "3 dec"),
    ],
)
def test_every_format_of_every_language(language, format_name, expected):
    with translation.override(language), timezone.override(UTC):
        assert formats.date_format(MOMENT, format_name) == expected
        assert (
            Template(f'{{{{ moment|date:"{format_name}" }}}}').render(Context({"moment": MOMENT}))
            == expected
        )


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("month", range(1, 13))
def test_dates_name_the_month_in_words(language, month):
    text = l10n.format_date(date(2026, month, 12), language=language)
    assert text == f"12 {MONTHS[language][month - 1]} 2026"


@pytest.mark.parametrize(
    ("language", "seconds", "expected"),
    [
        ("en", False, "3 Dec 2026, 17:22 CET"),
        ("en", True, "3 Dec 2026, 17:22:08 CET"),
        ("nl", False, "3 dec 2026, 17:22 CET"),
        ("nl", True, "3 dec 2026, 17:22:08 CET"),
    ],
)
def test_event_times_name_the_zone(language, seconds, expected):
    with timezone.override("Europe/Amsterdam"):
        assert l10n.format_datetime(MOMENT, seconds=seconds, language=language) == expected
        with translation.override(language):
            precision = '"seconds"' if seconds else '""'
            template = Template(f"{{% load portal %}}{{{{ moment|event_time:{precision} }}}}")
            assert template.render(Context({"moment": MOMENT})) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Spring forward on 29 March 2026: 02:00 CET becomes 03:00 CEST.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 Mar 2026, 01:59 CET"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 Mar 2026, 03:00 CEST"),
        # Fall back on 25 October 2026: 02:30 happens twice, told apart by the zone.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 Oct 2026, 02:30 CEST"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 Oct 2026, 02:30 CET"),
    ],
)
def test_daylight_saving_time_boundaries_in_amsterdam(moment, expected):
    with timezone.override("Europe/Amsterdam"):
        assert l10n.format_datetime(moment, language="en") == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "3 Dec 2026, 16:22 UTC"),
        ("Asia/Tokyo", "4 Dec 2026, 01:22 JST"),
        # No abbreviation of its own: named by its offset.
        ("America/Sao_Paulo", "3 Dec 2026, 13:22 UTC-03"),
        ("Asia/Kolkata", "3 Dec 2026, 21:52 IST"),
    ],
)
def test_event_times_in_other_zones(zone, expected):
    with timezone.override(zone):
        assert l10n.format_datetime(MOMENT, language="en") == expected


def test_event_time_of_nothing_is_empty_and_a_naive_time_is_refused():
    assert l10n.format_datetime(None) == ""
    assert l10n.format_datetime("") == ""
    with pytest.raises(ValueError, match="aware"):
        l10n.format_datetime(datetime(2026, 12, 3, 16, 22))


def test_event_time_column_writes_the_page_and_iso_8601_for_files():
    column = EventTimeColumn("Time", "created_at", link=lambda row: "x/", seconds=True)
    row = SimpleNamespace(pk=1, created_at=MOMENT)
    with timezone.override("Europe/Amsterdam"), translation.override("nl"):
        assert column.render([row]) == ['<td><a href="x/">3 dec 2026, 17:22:08 CET</a></td>']
        assert column.text(row) == "2026-12-03T17:22:08+01:00"
        assert column.text(SimpleNamespace(created_at=None)) == ""


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("seconds", [False, True])
def test_fast_event_times_match_djangos_formatter(language, seconds):
    format_string = l10n._datetime_format(language, seconds)
    for month in range(1, 13):
        moment = datetime(2026, month, 9, 7, 5, 3, tzinfo=UTC)
        with timezone.override("Europe/Amsterdam"), translation.override(language):
            local = timezone.localtime(moment)
            expected = f"{dateformat.format(local, format_string)} {local.tzname()}"
            assert l10n.format_datetime(moment, seconds=seconds) == expected


def test_event_times_fall_back_to_django_for_other_format_characters(monkeypatch):
    assert l10n._compiled_format("D j M Y", "en") is None
    assert l10n._compiled_format(r"j \M Y", "en") == (
        l10n._NUMERIC_FORMAT_CHARACTERS["j"],
        " ",
        "M",
        " ",
        l10n._NUMERIC_FORMAT_CHARACTERS["Y"],
    )
    monkeypatch.setattr(l10n, "_datetime_format", lambda language, seconds: "D j b Y, H:i")
    with timezone.override(UTC):
        assert l10n.format_datetime(MOMENT, language="nl") == "do 3 dec 2026, 16:22 UTC"


def test_event_times_keep_braces_and_leave_two_digit_years_to_the_parts(monkeypatch):
    monkeypatch.setattr(l10n, "_datetime_format", lambda language, seconds: r"{j} \M b Y")
    with timezone.override(UTC):
        assert l10n.format_datetime(MOMENT, language="nl") == "{3} M dec 2026 UTC"
    assert l10n._format_template("j b y", "nl") is None
    monkeypatch.setattr(l10n, "_datetime_format", lambda language, seconds: "j b y, H:i")
    with timezone.override(UTC):
        assert l10n.format_datetime(MOMENT, language="nl") == "3 dec 26, 16:22 UTC"


DUTCH_MONTHS = {name: number for number, name in enumerate(MONTHS["nl"], start=1)}
EVENT_TIME = re.compile(r"(\d{1,2}) (\w+) (\d{4}), (\d{2}):(\d{2}):(\d{2}) (\S+)")


@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(2100, 12, 30),
        timezones=st.timezones(),
    ),
    zone=st.timezone_keys(),
)
def test_any_aware_time_in_any_zone_renders_its_date_parts(moment, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        text = l10n.format_datetime(moment, seconds=True, language="nl")
        local = timezone.localtime(moment)
    day, month, year, hour, minute, second, name = EVENT_TIME.fullmatch(text).groups()
    assert (int(year), DUTCH_MONTHS[month], int(day)) == (local.year, local.month, local.day)
    assert (int(hour), int(minute), int(second)) == (local.hour, local.minute, local.second)
    assert name == l10n.zone_name(local)


@pytest.fixture
def amsterdam(tenant):
    tenant.time_zone = "Europe/Amsterdam"
    tenant.save(update_fields=["time_zone"])
    AuditEvent.objects.create(
        tenant=tenant, action="role.assign", target_label="Anna", created_at=MOMENT
    )
    return tenant


def test_audit_log_in_dutch_and_in_english_in_the_organizations_zone(page, amsterdam):
    dutch = page("/audit/", "nl")
    assert "Tijd (Europe/Amsterdam)" in dutch
    assert "3 dec 2026, 17:22:08 CET" in dutch
    english = page("/audit/", "en")
    assert "Time (Europe/Amsterdam)" in english
    assert "3 Dec 2026, 17:22:08 CET" in english
    assert "12/03/2026" not in english and "16:22" not in english


def test_audit_event_page_shows_the_seconds_and_the_zone(page, amsterdam):
    event = AuditEvent.objects.get(tenant=amsterdam)
    assert "3 dec 2026, 17:22:08 CET" in page(f"/audit/{event.pk}/", "nl")
    assert "3 Dec 2026, 17:22:08 CET" in page(f"/audit/{event.pk}/", "en")


def test_an_organization_in_another_zone_sees_other_clock_times(client, amsterdam):
    tokyo = make_tenant(name="Fabrikam", time_zone="Asia/Tokyo")
    AuditEvent.objects.create(
        tenant=tokyo, action="role.assign", target_label="Ken", created_at=MOMENT
    )
    sign_in(client, make_user(tokyo, "admin", roles=[GLOBAL_ADMIN], preferred_language="en"))
    page = client.get("/audit/").content.decode()
    assert "Time (Asia/Tokyo)" in page
    assert "4 Dec 2026, 01:22:08 JST" in page and "CET" not in page
    # The zone is the request's only: nothing stays active for the next one.
    assert timezone.get_current_timezone_name() == "UTC"


def test_audit_csv_keeps_iso_8601_with_the_organizations_offset(page, amsterdam, client):
    page("/audit/", "nl")
    response = client.get("/audit/export/")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Tijd (ISO 8601)"
    assert rows[1][0] == "2026-12-03T17:22:08+01:00"
