"""The demo's history: 90 days the reports can show, drawn the same way every time."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.management.commands.seed_demo import demo_account
from accounts.models import AuditEvent, Tenant, User
from reports import demo, selectors
from reports.demo import HISTORY_DAYS

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=60):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def test_the_demo_has_90_days_of_sign_ins_mostly_on_weekdays(seed):
    tenant = seed()
    series = selectors.signins_per_day(tenant, 180)
    zone = selectors.organization_zone(tenant)
    today = timezone.localdate(timezone=zone)
    seeded = [(day, f) for day, f in series if day < today]
    first = next(day for day, f in seeded if any(f.values()))
    assert first == today - timedelta(days=HISTORY_DAYS)
    weekdays = [f["success"] for day, f in seeded if day >= first and day.weekday() < 5]
    weekends = [f["success"] for day, f in seeded if day >= first and day.weekday() >= 5]
    assert min(weekdays) > 10
    assert sum(weekends) / len(weekends) < sum(weekdays) / len(weekdays) / 4
    assert sum(f["lockout"] for _d, f in seeded) >= 3
    assert sum(f["failure"] for _d, f in seeded) > sum(f["lockout"] for _d, f in seeded)
    methods = selectors.signin_methods_per_day(tenant, 90)
    assert sum(f["second_step"] for _d, f in methods) > 0
    assert sum(f["password_only"] for _d, f in methods) > 0


def test_the_demo_has_resets_registrations_and_license_changes(seed):
    tenant = seed()
    resets = selectors.password_resets_per_day(tenant, 90)
    assert sum(f["reset"] for _d, f in resets) >= 10
    registrations = selectors.registrations_per_day(tenant, 90)
    for method in ("phone", "email", "app", "passkey", "backup_codes"):
        assert sum(f[method] for _d, f in registrations) > 0, method
    _names, assigned, bought = selectors.license_products(tenant)
    use = selectors.license_use_per_day(tenant, 90, today_assigned=assigned)
    assert use[-1][1] == assigned
    basic = [f["business-basic"] for _d, f in use]
    assert len(set(basic)) > 2 and min(basic) >= 0  # licenses came and went
    assert all(f[sku] <= bought[sku] for _d, f in use for sku in bought)


def test_every_event_belongs_to_the_demo_and_names_a_person_of_it(seed):
    tenant = seed()
    people = {str(pk) for pk in User.objects.filter(tenant=tenant).values_list("pk", flat=True)}
    events = AuditEvent.objects.filter(action__startswith="signin.")
    assert not events.exclude(tenant=tenant).exists()
    assert set(events.values_list("target_id", flat=True)) <= people


def test_the_history_is_drawn_the_same_way_every_time(seed):
    tenant = seed()
    people = list(User.objects.for_tenant(tenant).with_role_codes().order_by("id")[:10])
    billing = demo_account(tenant, "billing")
    today = timezone.localdate()

    def drawn():
        return [
            (e.action, e.target_id, e.created_at, e.new_values, e.ip_address)
            for e in demo.draw(tenant, people, billing=billing, today=today)
        ]

    assert drawn() == drawn()
    assert len(drawn()) > 300


def test_a_second_run_adds_no_history(seed):
    seed()
    before = AuditEvent.objects.count()
    seed()
    assert AuditEvent.objects.count() == before
