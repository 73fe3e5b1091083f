"""Background jobs of Security info."""

from celery import shared_task

from security_info.services import temporary_passes_expire


@shared_task
def expire_temporary_passes():
    """Remove the temporary access passes whose time is up (hourly)."""
    return temporary_passes_expire()
