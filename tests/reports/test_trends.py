"""Reports over time: figures per day from known events on known days, people, CSV, roles."""

import csv
import io
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    REPORTS_READER,
)
from billing.models import License
from reports import selectors
from tests.billing.factories import make_product, make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, sign_in

pytestmark = pytest.mark.django_db

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
URLS = {
    "sign-ins": "/reports/sign-ins/",
    "password-resets": "/reports/password-resets/",
    "registrations": "/reports/registrations/",
    "license-use": "/reports/license-use/",
}


@pytest.fixture
def tenant(db):
    # East of UTC, so that a late evening there is another day in UTC.
    return make_tenant(time_zone="Europe/Amsterdam")


@pytest.fixture
def reader(tenant):
    return make_user(tenant, roles=[REPORTS_READER])


def today():
    return timezone.localdate(timezone=AMSTERDAM)


def at(days_ago, hour=12, minute=0):
    """Return the moment ``hour``:``minute`` in Amsterdam, ``days_ago`` days before today."""
    day = today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def event(tenant, action, person, when, **values):
    """Record ``action`` about ``person`` at ``when``, as the flows record it."""
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=person if action != "billing.license.assign" else None,
        action=action,
        target_type="accounts.user",
        target_id=str(person.pk),
        target_label=str(person),
        created_at=when,
        **values,
    )


def figures(series, day):
    return dict(series)[day]


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- sign-ins ---------------------------------------------------------------------------


def test_signins_per_day_count_each_result_on_the_organizations_day(tenant):
    anna = make_user(tenant)
    # 23:30 in Amsterdam is still that day there, though the next in no zone west of it;
    # 00:30 is the next day there, though the day before in UTC.
    event(tenant, "signin.success", anna, at(1, 23, 30), new_values={"second_factor": True})
    event(tenant, "signin.success", anna, at(0, 0, 30), new_values={"second_factor": False})
    event(tenant, "signin.failure", anna, at(0, 0, 40))
    event(tenant, "signin.failure", anna, at(0, 0, 41))
    event(tenant, "signin.lockout", anna, at(0, 0, 41), new_values={"kind": "user"})
    event(tenant, "signin.mfa_failure", anna, at(2))
    event(tenant, "signin.passkey_failure", anna, at(2))
    assert at(0, 0, 30).astimezone(zoneinfo.ZoneInfo("UTC")).date() == today() - timedelta(1)

    series = selectors.signins_per_day(tenant, 7)

    assert [day for day, _f in series] == [today() - timedelta(days=n) for n in range(6, -1, -1)]
    assert figures(series, today()) == {
        "success": 1,
        "failure": 2,
        "second_step_failure": 0,
        "passkey_failure": 0,
        "lockout": 1,
    }
    assert figures(series, today() - timedelta(1))["success"] == 1
    assert figures(series, today() - timedelta(2)) == {
        "success": 0,
        "failure": 0,
        "second_step_failure": 1,
        "passkey_failure": 1,
        "lockout": 0,
    }
    assert sum(f["success"] for _d, f in series[:-2]) == 0


def test_signin_methods_tell_password_only_from_a_second_step_and_a_temporary_pass(tenant):
    anna, ben = make_user(tenant), make_user(tenant)
    event(tenant, "signin.success", anna, at(0, 9), new_values={"second_factor": False})
    event(tenant, "signin.success", anna, at(0, 10), new_values={"second_factor": True})
    event(tenant, "signin.success", ben, at(0, 11), new_values={"second_factor": True})
    event(tenant, "security_info.temporary_pass.use", ben, at(0, 11))
    event(tenant, "signin.success", ben, at(1, 11), new_values={"second_factor": True})

    series = selectors.signin_methods_per_day(tenant, 7)

    assert figures(series, today()) == {"password_only": 1, "second_step": 1, "temporary_pass": 1}
    assert figures(series, today() - timedelta(1)) == {
        "password_only": 0,
        "second_step": 1,
        "temporary_pass": 0,
    }


