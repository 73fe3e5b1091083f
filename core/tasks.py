"""Background jobs of the project package: the outbox's retries."""

from celery import shared_task

from core import outbox


@shared_task
def deliver_message(pk):
    """Try a waiting SMS or email once more."""
    return outbox.deliver(pk)


@shared_task
def retry_due_messages():
    """Try the waiting messages whose retry is late, and remove old sent ones (every minute)."""
    return outbox.retry_due()
