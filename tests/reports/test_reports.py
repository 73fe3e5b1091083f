"""Reports: figures against a known data set, roles, CSV, bounded queries."""

import csv
import io
from datetime import timedelta
from html import escape

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    REPORTS_READER,
)
from core import l10n
from groups.models import Group
from tests.billing.factories import make_product, make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, make_alt_email, make_app, make_phone, sidebar, sign_in

pytestmark = pytest.mark.django_db

SLUGS = ["active-users", "licenses", "security-info", "groups"]


@pytest.fixture
def reader(tenant):
    return make_user(tenant, roles=[REPORTS_READER])


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, GLOBAL_READER, REPORTS_READER])
def test_report_roles_open_every_report(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert client.get("/reports/").status_code == 200
    for slug in SLUGS:
        page = client.get(f"/reports/{slug}/").content.decode()
        assert "<svg" in page and 'data-testid="report-table"' in page, slug
    assert "/reports/" in sidebar(client.get("/"))


def test_every_report_has_an_intro_and_a_titled_chart(client, reader):
    from reports.views.current import CHART_TITLES, REPORT_INTROS

    sign_in(client, reader)
    for slug in SLUGS:
        page = client.get(f"/reports/{slug}/").content.decode()
        assert f'<p class="page-intro">{escape(str(REPORT_INTROS[slug]))}</p>' in page, slug
        title = escape(str(CHART_TITLES[slug]))
        assert f'<h2 id="chart-heading">{title}</h2>' in page, slug
        # The chart scrolls sideways in its card on a phone: a region a keyboard can reach.
        assert '<div class="chart-scroll" role="region" tabindex="0"' in page, slug


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, BILLING_ADMIN])
def test_other_roles_get_403(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get("/reports/"))
    assert_forbidden(client.get("/reports/licenses/"))


def test_unknown_report_is_404(client, reader):
    sign_in(client, reader)
    assert client.get("/reports/nonsense/").status_code == 404


def test_active_users_counts_people_per_day(client, tenant, reader):
    pat, sam = make_user(tenant), make_user(tenant)
    for actor in (pat, pat, sam):
        audit_record(action="signin.success", tenant=tenant, actor=actor)
    audit_record(action="signin.success", tenant=make_tenant(), actor=make_user(make_tenant()))
    sign_in(client, reader)
    rows = csv_rows(client.get("/reports/active-users/", {"period": "7", "format": "csv"}))
    assert len(rows) == 1 + 7
    assert rows[-1] == [timezone.localdate().isoformat(), "2"]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_active_users_is_drawn_over_time_in_the_readers_language(client, tenant, language):
    reader = make_user(tenant, roles=[REPORTS_READER], preferred_language=language)
    for actor in (make_user(tenant), make_user(tenant)):
        audit_record(action="signin.success", tenant=tenant, actor=actor)
    sign_in(client, reader)
    page = client.get("/reports/active-users/", {"period": "7"}).content.decode()
    today = timezone.localdate()
    start = today - timedelta(days=6)
    chart = page[page.index('<svg class="chart') :]
    chart = chart[: chart.index("</svg>")]
    # A line with a dot per day, the dates along x in the reader's language...
    assert chart.count("<circle") == 7 and "<polyline" in chart
    assert f">{l10n.format_month_day(today, language=language)}</text>" in chart
    assert f"{l10n.format_month_day(start, language=language)}: 0</title>" in chart
    # ...named and described for a screen reader, with the figures in the table too.
    with translation.override(language):
        described = _(
            "From %(first)s to %(last)s: lowest %(low)s, highest %(high)s people a day."
        ) % {"first": l10n.format_date(start), "last": l10n.format_date(today), "low": 0, "high": 2}
    assert f">{escape(described)}</desc>" in chart
    assert 'aria-describedby="chart-active-users-desc"' in chart
    assert 'data-testid="report-table"' in page
    assert "style=" not in chart


def test_license_usage(client, tenant, reader):
    subscription = make_subscription(tenant, make_product(name="Basic"), quantity=5)
    from billing.models import License

    License.objects.create(tenant=tenant, subscription=subscription, user=make_user(tenant))
    sign_in(client, reader)
    rows = csv_rows(client.get("/reports/licenses/", {"format": "csv"}))
    assert rows[1] == ["Basic", "1", "5", "4"]


def test_security_info_registration(client, tenant, reader):
    ready_admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    make_phone(ready_admin)
    make_alt_email(ready_admin)
    lonely_admin = make_user(tenant, roles=[HELPDESK_ADMIN])
    make_app(lonely_admin)
    user = make_user(tenant)
    make_phone(user, "+31612345679")
    make_user(tenant)  # no method at all
    sign_in(client, reader)
    rows = {
        row[0]: row[1:]
        for row in csv_rows(client.get("/reports/security-info/", {"format": "csv"}))[1:]
    }
    # Admins: the reader, ready_admin, lonely_admin. Users: user and the one without methods.
    assert rows["Admins"] == ["3", "1", "1", "1", "2"]
    assert rows["Users"] == ["2", "1", "0", "0", "1"]


def test_group_counts(client, tenant, reader):
    Group.objects.create(tenant=tenant, kind="security", name="A")
    Group.objects.create(tenant=tenant, kind="security", name="B")
    Group.objects.create(tenant=tenant, kind="team", name="C", deleted_at=timezone.now())
    sign_in(client, reader)
    rows = dict(csv_rows(client.get("/reports/groups/", {"format": "csv"}))[1:])
    assert rows["Security group"] == "2" and rows["Team group"] == "0"


@pytest.mark.parametrize("slug", SLUGS)
def test_queries_stay_bounded(client, tenant, reader, slug, django_assert_max_num_queries):
    for _n in range(20):
        make_user(tenant)
    sign_in(client, reader)
    with django_assert_max_num_queries(12):
        client.get(f"/reports/{slug}/", {"period": "90"})