@pytest.mark.parametrize("days", selectors.PERIODS)
def test_a_period_starts_at_midnight_of_its_first_day_there(tenant, days):
    anna = make_user(tenant)
    event(tenant, "signin.success", anna, at(days - 1, 0, 0))  # the first day's first minute
    event(tenant, "signin.success", anna, at(days, 23, 59))  # the day before: outside

    series = selectors.signins_per_day(tenant, days)

    assert len(series) == days
    assert series[0] == (today() - timedelta(days=days - 1), series[0][1])
    assert sum(f["success"] for _d, f in series) == 1
    assert series[0][1]["success"] == 1


def test_another_organizations_events_never_count(tenant, client, reader):
    other = make_tenant(time_zone="Europe/Amsterdam")
    stranger = make_user(other)
    for action in ("signin.success", "password.reset_self", "security_info.phone.add"):
        event(other, action, stranger, at(0))
    event(other, "billing.license.assign", stranger, at(0), new_values={"product": "x"})
    assert all(not any(f.values()) for _d, f in selectors.signins_per_day(tenant, 30))
    assert all(not any(f.values()) for _d, f in selectors.password_resets_per_day(tenant, 30))
    assert all(not any(f.values()) for _d, f in selectors.registrations_per_day(tenant, 30))
    assert selectors.license_use_per_day(tenant, 30, today_assigned={})[-1][1] == {}
    sign_in(client, reader)
    for url in URLS.values():
        page = client.get(url).content.decode()
        assert stranger.username not in page, url
        assert len(csv_rows(client.get(url, {"export": "csv"}))) == 1, url


def test_signin_people_count_per_person_with_the_last_attempt(client, tenant, reader):
    anna = make_user(tenant, display_name="Anna Smit")
    ben = make_user(tenant, display_name="Ben Visser")
    event(tenant, "signin.success", anna, at(3), new_values={"second_factor": True})
    event(tenant, "signin.success", anna, at(1), new_values={"second_factor": False})
    event(tenant, "signin.failure", anna, at(1, 13))
    event(tenant, "signin.failure", ben, at(0, 8))
    event(tenant, "signin.lockout", ben, at(0, 8))
    event(tenant, "signin.success", ben, at(40))  # outside a 30-day period
    sign_in(client, reader)

    rows = csv_rows(client.get("/reports/sign-ins/", {"export": "csv", "sort": "name"}))

    assert rows[0] == [
        "Person",
        "Sign-in name",
        "Succeeded",
        "With a second step",
        "Failed",
        "Locked out",
        "Last attempt",
    ]
    assert rows[1][:6] == ["Anna Smit", anna.username, "2", "1", "1", "0"]
    assert rows[1][6] == at(1, 13).isoformat()
    assert rows[2][:6] == ["Ben Visser", ben.username, "0", "0", "1", "1"]
    assert len(rows) == 3
    rows = csv_rows(client.get("/reports/sign-ins/", {"export": "csv", "period": "90"}))
    assert [row[2] for row in rows[1:]] == ["1", "2"]  # Ben's last attempt is today's


def test_figures_csv_has_a_row_per_day_with_every_series(client, tenant, reader):
    anna = make_user(tenant)
    event(tenant, "signin.success", anna, at(0), new_values={"second_factor": True})
    sign_in(client, reader)

    rows = csv_rows(client.get("/reports/sign-ins/", {"format": "csv", "period": "7"}))

    assert rows[0] == [
        "Day",
        "Succeeded",
        "Wrong name or password",
        "Second step failed",
        "Passkey failed",
        "Locked out",
        "Password only",
        "With a second step or a passkey",
        "With a temporary access pass",
    ]
    assert len(rows) == 1 + 7
    assert rows[-1] == [today().isoformat(), "1", "0", "0", "0", "0", "0", "1", "0"]
    assert rows[1][0] == (today() - timedelta(6)).isoformat()


# --- password resets --------------------------------------------------------------------


