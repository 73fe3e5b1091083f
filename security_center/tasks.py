"""Background jobs of the Security center."""

from celery import shared_task

from security_center.services import signins_purge


@shared_task
def purge_signins():
    """Delete the sign-in log's rows past their retention (nightly)."""
    return signins_purge()
