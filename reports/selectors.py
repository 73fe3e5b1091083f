"""The reports' figures, aggregated in the database: no loop over users in Python."""

from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import AuditEvent, Tenant
from billing.selectors import live_subscriptions
from groups.selectors import count_by_kind
from security_info.selectors import registration_figures

PERIODS = (7, 30, 90)


def active_users(*, tenant: Tenant, days: int) -> list[tuple[date, int]]:
    """Return [(date, people who signed in that day)] for the last ``days`` days, oldest first."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    counts = dict(
        AuditEvent.objects.for_tenant(tenant)
        .filter(action="signin.success", created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(people=Count("actor", distinct=True))
        .values_list("day", "people")
    )
    return [
        (start + timedelta(days=n), counts.get(start + timedelta(days=n), 0)) for n in range(days)
    ]


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
