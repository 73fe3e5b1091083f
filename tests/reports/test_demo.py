"""The demo's history: 90 days the reports can show, drawn the same way every time."""

import io
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_ACCOUNTS, demo_account
from accounts.models import AuditEvent, Tenant, User
from reports import demo, selectors
from reports.demo import HISTORY_DAYS
from security_info.selectors import method_columns, registration_figures, sign_in_methods

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
    assert sum(f["app"] for _d, f in registrations) > 10
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
            for e in demo.draw(tenant, people, billing=billing, today=today).events
        ]

    assert drawn() == drawn()
    assert len(drawn()) > 300


def test_a_second_run_adds_no_history(seed):
    seed()
    before = AuditEvent.objects.count()
    seed()
    assert AuditEvent.objects.count() == before


# What a registration of each method needs the person to have now (method_columns).
HAS_METHOD = {
    "phone": lambda found, _n: found["phone"] is not None,
    "email": lambda found, _n: found["email"] is not None,
    "app": lambda found, n: found["apps"] >= n,
    "passkey": lambda found, n: found["keys"] >= n,
    "backup_codes": lambda found, _n: found["backup"] is not None,
}


def test_everyone_the_registrations_name_has_those_methods_now(seed):
    tenant = seed()
    rows = list(selectors.registration_people(tenant, 180))
    assert len(rows) > 10
    for row in rows:
        found = User.objects.filter(pk=int(row["target_id"])).values(**method_columns()).get()
        for method, has in HAS_METHOD.items():
            if row[method]:
                assert has(found, row[method]), (row["username"], method, found)
    # Today's figures agree: the users who registered an app have one.
    (_admins, admin_figures), (_users, user_figures) = registration_figures(tenant=tenant)
    assert user_figures["app"] == len(rows)
    assert admin_figures["app"] == 0


def test_the_named_demo_accounts_have_no_method_and_signed_in_with_a_password(seed):
    tenant = seed()
    named = {account.username for account in DEMO_ACCOUNTS}
    for username in named:
        user = User.objects.get(username=username)
        assert sign_in_methods(user=user) == [], username
    people = {row["username"]: row for row in selectors.signin_people(tenant, 180)}
    assert named <= set(people)
    assert all(people[name]["second_step"] == 0 for name in named)
    assert not any(row["username"] in named for row in selectors.registration_people(tenant, 180))
    assert not AuditEvent.objects.filter(
        action="signin.mfa_failure", target_label__in=named
    ).exists()


def test_a_second_step_comes_only_after_the_app_was_registered(seed):
    tenant = seed()
    registered = dict(
        AuditEvent.objects.for_tenant(tenant)
        .filter(action="security_info.app.add")
        .values_list("target_id", "created_at")
    )
    second_steps = AuditEvent.objects.for_tenant(tenant).filter(
        action="signin.success", new_values__second_factor=True
    )
    assert second_steps.count() > 100
    for target_id, when in second_steps.values_list("target_id", "created_at"):
        assert registered[target_id] < when
    for target_id, when in AuditEvent.objects.filter(
        tenant=tenant, action="signin.mfa_failure"
    ).values_list("target_id", "created_at"):
        assert registered[target_id] < when
    resets = AuditEvent.objects.for_tenant(tenant).filter(action="password.reset_self")
    for target_id, when in resets.values_list("target_id", "created_at"):
        assert registered[target_id] < when


def test_license_use_rises_to_todays_assignments_without_a_jump(seed):
    tenant = seed()
    _names, assigned, bought = selectors.license_products(tenant)
    use = selectors.license_use_per_day(tenant, 180, today_assigned=assigned)
    assert use[-1][1] == assigned
    for sku in assigned:
        series = [figures[sku] for _day, figures in use]
        assert min(series) >= 0, sku
        assert max(series) <= bought[sku], sku
        assert series[0] == 0, sku  # before the product's first day
        changes = [abs(b - a) for a, b in pairwise(series[:-1])]
        assert abs(series[-1] - series[-2]) <= max(changes), (sku, series[-8:])
        assert series[-2] == assigned[sku], (sku, series[-8:])  # held yesterday as today


def test_the_licenses_handed_back_today_were_held_before(seed):
    tenant = seed()
    zone = selectors.organization_zone(tenant)
    today = timezone.localdate(timezone=zone)
    events = AuditEvent.objects.for_tenant(tenant).filter(
        action__in=[selectors.LICENSE_ASSIGN, selectors.LICENSE_UNASSIGN]
    )
    held = {}
    for action, target, new, old, when in events.order_by("created_at", "id").values_list(
        "action", "target_id", "new_values", "old_values", "created_at"
    ):
        key = (target, (new or old)["product"])
        if action == selectors.LICENSE_ASSIGN:
            assert not held.get(key), key  # never assigned twice
            held[key] = True
        else:
            assert held.get(key), key  # unassigned only what was assigned
            held[key] = False
            assert timezone.localdate(when, zone) <= today
