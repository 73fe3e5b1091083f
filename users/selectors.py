"""Reads for the Users area. Every read takes the tenant."""

from django.db.models import Q

from accounts.models import AuditEvent, User


def user_get(*, tenant, pk):
    """Return the tenant's user ``pk`` (deleted ones too), or raise User.DoesNotExist."""
    return User.objects.for_tenant(tenant).select_related("tenant").get(pk=pk)


def user_activity(*, tenant, user, limit=20):
    """Return the latest audit events done by or to ``user``."""
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .filter(Q(actor_id=user.pk) | Q(target_type="accounts.user", target_id=str(user.pk)))
        .only("id", "created_at", "actor_label", "action", "target_label")
        .order_by("-created_at", "-id")[:limit]
    )
