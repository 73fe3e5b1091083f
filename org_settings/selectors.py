"""Reads for the organization's settings. Every read takes the acting user or the tenant."""

from django.db.models import QuerySet

from accounts.models import User


def release_users_reachable(actor: User) -> QuerySet[User]:
    """Return the users ``actor`` may pick for early release: their organization's active ones."""
    return User.objects.for_tenant(actor.tenant).active()