def test_password_resets_per_day_and_per_person(client, tenant, reader):
    anna = make_user(tenant, display_name="Anna Smit")
    event(tenant, "password.reset_self", anna, at(0, 0, 5))
    event(tenant, "password_reset.blocked", anna, at(1, 23, 55))
    event(tenant, "password_reset.too_many_codes", anna, at(1, 22))
    # A throttled address belongs to no organization.
    AuditEvent.objects.create(action="password_reset.throttled", created_at=at(0))

    series = selectors.password_resets_per_day(tenant, 7)

    assert figures(series, today()) == {
        "reset": 1,
        "blocked": 0,
        "too_many_codes": 0,
        "throttled": 0,
    }
    assert figures(series, today() - timedelta(1)) == {
        "reset": 0,
        "blocked": 1,
        "too_many_codes": 1,
        "throttled": 0,
    }
    sign_in(client, reader)
    rows = csv_rows(client.get("/reports/password-resets/", {"export": "csv"}))
    assert rows[0][:5] == [
        "Person",
        "Sign-in name",
        "Reset",
        "Blocked for the day",
        "Too many wrong codes",
    ]
    assert rows[1][:5] == ["Anna Smit", anna.username, "1", "1", "1"]


# --- registrations ----------------------------------------------------------------------


def test_registrations_per_day_by_method(client, tenant, reader):
    anna, ben = make_user(tenant), make_user(tenant)
    event(tenant, "security_info.phone.add", anna, at(0))
    event(tenant, "security_info.phone.change", anna, at(0))
    event(tenant, "security_info.email.add", anna, at(0))
    event(tenant, "security_info.app.add", ben, at(0))
    event(tenant, "security_info.passkey.add", ben, at(5))
    event(tenant, "security_info.backup_codes.generate", ben, at(5))
    event(tenant, "security_info.phone.delete", ben, at(5))  # no registration

    series = selectors.registrations_per_day(tenant, 7)

    assert figures(series, today()) == {
        "phone": 2,
        "email": 1,
        "app": 1,
        "passkey": 0,
        "backup_codes": 0,
    }
    assert figures(series, today() - timedelta(5)) == {
        "phone": 0,
        "email": 0,
        "app": 0,
        "passkey": 1,
        "backup_codes": 1,
    }
    sign_in(client, reader)
    rows = csv_rows(client.get("/reports/registrations/", {"export": "csv", "sort": "-phone"}))
    assert rows[1][2:7] == ["2", "1", "0", "0", "0"]
    assert rows[2][2:7] == ["0", "0", "1", "1", "1"]


# --- licenses ---------------------------------------------------------------------------


def test_license_use_is_reconstructed_backwards_from_todays_count(client, tenant, reader):
    basic = make_subscription(tenant, make_product(name="Basic", sku="basic"), quantity=10)
    people = [make_user(tenant) for _n in range(4)]
    # Today: three hold a license. Two got it in the period, one lost it yesterday.
    for person in people[:3]:
        License.objects.create(tenant=tenant, subscription=basic, user=person)
    event(tenant, "billing.license.assign", people[1], at(5), new_values={"product": "basic"})
    event(
        tenant, "billing.license.assign", people[2], at(0, 0, 10), new_values={"product": "basic"}
    )
    event(
        tenant,
        "billing.license.unassign",
        people[3],
        at(1, 23, 50),
        old_values={"product": "basic"},
    )

    names, assigned, bought = selectors.license_products(tenant)
    series = selectors.license_use_per_day(tenant, 7, today_assigned=assigned)

    assert (names, assigned, bought) == ({"basic": "Basic"}, {"basic": 3}, {"basic": 10})
    # Five days ago one more; yesterday one fewer; today one more, ending at today's 3.
    assert [f["basic"] for _d, f in series] == [2, 3, 3, 3, 3, 2, 3]
    sign_in(client, reader)
    rows = csv_rows(client.get("/reports/license-use/", {"format": "csv", "period": "7"}))
    assert rows[0] == ["Day", "Basic: assigned", "Basic: bought"]
    assert [row[1:] for row in rows[1:]] == [
        ["2", "10"], ["3", "10"], ["3", "10"], ["3", "10"], ["3", "10"], ["2", "10"], ["3", "10"]
    ]  # fmt: skip
    people_rows = csv_rows(client.get("/reports/license-use/", {"export": "csv", "sort": "-last"}))
    assert people_rows[0] == [
        "Person",
        "Sign-in name",
        "Product",
        "Assigned",
        "Unassigned",
        "Last change",
    ]
    assert [row[1:5] for row in people_rows[1:]] == [
        [people[2].username, "Basic", "1", "0"],
        [people[3].username, "Basic", "0", "1"],
        [people[1].username, "Basic", "1", "0"],
    ]


