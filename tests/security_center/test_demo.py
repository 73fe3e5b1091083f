"""The demo's sign-in log: the rows of the sign-ins the reports count, for the days it keeps."""

import io
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_ACCOUNTS
from accounts.models import AuditEvent, Tenant
from reports import selectors
from security_center import services
from security_center.demo import ROWS
from security_center.models import SignIn

pytestmark = pytest.mark.django_db

# The results of an attempt that ends with a row of the log (a lockout is a failure's mark).
ATTEMPTS = ("success", "failure", "second_step_failure", "passkey_failure")


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=60):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def kept_days(tenant, settings):
    """Return the organization's whole days the log keeps before today, and its zone."""
    zone = selectors.organization_zone(tenant)
    today = timezone.localdate(timezone=zone)
    kept_since = timezone.now() - timedelta(days=settings.PORTAL_SIGNIN_LOG_DAYS)
    first = timezone.localdate(kept_since, zone) + timedelta(days=1)  # the first whole day
    return [first + timedelta(days=n) for n in range((today - first).days)], zone


def test_the_log_counts_each_kept_day_as_the_sign_in_report_does(seed, settings):
    tenant = seed()
    days, zone = kept_days(tenant, settings)
    rows = Counter(
        timezone.localdate(when, zone)
        for when in SignIn.objects.for_tenant(tenant).values_list("created_at", flat=True)
    )
    report = dict(selectors.signins_per_day(tenant, 180))
    assert len(days) == settings.PORTAL_SIGNIN_LOG_DAYS - 1
    for day in days:
        attempts = sum(report[day][result] for result in ATTEMPTS)
        assert rows[day] == attempts, day
        if day.weekday() < 5:
            assert attempts > 10, day


def test_each_row_is_an_attempt_of_the_history_with_its_result_and_reason(seed):
    tenant = seed()
    kept_since = SignIn.objects.for_tenant(tenant).order_by("created_at").first().created_at
    events = AuditEvent.objects.for_tenant(tenant).filter(
        action__in=list(ROWS), created_at__gte=kept_since
    )
    expected = Counter(
        (int(target), when, *ROWS[action], address, agent)
        for action, target, when, address, agent in events.values_list(
            "action", "target_id", "created_at", "ip_address", "user_agent"
        )
    )
    found = Counter(
        SignIn.objects.for_tenant(tenant).values_list(
            "user_id", "created_at", "result", "reason", "ip_address", "user_agent"
        )
    )
    assert found == expected
    assert Counter(r.reason for r in SignIn.objects.for_tenant(tenant)) >= Counter(
        {"wrong_password": 1, "": 100}
    )


def test_the_browser_and_system_are_read_from_the_user_agent(seed):
    tenant = seed()
    agents = set()
    for agent, browser, system in SignIn.objects.for_tenant(tenant).values_list(
        "user_agent", "browser", "operating_system"
    ):
        assert (browser, system) == services.browser_and_os(agent)
        agents.add(agent)
    assert len(agents) >= 3
    assert SignIn.objects.for_tenant(tenant).exclude(browser="").exists()


def test_second_steps_are_the_apps_people_have_and_the_named_accounts_made_none(seed):
    tenant = seed()
    log = SignIn.objects.for_tenant(tenant)
    named = [account.username for account in DEMO_ACCOUNTS]
    assert log.filter(username__in=named).exists()
    assert not log.filter(username__in=named).exclude(method="").exists()
    with_step = log.filter(result="success").exclude(method="")
    assert with_step.exists()
    assert set(with_step.values_list("method", flat=True)) == {SignIn.Method.APP}
    second = AuditEvent.objects.for_tenant(tenant).filter(
        action="signin.success",
        new_values__second_factor=True,
        created_at__gte=log.order_by("created_at").first().created_at,
    )
    assert with_step.count() == second.count()


def test_the_purge_finds_nothing_to_remove(seed):
    tenant = seed()
    before = SignIn.objects.for_tenant(tenant).count()
    assert services.signins_purge() == 0
    assert SignIn.objects.for_tenant(tenant).count() == before > 0


def test_a_shorter_log_gets_fewer_days(seed, settings):
    settings.PORTAL_SIGNIN_LOG_DAYS = 7
    tenant = seed()
    oldest = SignIn.objects.for_tenant(tenant).order_by("created_at").first().created_at
    assert oldest >= timezone.now() - timedelta(days=7)


def test_a_second_run_adds_no_rows_and_today_gets_none(seed):
    tenant = seed()
    before = SignIn.objects.count()
    seed()
    assert SignIn.objects.count() == before
    zone = selectors.organization_zone(tenant)
    today_began = datetime.combine(timezone.localdate(timezone=zone), time.min, tzinfo=zone)
    assert not SignIn.objects.filter(created_at__gte=today_began).exists()
