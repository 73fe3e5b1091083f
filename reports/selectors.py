"""The reports' figures, aggregated in the database: no loop over users in Python.

A report over time reads the audit log: every figure is a count of events per
day (``TruncDate`` in the organization's time zone) or per person, one query
whatever the period. The days are the organization's: a sign-in at 23:30 in
Amsterdam counts on that day there, whatever the hour in UTC.
"""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import (
    Aggregate,
    BigIntegerField,
    Count,
    Expression,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from accounts.models import AuditEvent, Tenant, User
from billing.selectors import live_subscriptions, subscription_is_live, subscription_list
from groups.selectors import count_by_kind
from security_info.selectors import registration_figures

PERIODS = (7, 30, 90, 180)
DEFAULT_PERIOD = 30
USER_TARGET = "accounts.user"

# What each sign-in event says of the attempt. The sign-in flow (accounts/signin.py)
# records these; a lockout is the failure that began a lock, besides that failure.
SIGNIN_RESULTS = {
    "signin.success": "success",
    "signin.failure": "failure",
    "signin.mfa_failure": "second_step_failure",
    "signin.passkey_failure": "passkey_failure",
    "signin.lockout": "lockout",
}
# How a successful sign-in passed: the event records whether a second step was
# made, and a temporary access pass records its own use.
SIGNIN_METHODS = ("password_only", "second_step", "temporary_pass")
TEMPORARY_PASS_USE = "security_info.temporary_pass.use"  # noqa: S105 - an action code
# Self-service password resets done and refused. ``throttled`` limits a client
# address, not a person: it carries no organization and so counts nowhere here.
RESET_RESULTS = {
    "password.reset_self": "reset",
    "password_reset.blocked": "blocked",
    "password_reset.too_many_codes": "too_many_codes",
    "password_reset.throttled": "throttled",
}
# Security info registered (a change of phone or email is a new verification).
REGISTRATION_METHODS = {
    "security_info.phone.add": "phone",
    "security_info.phone.change": "phone",
    "security_info.email.add": "email",
    "security_info.email.change": "email",
    "security_info.app.add": "app",
    "security_info.passkey.add": "passkey",
    "security_info.backup_codes.generate": "backup_codes",
}
LICENSE_ASSIGN = "billing.license.assign"
LICENSE_UNASSIGN = "billing.license.unassign"


@dataclass(frozen=True)
class Window:
    """The last ``days`` days of an organization, today included, in its time zone."""

    first: date
    last: date
    zone: tzinfo

    @property
    def start(self) -> datetime:
        """Return the moment the first day began there."""
        return datetime.combine(self.first, time.min, tzinfo=self.zone)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def organization_zone(tenant: Tenant) -> tzinfo:
    """Return the organization's time zone, else the one active now."""
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return timezone.get_current_timezone()


def window(tenant: Tenant, days: int) -> Window:
    """Return the window of the organization's last ``days`` days, ending today there."""
    zone = organization_zone(tenant)
    today = timezone.localdate(None, zone)
    return Window(first=today - timedelta(days=days - 1), last=today, zone=zone)


def _events(tenant: Tenant, actions: Iterable[str], span: Window) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_tenant(tenant).filter(
        action__in=list(actions), created_at__gte=span.start
    )


def _per_day(
    tenant: Tenant, span: Window, codes: dict[str, str], keys: tuple[str, ...]
) -> list[tuple[date, dict[str, int]]]:
    """Return [(date, {key: events})] of the events ``codes`` (action -> key), every day."""
    counts = defaultdict(lambda: dict.fromkeys(keys, 0))
    rows = (
        _events(tenant, codes, span)
        .annotate(day=TruncDate("created_at", tzinfo=span.zone))
        .values_list("day", "action")
        .annotate(events=Count("id"))
        .order_by()
    )
    for day, action, events in rows:
        counts[day][codes[action]] += events
    empty = dict.fromkeys(keys, 0)
    return [(day, dict(counts[day]) if day in counts else dict(empty)) for day in span.days()]


def signins_per_day(tenant: Tenant, days: int) -> list[tuple[date, dict[str, int]]]:
    """Return [(date, {result: sign-in attempts})] for the last ``days`` days, oldest first.

    The source of sign-in figures: today the audit log's sign-in events; a
    sign-in log, once there is one, is read here instead.
    """
    span = window(tenant, days)
    return _per_day(tenant, span, SIGNIN_RESULTS, tuple(dict.fromkeys(SIGNIN_RESULTS.values())))


def signin_methods_per_day(tenant: Tenant, days: int) -> list[tuple[date, dict[str, int]]]:
    """Return [(date, {method: successful sign-ins})] for the last ``days`` days, oldest first.

    ``password_only``: no second step; ``second_step``: a code, an app or a
    passkey; ``temporary_pass``: a temporary access pass (which is a second step
    too, so it is taken out of ``second_step``).
    """
    span = window(tenant, days)
    rows = (
        _events(tenant, ("signin.success", TEMPORARY_PASS_USE), span)
        .annotate(day=TruncDate("created_at", tzinfo=span.zone))
        .values_list("day", "action")
        .annotate(
            events=Count("id"),
            second=Count("id", filter=Q(new_values__second_factor=True)),
        )
        .order_by()
    )
    found = defaultdict(lambda: {"signins": 0, "second": 0, "passes": 0})
    for day, action, events, second in rows:
        if action == TEMPORARY_PASS_USE:
            found[day]["passes"] += events
        else:
            found[day]["signins"] += events
            found[day]["second"] += second
    result = []
    for day in span.days():
        figures = found.get(day, {"signins": 0, "second": 0, "passes": 0})
        passes = min(figures["passes"], figures["second"])
        result.append(
            (
                day,
                {
                    "password_only": figures["signins"] - figures["second"],
                    "second_step": figures["second"] - passes,
                    "temporary_pass": passes,
                },
            )
        )
    return result


def password_resets_per_day(tenant: Tenant, days: int) -> list[tuple[date, dict[str, int]]]:
    """Return [(date, {result: self-service resets})]: done, and refused by kind."""
    span = window(tenant, days)
    return _per_day(tenant, span, RESET_RESULTS, tuple(RESET_RESULTS.values()))


def registrations_per_day(tenant: Tenant, days: int) -> list[tuple[date, dict[str, int]]]:
    """Return [(date, {method: security info registered})] for the last ``days`` days."""
    span = window(tenant, days)
    keys = tuple(dict.fromkeys(REGISTRATION_METHODS.values()))
    return _per_day(tenant, span, REGISTRATION_METHODS, keys)


def license_products(tenant: Tenant) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
    """Return the organization's products: ({sku: name}, {sku: assigned}, {sku: bought}).

    Assigned and bought count the live subscriptions (today's figures); the
    names cover expired subscriptions too, whose licenses a period may show.
    """
    names, assigned, bought = {}, defaultdict(int), defaultdict(int)
    for sub in subscription_list(tenant=tenant):
        names.setdefault(sub.product.sku, sub.product.name)
        if subscription_is_live(sub.status):
            assigned[sub.product.sku] += sub.assigned
            bought[sub.product.sku] += sub.quantity
    return names, dict(assigned), dict(bought)


def license_use_per_day(
    tenant: Tenant, days: int, *, today_assigned: dict[str, int]
) -> list[tuple[date, dict[str, int]]]:
    """Return [(date, {product sku: licenses assigned at the end of that day})].

    Reconstructed backwards from ``today_assigned`` (today's count per product)
    and the licenses assigned and unassigned since each day: assigned at the
    end of a day = today's - assigned since + unassigned since.
    """
    span = window(tenant, days)
    rows = (
        _events(tenant, (LICENSE_ASSIGN, LICENSE_UNASSIGN), span)
        .annotate(
            day=TruncDate("created_at", tzinfo=span.zone),
            product=Coalesce(KT("new_values__product"), KT("old_values__product")),
        )
        .values_list("day", "action", "product")
        .annotate(events=Count("id"))
        .order_by()
    )
    change = defaultdict(lambda: defaultdict(int))  # day -> sku -> net licenses assigned
    skus = set(today_assigned)
    for day, action, sku, events in rows:
        change[day][sku] += events if action == LICENSE_ASSIGN else -events
        skus.add(sku)
    level = {sku: today_assigned.get(sku, 0) for sku in sorted(skus)}
    result = []
    for day in reversed(span.days()):
        result.append((day, dict(level)))
        for sku, net in change.get(day, {}).items():
            level[sku] -= net  # before this day's changes: the end of the day before
    result.reverse()
    return result


# --- per person ----------------------------------------------------------------------


def _people(
    tenant: Tenant,
    actions: Iterable[str],
    span: Window,
    *,
    by: dict[str, Expression] | None = None,
    **counts: Aggregate,
) -> QuerySet:
    """Return one row per person the events ``actions`` were about, with ``counts``.

    A row is a dict of ``target_id``, ``name`` and ``username`` (the person's
    today, or the name the event kept when they are gone), ``last`` (the latest
    event) and each of ``counts``; with ``by`` (annotations), a row per person and
    each of their values. Grouped and counted in the database.
    """
    person = User.objects.filter(tenant=tenant, pk=Cast(OuterRef("target_id"), BigIntegerField()))
    events = _events(tenant, actions, span).filter(target_type=USER_TARGET).exclude(target_id="")
    if by:
        events = events.annotate(**by)
    return (
        events.values("target_id", *(by or ()))
        .annotate(
            label=Max("target_label"),
            last=Max("created_at"),
            **counts,
        )
        .annotate(
            name=Coalesce(Subquery(person.values("display_name")[:1]), "label"),
            username=Coalesce(Subquery(person.values("username")[:1]), "label"),
        )
        .order_by()
    )


def _count(actions: Iterable[str]) -> Count:
    return Count("id", filter=Q(action__in=list(actions)))


def signin_people(tenant: Tenant, days: int) -> QuerySet:
    """Return a row per person with sign-in attempts in the period, by result."""
    span = window(tenant, days)
    counts = {
        result: _count(a for a, r in SIGNIN_RESULTS.items() if r == result)
        for result in dict.fromkeys(SIGNIN_RESULTS.values())
    }
    counts["failed"] = _count(["signin.failure", "signin.mfa_failure", "signin.passkey_failure"])
    counts["second_step"] = Count(
        "id", filter=Q(action="signin.success", new_values__second_factor=True)
    )
    return _people(tenant, SIGNIN_RESULTS, span, **counts)


def password_reset_people(tenant: Tenant, days: int) -> QuerySet:
    """Return a row per person with self-service resets in the period, by result."""
    span = window(tenant, days)
    counts = {
        result: _count(a for a, r in RESET_RESULTS.items() if r == result)
        for result in RESET_RESULTS.values()
    }
    return _people(tenant, RESET_RESULTS, span, **counts)


def registration_people(tenant: Tenant, days: int) -> QuerySet:
    """Return a row per person who registered security info in the period, by method."""
    span = window(tenant, days)
    counts = {
        method: _count(a for a, m in REGISTRATION_METHODS.items() if m == method)
        for method in dict.fromkeys(REGISTRATION_METHODS.values())
    }
    counts["total"] = Count("id")
    return _people(tenant, REGISTRATION_METHODS, span, **counts)


def license_people(tenant: Tenant, days: int) -> QuerySet:
    """Return a row per person whose licenses changed in the period: assigned, unassigned."""
    span = window(tenant, days)
    return _people(
        tenant,
        (LICENSE_ASSIGN, LICENSE_UNASSIGN),
        span,
        by={"product": Coalesce(KT("new_values__product"), KT("old_values__product"))},
        assigned=_count([LICENSE_ASSIGN]),
        unassigned=_count([LICENSE_UNASSIGN]),
    )


# --- current figures ----------------------------------------------------------------


def active_users(*, tenant: Tenant, days: int) -> list[tuple[date, int]]:
    """Return [(date, people who signed in that day)] for the last ``days`` days, oldest first."""
    span = window(tenant, days)
    counts = dict(
        _events(tenant, ["signin.success"], span)
        .annotate(day=TruncDate("created_at", tzinfo=span.zone))
        .values("day")
        .annotate(people=Count("actor", distinct=True))
        .values_list("day", "people")
        .order_by()
    )
    return [(day, counts.get(day, 0)) for day in span.days()]


def license_usage(*, tenant: Tenant) -> list[tuple[str, int, int]]:
    """Return [(product, assigned, bought)] of the live subscriptions."""
    return [
        (sub.product.name, sub.assigned, sub.quantity) for sub in live_subscriptions(tenant=tenant)
    ]


def security_registration(*, tenant: Tenant) -> list[tuple[str, dict[str, int]]]:
    """Return [(who, figures)] of verified methods, for admins and for users."""
    return registration_figures(tenant=tenant)


def group_counts(*, tenant: Tenant) -> list[tuple[str, int]]:
    """Return [(kind label, active groups)] for every kind."""
    return count_by_kind(tenant=tenant)
