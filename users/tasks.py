"""Background jobs of the Users area."""

from celery import shared_task

from users.services import deleted_users_purge


@shared_task
def purge_deleted_users():
    """Remove for good the users whose restore period has ended (daily)."""
    return deleted_users_purge()
