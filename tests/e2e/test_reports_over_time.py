"""End to end in Chromium: the reports over time, their period, their CSV; in Dutch, as
a Global admin and as a Global reader."""

import csv
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEvent, User
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER
from billing.models import License
from reports import demo, selectors
from tests.billing.factories import make_product, make_subscription
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

REPORTS_NL = [
    ("sign-ins", "Aanmeldingen"),
    ("password-resets", "Selfservice-wachtwoordherstel"),
    ("registrations", "Registraties van beveiligingsgegevens"),
    ("license-use", "Licentiegebruik in de tijd"),
]


@pytest.fixture
def contoso():
    """Contoso in Amsterdam, with 40 people, two products and the demo's 90 days of history."""
    tenant = make_tenant("Contoso", "contoso.example", time_zone="Europe/Amsterdam")
    admin = make_user(
        tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen", preferred_language="nl"
    )
    make_user(
        tenant, "priya", roles=[GLOBAL_READER], display_name="Priya Shah", preferred_language="nl"
    )
    names = ["Anna de Vries", "Ben Okafor", "Chen Li", "Dara Murphy", "Elif Kaya", "Finn Bakker"]
    for n in range(40):
        first, last = names[n % len(names)].split(" ", 1)
        make_user(tenant, f"person{n:02d}", display_name=f"{first} {last} {n:02d}")
    basic = make_subscription(
        tenant, make_product(sku="business-basic", name="Business Basic"), quantity=25
    )
    premium = make_subscription(
        tenant, make_product(sku="business-premium", name="Business Premium"), quantity=5
    )
    people = list(User.objects.for_tenant(tenant).with_role_codes().order_by("id"))
    License.objects.bulk_create(
        [License(tenant=tenant, subscription=basic, user=person) for person in people[:14]]
        + [License(tenant=tenant, subscription=premium, user=person) for person in people[:3]]
    )
    today = timezone.localdate(timezone=selectors.organization_zone(tenant))
    AuditEvent.objects.bulk_create(demo.draw(tenant, people, billing=admin, today=today).events)
    return tenant


def test_admin_opens_a_report_switches_the_period_and_downloads_the_csv(
    page, live_server, sign_in, shot, contoso
):
    User.objects.filter(username="megan@contoso.example").update(preferred_language="en")
    sign_in("megan@contoso.example", PASSWORD)
    page.get_by_role("link", name="Reports").click()
    page.get_by_test_id("trend-report-list").get_by_role("link", name="Sign-ins").click()
    expect(page.get_by_role("heading", name="Sign-ins", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Sign-in attempts by result")).to_be_visible()
    expect(page.get_by_label("Period")).to_have_value("30")
    expect(page.get_by_test_id("report-chart").first.locator("svg circle").first).to_be_attached()

    page.get_by_label("Period").select_option("90")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{live_server.url}/reports/sign-ins/?period=90")
    expect(page.get_by_label("Period")).to_have_value("90")
    # Ninety days draw lines without a dot per day; the figures stay in the table.
    expect(page.get_by_test_id("report-chart").first.locator("svg circle")).to_have_count(0)
    page.locator("summary", has_text="Figures per day").click()
    expect(page.get_by_test_id("report-figures").locator("tbody tr")).to_have_count(90)
    expect(page.get_by_test_id("report-people").locator("tbody tr")).to_have_count(42)
    shot("report-sign-ins-90-days")

    with page.expect_download() as figures:
        page.get_by_role("link", name="Export figures per day").click()
    assert figures.value.suggested_filename == "sign-ins-90-days.csv"
    rows = list(csv.reader(io.StringIO(open(figures.value.path()).read())))  # noqa: SIM115
    assert rows[0][:2] == ["Day", "Succeeded"] and len(rows) == 1 + 90

    with page.expect_download() as people:
        page.get_by_role("link", name="Export people").click()
    assert people.value.suggested_filename == "sign-ins-people-90-days.csv"
    rows = list(csv.reader(io.StringIO(open(people.value.path()).read())))  # noqa: SIM115
    assert rows[0][:3] == ["Person", "Sign-in name", "Succeeded"] and len(rows) == 1 + 42
    assert AuditEvent.objects.filter(action="reports.export", tenant=contoso).count() == 1


@pytest.mark.parametrize("who", ["megan", "priya"])
def test_each_report_in_dutch(page, live_server, sign_in, shot, contoso, who):
    sign_in(f"{who}@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    expect(page.get_by_role("heading", name="Gebruik in de tijd")).to_be_visible()
    shot(f"reports-index-nl-{who}")
    for slug, title in REPORTS_NL:
        page.get_by_test_id("trend-report-list").get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_test_id("report-chart").first.locator("svg")).to_be_visible()
        expect(page.get_by_test_id("report-people").locator("tbody tr").first).to_be_visible()
        shot(f"report-{slug}-nl-{who}")
        page.get_by_role("link", name="Alle rapporten").click()
