"""The Reports area's writes: recording that a report's people left the portal."""

from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.models import AuditEvent, Tenant, User


def report_export_record(
    *,
    tenant: Tenant,
    acting_user: User,
    report: str,
    days: int,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record that ``acting_user`` downloaded the people of ``report`` over ``days`` days.

    The people of a report are personal data (who failed to sign in, who reset
    a password), so their export is audited like an export of users.
    """
    return audit_record(
        action="reports.export",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target_type="reports.report",
        target_id=report,
        target_label=report,
        new={"report": report, "days": days},
    )
