"""Setup's one write: recording that someone exported the organization's admin access."""

from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.models import AuditEvent, Tenant, User


def admin_access_export_record(
    *, tenant: Tenant, acting_user: User, total: int, request: HttpRequest | None = None
) -> AuditEvent:
    """Record an export of admin access (``total`` people with a role), as other exports are."""
    return audit_record(
        action="setup.admin_access.export",
        tenant=tenant,
        actor=acting_user,
        request=request,
        new={"admins": total},
    )
