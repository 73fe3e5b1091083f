"""Background jobs of Settings."""

from celery import shared_task

from org_settings.services import domains_recheck


@shared_task
def recheck_domains():
    """Look up every verified domain's record again and flag those that lost it (daily)."""
    return domains_recheck()
