"""Background jobs of the shared model."""

from celery import shared_task

from accounts.partners import partner_relationships_expire


@shared_task
def expire_partner_relationships() -> tuple[int, int]:
    """Nightly: end expired partner relationships and tell both sides a week before."""
    return partner_relationships_expire()