# --- pages, roles, exports, queries --------------------------------------------------------


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, GLOBAL_READER, REPORTS_READER])
def test_report_roles_open_every_report_over_time(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    index = client.get("/reports/").content.decode()
    for slug, url in URLS.items():
        assert f'href="{url}"' in index, slug
        page = client.get(url, {"period": "90"}).content.decode()
        assert '<svg class="chart chart-series-chart"' in page, slug
        assert 'data-testid="report-people"' in page and 'data-testid="report-figures"' in page
        assert '<option value="90" selected>' in page
        assert "style=" not in page[page.index("<svg") : page.rindex("</svg>")]


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, BILLING_ADMIN])
def test_other_roles_get_403_for_every_report_and_export(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    for url in URLS.values():
        assert_forbidden(client.get(url))
        assert_forbidden(client.get(url, {"format": "csv"}))
        assert_forbidden(client.get(url, {"export": "csv"}))


def test_an_unknown_period_shows_the_default_one(client, tenant, reader):
    sign_in(client, reader)
    page = client.get("/reports/sign-ins/", {"period": "13"}).content.decode()
    assert f'<option value="{selectors.DEFAULT_PERIOD}" selected>' in page


def test_exporting_the_people_is_audited_the_figures_are_not(client, tenant, reader):
    sign_in(client, reader)
    csv_rows(client.get("/reports/registrations/", {"export": "csv", "period": "90"}))
    csv_rows(client.get("/reports/registrations/", {"format": "csv", "period": "90"}))
    [recorded] = AuditEvent.objects.for_tenant(tenant).filter(action="reports.export")
    assert recorded.actor == reader
    assert recorded.new_values == {"report": "registrations", "days": 90}


def test_people_are_paginated(client, tenant, reader):
    for n in range(55):
        event(tenant, "signin.success", make_user(tenant), at(n % 20))
    sign_in(client, reader)
    page = people_table(client.get("/reports/sign-ins/"))
    assert page.count("<tr>") == 1 + 50
    assert "Page 1 of 2" in client.get("/reports/sign-ins/").content.decode()
    second = people_table(client.get("/reports/sign-ins/", {"page": "2"}))
    assert second.count("<tr>") == 1 + 5


def people_table(response):
    page = response.content.decode()
    table = page[page.index('data-testid="report-people"') :]
    return table[: table.index("</table>")]


@pytest.mark.parametrize("url", URLS.values())
@pytest.mark.parametrize("days", [7, 180])
def test_queries_stay_bounded_whatever_the_period(
    client, tenant, reader, url, days, django_assert_max_num_queries
):
    product = make_product(sku="basic")
    subscription = make_subscription(tenant, product, quantity=30)
    for n in range(30):
        person = make_user(tenant)
        License.objects.create(tenant=tenant, subscription=subscription, user=person)
        event(tenant, "signin.success", person, at(n % 7), new_values={"second_factor": True})
        event(tenant, "security_info.phone.add", person, at(n % 7))
        event(tenant, "password.reset_self", person, at(n % 7))
        event(tenant, "billing.license.assign", person, at(n % 7), new_values={"product": "basic"})
    sign_in(client, reader)
    with django_assert_max_num_queries(12):
        assert client.get(url, {"period": str(days)}).status_code == 200
    with django_assert_max_num_queries(12):
        assert len(csv_rows(client.get(url, {"period": str(days), "format": "csv"}))) == days + 1


@pytest.mark.parametrize("url", URLS.values())
def test_the_same_queries_for_a_week_and_half_a_year(client, tenant, reader, url, settings):
    settings.PORTAL_PAGE_CACHE_SECONDS = 0  # every page rendered afresh
    make_subscription(tenant, make_product(sku="basic"), quantity=3)
    for n in range(12):
        person = make_user(tenant)
        event(tenant, "signin.success", person, at(n * 13), new_values={"second_factor": True})
        event(tenant, "billing.license.assign", person, at(n * 13), new_values={"product": "basic"})
    sign_in(client, reader)
    counts = []
    for days in (7, 180):
        with CaptureQueriesContext(connection) as queries:
            client.get(url, {"period": str(days)})
        counts.append(len(queries))
    assert counts[0] == counts[1]
