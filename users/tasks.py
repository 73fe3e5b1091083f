"""Background jobs of the Users area."""

from celery import shared_task

from users.services import (
    deleted_users_purge,
    import_passwords_set,
    user_export_write,
    user_exports_expire,
)


@shared_task
def purge_deleted_users():
    """Remove for good the users whose restore period has ended (daily)."""
    return deleted_users_purge()


@shared_task
def import_passwords_hash(job_id):
    """Hash the one-time passwords of import ``job_id``.

    The message holds only the id: the passwords wait sealed on the ImportJob row
    (see ``users.services.IMPORT_SEAL_PURPOSE``), never in the broker.
    """
    import_passwords_set(job_id=job_id)


@shared_task
def export_users(job_id):
    """Write the file of Active users export ``job_id`` (the query waits on its row)."""
    user_export_write(job_id=job_id)


@shared_task
def expire_user_exports():
    """Empty the export files ready for longer than an hour (hourly)."""
    return user_exports_expire()
