"""Background jobs of Security info."""

from celery import shared_task

from security_info import reset
from security_info.services import temporary_passes_expire


@shared_task
def expire_temporary_passes():
    """Remove the temporary access passes whose time is up (hourly)."""
    return temporary_passes_expire()


@shared_task
def send_password_reset_code(flow_id):
    """Look up a self-service reset's account and send its first code (see reset.py)."""
    reset.send_first_code(flow_id)
