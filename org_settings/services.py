"""Changes to the organization's settings; each one is audited with old and new values."""

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Tenant

SECURITY_FIELDS = ("require_mfa_for_admins", "reset_gates_for_users", "password_expiry_days")


@transaction.atomic
def tenant_security_update(
    *,
    tenant,
    acting_user,
    require_mfa_for_admins,
    reset_gates_for_users,
    password_expiry_days,
    request=None,
):
    """Set the organization's sign-in and recovery policy; return the changed fields.

    ``password_expiry_days`` is None for passwords that never expire. Nothing is
    written, and no event recorded, when nothing changes.
    """
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    new = {
        "require_mfa_for_admins": require_mfa_for_admins,
        "reset_gates_for_users": reset_gates_for_users,
        "password_expiry_days": password_expiry_days,
    }
    changed = [name for name in SECURITY_FIELDS if getattr(locked, name) != new[name]]
    if not changed:
        return []
    old = {name: getattr(locked, name) for name in changed}
    for name in changed:
        setattr(locked, name, new[name])
    locked.full_clean()
    locked.save(update_fields=changed)
    # The caller's copy (request.tenant) shows the new policy from here on.
    for name in changed:
        setattr(tenant, name, new[name])
    audit_record(
        action="tenant.security.change",
        tenant=locked,
        actor=acting_user,
        request=request,
        target=locked,
        old=old,
        new={name: new[name] for name in changed},
    )
    return changed
