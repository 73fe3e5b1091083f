"""Background jobs of Billing."""

from celery import shared_task

from billing.invoicing import (
    invoices_generate,
    invoices_mark_overdue,
    previous_period,
    subscriptions_renew,
)


@shared_task
def renew_subscriptions():
    """Renew the subscriptions whose term ended and expire cancelled ones (daily)."""
    renewed, expired = subscriptions_renew()
    return {"renewed": renewed, "expired": expired}


@shared_task
def generate_invoices():
    """Make last month's invoices (once per organization) and mark unpaid ones overdue (daily)."""
    created = invoices_generate(period=previous_period())
    return {"created": len(created), "overdue": invoices_mark_overdue()}
