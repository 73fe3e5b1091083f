"""Writes on the shared model. Each service runs in a transaction and audits itself."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Domain, RoleAssignment, Tenant, User, normalize_domain
from accounts.roles import GLOBAL_ADMIN, ROLES, can_assign_role


@transaction.atomic
def tenant_create(
    *,
    name,
    domain,
    admin_username,
    admin_password,
    country,
    acting_user=None,
    admin_display_name="",
):
    """Create a tenant, its initial (verified, default) domain and a Global admin.

    Raise ValidationError for a taken domain, a sign-in name outside the domain
    or a weak password; nothing is written then.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter the organization's name."), code="required")
    domain_name = normalize_domain(domain)
    if Domain.objects.filter(name=domain_name).exists():
        raise ValidationError(
            _("The domain %(domain)s is already taken."),
            code="domain_taken",
            params={"domain": domain_name},
        )
    username = User.objects.normalize_username(admin_username)
    local, sep, user_domain = username.rpartition("@")
    if not sep or not local or user_domain != domain_name:
        raise ValidationError(
            _("The admin's sign-in name must end in @%(domain)s."),
            code="foreign_domain",
            params={"domain": domain_name},
        )
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("That sign-in name is already taken."), code="username_taken")

    tenant = Tenant(name=name, country=country)
    tenant.full_clean()
    tenant.save()
    domain_obj = Domain(
        tenant=tenant, name=domain_name, is_initial=True, is_default=True, is_verified=True
    )
    domain_obj.full_clean()
    domain_obj.save()
    admin = User(tenant=tenant, username=username, display_name=admin_display_name or local.title())
    password_validation.validate_password(admin_password, admin)
    admin.set_password(admin_password)
    admin.full_clean()
    try:
        admin.save()
    except IntegrityError:
        raise ValidationError(
            _("That sign-in name is already taken."), code="username_taken"
        ) from None
    RoleAssignment.objects.create(tenant=tenant, user=admin, role=GLOBAL_ADMIN)
    audit_record(
        action="tenant.create",
        tenant=tenant,
        actor=acting_user,
        target=tenant,
        new={"name": tenant.name, "domain": domain_name, "country": str(tenant.country)},
    )
    audit_record(
        action="role.assign",
        tenant=tenant,
        actor=acting_user,
        target=admin,
        new={"role": GLOBAL_ADMIN},
    )
    return tenant


@transaction.atomic
def tenant_set_status(*, tenant, status, acting_user, request=None):
    """Suspend or reactivate ``tenant``; a suspended tenant's users are signed out."""
    if status not in Tenant.Status.values:
        raise ValidationError(_("Unknown status."), code="invalid")
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    old = tenant.status
    if old == status:
        return tenant
    tenant.status = status
    tenant.save(update_fields=["status"])
    audit_record(
        action="tenant.suspend" if status == Tenant.Status.SUSPENDED else "tenant.reactivate",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=tenant,
        old={"status": old},
        new={"status": status},
    )
    return tenant


def _check_role_change(*, tenant, user, role, acting_user):
    if role not in ROLES:
        raise ValidationError(_("Unknown role."), code="unknown_role")
    if user.tenant_id != tenant.pk:
        raise ValidationError(
            _("A role can only be given to a user of the same organization."), code="foreign_user"
        )
    if acting_user is not None and acting_user.tenant_id not in (None, tenant.pk):
        # can_assign_role() looks at the actor's own roles; they count in their tenant only.
        raise ValidationError(
            _("Roles can only be changed by an admin of the same organization."),
            code="foreign_actor",
        )
    if acting_user is not None and not can_assign_role(acting_user, role):
        raise ValidationError(
            _("Only a Global admin can change the %(role)s role."),
            code="privileged_role",
            params={"role": ROLES[role].name},
        )


@transaction.atomic
def role_assign(*, tenant, user, role, acting_user, request=None):
    """Give ``user`` the ``role``; do nothing if they hold it already."""
    _check_role_change(tenant=tenant, user=user, role=role, acting_user=acting_user)
    assignment, created = RoleAssignment.objects.get_or_create(
        tenant=tenant, user=user, role=role, defaults={"assigned_by": acting_user}
    )
    if created:
        audit_record(
            action="role.assign",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            new={"role": role},
        )
    user.forget_roles()
    return assignment


@transaction.atomic
def role_remove(*, tenant, user, role, acting_user, request=None):
    """Take ``role`` away from ``user``. The last Global admin keeps the role."""
    _check_role_change(tenant=tenant, user=user, role=role, acting_user=acting_user)
    if role == GLOBAL_ADMIN:
        holders = (
            RoleAssignment.objects.for_tenant(tenant)
            .select_for_update()
            .filter(role=GLOBAL_ADMIN, user__deleted_at__isnull=True)
        )
        if [a.user_id for a in holders] == [user.pk]:
            raise ValidationError(
                _("An organization needs at least one Global admin."), code="last_global_admin"
            )
    deleted, _detail = RoleAssignment.objects.filter(tenant=tenant, user=user, role=role).delete()
    if deleted:
        audit_record(
            action="role.remove",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            old={"role": role},
        )
    user.forget_roles()


@transaction.atomic
def password_change(*, user, new_password, request=None):
    """Set the user's own new password (already validated by the form)."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(action="password.change", actor=user, request=request, target=user)
