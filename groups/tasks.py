"""Background jobs of the Groups area."""

from celery import shared_task

from groups.services import deleted_groups_purge


@shared_task
def purge_deleted_groups():
    """Remove for good the groups whose restore period has ended (daily)."""
    return deleted_groups_purge()
