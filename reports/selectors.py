"""The reports' figures, aggregated in the database: no loop over users in Python."""

from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import AuditEvent

PERIODS = (7, 30, 90)


def active_users(*, tenant, days):
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


def license_usage(*, tenant):
    """Return [(product, assigned, bought)] of the live subscriptions."""
    from billing.selectors import live_subscriptions

    return [
        (sub.product.name, sub.assigned, sub.quantity) for sub in live_subscriptions(tenant=tenant)
    ]


def security_registration(*, tenant):
    """Return [(who, figures)] of verified methods, for admins and for users."""
    from security_info.selectors import registration_figures

    return registration_figures(tenant=tenant)


def group_counts(*, tenant):
    """Return [(kind label, active groups)] for every kind."""
    from groups.selectors import count_by_kind

    return count_by_kind(tenant=tenant)
