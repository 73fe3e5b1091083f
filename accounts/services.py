"""Writes on the shared model. Each service runs in a transaction and audits itself."""

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts import lockout
from accounts.audit import audit_record
from accounts.models import (
    Domain,
    RoleAssignment,
    Tenant,
    User,
    acting_person,
    normalize_domain,
)
from accounts.roles import GLOBAL_ADMIN, ROLES, can_assign_role, can_reset_password
from accounts.selectors import global_admin_addresses
from core import outbox
from core.exceptions import Forbidden


@transaction.atomic
def tenant_create(
    *,
    name: str,
    domain: str,
    admin_username: str,
    admin_password: str,
    country: str,
    acting_user: User | None = None,
    admin_display_name: str = "",
) -> Tenant:
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
    admin.set_new_password(admin_password)
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
def tenant_set_status(
    *, tenant: Tenant, status: str, acting_user: User | None, request: HttpRequest | None = None
) -> Tenant:
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


def _check_role_change(*, tenant: Tenant, user: User, role: str, acting_user: User | None) -> None:
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
def role_assign(
    *,
    tenant: Tenant,
    user: User,
    role: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Give ``user`` the ``role``; do nothing if they hold it already."""
    _check_role_change(tenant=tenant, user=user, role=role, acting_user=acting_user)
    assignment, created = RoleAssignment.objects.get_or_create(
        tenant=tenant, user=user, role=role, defaults={"assigned_by": acting_person(acting_user)}
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


def global_admins_keep(*, tenant: Tenant, losing: Iterable[User]) -> None:
    """Refuse a change that would leave ``tenant`` without a Global admin who can sign in.

    ``losing`` are the users about to be blocked, deleted or demoted. Only
    Global admins who are active, not blocked and not deleted count as the ones
    left. Call it inside the change's transaction, before writing: the tenant's
    row stays locked until that transaction ends, so two such changes in one
    organization run one after the other and the second counts what the first
    left (two admins each removing "the other" would otherwise both pass).

    Raise ValidationError "last_global_admin" when one of ``losing`` holds the
    role and no other Global admin who can sign in remains.
    """
    # Locked first, counted after: on PostgreSQL a waiting request reads the
    # count again once the other one has committed.
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))
    losing_ids = {user.pk for user in losing}
    losing_one, remaining = False, 0
    for user_id, is_active, is_blocked, deleted_at in (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(role=GLOBAL_ADMIN)
        .values_list("user_id", "user__is_active", "user__is_sign_in_blocked", "user__deleted_at")
    ):
        if user_id in losing_ids:
            losing_one = True
        elif is_active and not is_blocked and deleted_at is None:
            remaining += 1
    if losing_one and not remaining:
        raise ValidationError(
            _(
                "An organization needs at least one Global admin who can sign in. First make "
                "someone else Global admin, or allow a blocked Global admin to sign in again."
            ),
            code="last_global_admin",
        )


@transaction.atomic
def role_remove(
    *,
    tenant: Tenant,
    user: User,
    role: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> None:
    """Take ``role`` away from ``user``; a Global admin who can sign in always remains."""
    _check_role_change(tenant=tenant, user=user, role=role, acting_user=acting_user)
    if role == GLOBAL_ADMIN:
        global_admins_keep(tenant=tenant, losing=[user])
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
def password_change(*, user: User, new_password: str, request: HttpRequest | None = None) -> None:
    """Set the user's own new password (already validated by the form)."""
    user.set_new_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit_record(action="password.change", actor=user, request=request, target=user)


# --- Sessions and passwords set by others ---------------------------------------

# No 0/O, 1/l/I: a generated password is read off a screen or paper and typed.
_UNAMBIGUOUS_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
GENERATED_PASSWORD_LENGTH = 16


def password_generate(*, length: int = GENERATED_PASSWORD_LENGTH) -> str:
    """Return a random password from an alphabet without look-alike characters."""
    return "".join(secrets.choice(_UNAMBIGUOUS_CHARACTERS) for _index in range(length))


def _session_epoch_bump(user: User) -> None:
    """End every session of ``user``: their stored session hash no longer matches."""
    # F(): two admins ending sessions at once must both count.
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def _check_same_tenant(*, tenant: Tenant | None, user: User) -> None:
    if tenant is None or user.tenant_id != tenant.pk:
        raise ValidationError(_("That user is not in this organization."), code="foreign_user")


@transaction.atomic
def user_sessions_end(
    *, tenant: Tenant, user: User, acting_user: User | None, request: HttpRequest | None = None
) -> None:
    """Sign ``user`` out of every session, on every device.

    Allowed to the user themselves and to whoever may reset their password;
    raise Forbidden for anyone else.
    """
    _check_same_tenant(tenant=tenant, user=user)
    if (
        acting_user is not None
        and acting_user.pk != user.pk
        and not can_reset_password(acting_user, user)
    ):
        raise Forbidden(_("You can't sign this user out."))
    old_epoch = user.session_epoch
    _session_epoch_bump(user)
    audit_record(
        action="user.sessions_end",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=user,
        old={"session_epoch": old_epoch},
        new={"session_epoch": user.session_epoch},
    )


def password_reset_denied(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User | None = None,
    target_id: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Record a refused attempt to reset someone's password.

    Not atomic on purpose: the event must outlive the error that follows it.
    """
    audit_record(
        action="password.reset_denied",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=user,
        target_type="accounts.user",
        target_id=target_id,
    )


@sensitive_variables("password", "new_password")
def password_reset_by_admin(
    *,
    tenant: Tenant,
    user: User,
    acting_user: User,
    new_password: str | None = None,
    require_change: bool = True,
    request: HttpRequest | None = None,
) -> str:
    """Set a new password for ``user`` on behalf of an admin, and return it.

    With no ``new_password`` a strong one is generated. The user's sessions
    end and their sign-in lockouts are lifted. Raise Forbidden (after recording
    the attempt) unless ``acting_user`` may reset this user's password, or the
    validators' ValidationError for a weak password.
    The password is never stored in the clear, nor written to the audit log.
    """
    _check_same_tenant(tenant=tenant, user=user)
    if not can_reset_password(acting_user, user):
        password_reset_denied(tenant=tenant, acting_user=acting_user, user=user, request=request)
        raise Forbidden(_("You can't reset this user's password."))
    generated = new_password is None
    old_must_change = user.must_change_password
    password = password_generate() if generated else new_password
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_new_password(password)
        user.must_change_password = require_change
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        _session_epoch_bump(user)
        audit_record(
            action="password.reset_by_admin",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            old={"must_change_password": old_must_change},
            new={"generated": generated, "must_change_password": require_change},
        )
    # The user may have locked themselves out before calling the helpdesk.
    lockout.clear_all(user.username)
    return password


@transaction.atomic
def password_change_ending_other_sessions(
    *, user: User, new_password: str, request: HttpRequest | None = None
) -> None:
    """Set the user's own new password and end their other sessions.

    The caller keeps the current session with ``update_session_auth_hash()``.
    """
    password_change(user=user, new_password=new_password, request=request)
    _session_epoch_bump(user)


@transaction.atomic
def user_language_set(*, user: User, language: str, request: HttpRequest | None = None) -> None:
    """Set the language ``user`` sees the portal in ("" follows the organization's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."), code="language")
    old = user.preferred_language
    if old == language:
        return
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    audit_record(
        action="user.language",
        actor=user,
        request=request,
        target=user,
        old={"language": old},
        new={"language": language},
    )


def global_admins_notify(tenant: Tenant, subject: str, text: str, *, see: str, kind: str) -> None:
    """Email ``tenant``'s Global admins ``text`` and then ``see`` (where to look), once committed.

    Changes that only a Global admin may undo (API clients, single sign-on, partner
    access) are told this way; nothing is sent when the transaction rolls back.
    """
    addresses = global_admin_addresses(tenant)
    if not addresses:
        return
    message = EmailMessage(str(subject), "\n\n".join([str(text), str(see)]), to=addresses)
    transaction.on_commit(lambda: outbox.send_email(message, kind=kind))
