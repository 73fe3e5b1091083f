"""Writes of the Users area: on many users at once, each change audited per user."""

import csv
import io
import os
import secrets
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts import addresses
from accounts import services as account_services
from accounts.audit import audit_record
from accounts.models import AuditEvent, Domain, Tenant, User, UserManager, acting_person
from accounts.roles import (
    ADD_USERS,
    CHANGE_USERS,
    DELETE_USERS,
    RESET_PASSWORDS,
    ROLES,
    can_assign_role,
    can_reset_password,
)
from billing import selectors as billing_selectors
from billing import services as billing_services
from core import jobs
from core.csv_export import csv_safe
from core.exceptions import Forbidden
from core.sealing import seal, unseal
from groups import selectors as group_selectors
from groups import services as group_services
from users import csv_import, exports
from users.models import ExportJob, ImportJob, ReleasedLicenses

if TYPE_CHECKING:  # a type only: users reaches billing through its services and selectors
    from billing.models import Subscription

# One page of the list at most; a bulk action is not an import.
BULK_MAX = 200


def can_manage(actor: User, target: User) -> bool:
    """Return whether ``actor`` may block, unblock or delete ``target``.

    Editing users needs the right permission, and the same rank rule as
    resetting passwords: nobody acts on themselves, and only a Global admin acts
    on a Global admin or another privileged admin.
    """
    return actor.has_perm(CHANGE_USERS) and can_reset_password(actor, target)


def can_delete(actor: User, target: User) -> bool:
    """Return whether ``actor`` may delete (and restore) ``target``."""
    return actor.has_perm(DELETE_USERS) and can_reset_password(actor, target)


@transaction.atomic
def users_sign_in_block(
    *,
    tenant: Tenant,
    acting_user: User,
    users: Sequence[User],
    blocked: bool,
    request: HttpRequest | None = None,
) -> int:
    """Block (or unblock) sign-in for ``users``; return how many changed.

    Raise Forbidden and change nobody when ``acting_user`` may not manage one
    of them, or ValidationError "last_global_admin" when blocking them would
    leave no Global admin who can sign in. A blocked user's sessions end at
    their next request.
    """
    forbidden = [user for user in users if not can_manage(acting_user, user)]
    if forbidden:
        raise Forbidden(
            _("You can't change sign-in for %(name)s.") % {"name": forbidden[0].display_name}
        )
    changed = [user for user in users if user.is_sign_in_blocked != blocked]
    if blocked:
        account_services.global_admins_keep(tenant=tenant, losing=changed)
    User.objects.filter(pk__in=[user.pk for user in changed]).update(is_sign_in_blocked=blocked)
    for user in changed:
        user.is_sign_in_blocked = blocked
        audit_record(
            action="user.block" if blocked else "user.unblock",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            old={"is_sign_in_blocked": not blocked},
            new={"is_sign_in_blocked": blocked},
        )
    return len(changed)


@sensitive_variables("passwords")
def users_password_reset(
    *,
    tenant: Tenant,
    acting_user: User,
    users: Sequence[User],
    require_change: bool = True,
    request: HttpRequest | None = None,
) -> list[tuple[User, str]]:
    """Give each of ``users`` a generated password; return ``[(user, password)]``.

    All or nobody: when ``acting_user`` may not reset one of them, each refused
    target is recorded and Forbidden is raised before any password changes.
    """
    forbidden = [
        user
        for user in users
        if not acting_user.has_perm(RESET_PASSWORDS) or not can_reset_password(acting_user, user)
    ]
    if forbidden:
        for user in forbidden:
            account_services.password_reset_denied(
                tenant=tenant, acting_user=acting_user, user=user, request=request
            )
        raise Forbidden(
            _("You can't reset the password of %(name)s.") % {"name": forbidden[0].display_name}
        )
    passwords = []
    with transaction.atomic():
        for user in users:
            password = account_services.password_reset_by_admin(
                tenant=tenant,
                user=user,
                acting_user=acting_user,
                require_change=require_change,
                request=request,
            )
            passwords.append((user, password))
    return passwords


RESTORE_DAYS = 30


def _tombstone(user: User) -> str:
    # Unique and never a valid sign-in name (no @): the real name is free for others.
    return f"deleted.{user.pk}.{secrets.token_hex(6)}"


@transaction.atomic
def users_delete(
    *, tenant: Tenant, acting_user: User, users: Sequence[User], request: HttpRequest | None = None
) -> int:
    """Delete ``users`` softly; return how many were deleted.

    Sign-in stops at once, their sign-in names are freed and their licenses
    released (the organization stops paying for them; which products they were
    is remembered for a restore). Everything else (roles, security info,
    history) is kept for a restore within ``RESTORE_DAYS`` days. Raise Forbidden
    when ``acting_user`` may not delete one of them, or ValidationError
    "last_global_admin", and delete nobody.
    """
    forbidden = [user for user in users if not can_delete(acting_user, user)]
    if forbidden:
        raise Forbidden(_("You can't delete %(name)s.") % {"name": forbidden[0].display_name})
    account_services.global_admins_keep(tenant=tenant, losing=users)
    _licenses_release(tenant=tenant, acting_user=acting_user, users=users, request=request)
    now = timezone.now()
    for user in users:
        old_username = user.username
        user.deleted_username = old_username
        user.username = _tombstone(user)
        user.deleted_at = now
        user.session_epoch += 1
        user.save(update_fields=["username", "deleted_username", "deleted_at", "session_epoch"])
        addresses.release(owner=user)
        audit_record(
            action="user.delete",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            old={"username": old_username},
            new={"deleted_at": now.isoformat()},
        )
    return len(users)


def _licenses_release(
    *, tenant: Tenant, acting_user: User, users: Sequence[User], request: HttpRequest | None = None
) -> None:
    """Take away the licenses of ``users`` (being deleted), remembering their products."""
    by_subscription, held = {}, {}
    for user in users:
        for license in billing_selectors.licenses_of_user(tenant=tenant, user=user):
            subscription = license.subscription
            by_subscription.setdefault(subscription.pk, (subscription, []))[1].append(user)
            held.setdefault(user.pk, []).append(
                {"sku": subscription.product.sku, "name": subscription.product.name}
            )
    for subscription, holders in by_subscription.values():
        # Audited there, one event per license.
        billing_services.license_unassign(
            tenant=tenant,
            acting_user=acting_user,
            subscription=subscription,
            users=holders,
            request=request,
        )
    # Left from an earlier deletion of someone restored since: this one counts.
    ReleasedLicenses.objects.for_tenant(tenant).filter(user__in=users).delete()
    ReleasedLicenses.objects.bulk_create(
        ReleasedLicenses(tenant=tenant, user_id=user_id, products=products)
        for user_id, products in held.items()
    )


def _licenses_give_back(
    *, tenant: Tenant, acting_user: User, user: User, request: HttpRequest | None = None
) -> tuple[list[str], list[str]]:
    """Give restored ``user`` the licenses released at deletion, where one is free.

    Return ``(names given back, names not given back)``: a product the
    organization no longer has, or has no free license of, is not given back.
    """
    record = ReleasedLicenses.objects.for_tenant(tenant).filter(user=user).first()
    if record is None:
        return [], []
    live = {sub.product.sku: sub for sub in billing_selectors.live_subscriptions(tenant=tenant)}
    given, not_given = [], []
    for product in record.products:
        subscription = live.get(product["sku"])
        if subscription is None:
            not_given.append(product["name"])
            continue
        try:
            billing_services.license_assign(
                tenant=tenant,
                acting_user=acting_user,
                subscription=subscription,
                users=[user],
                request=request,
            )
        except ValidationError:  # none free, or the subscription ended meanwhile
            not_given.append(subscription.product.name)
        else:
            given.append(subscription.product.name)
    record.delete()
    return given, not_given


@dataclass(frozen=True)
class Restored:
    """What a restore did: the new password (shown once) and the licenses given back."""

    password: str
    licenses_given_back: list = field(default_factory=list)
    licenses_not_given_back: list = field(default_factory=list)


def restore_deadline(user: User) -> datetime:
    """Return the moment after which ``user`` (deleted) can no longer be restored."""
    return user.deleted_at + timedelta(days=RESTORE_DAYS)


@sensitive_variables("password")
def user_restore(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    username: str,
    request: HttpRequest | None = None,
) -> Restored:
    """Bring a deleted user back as ``username``; return what was done (``Restored``).

    The user gets a generated password to change at the next sign-in (shown
    once), and the licenses released at deletion wherever one is still free. A
    user blocked from signing in stays blocked. Raise Forbidden unless
    ``acting_user`` may restore the user, or ValidationError "expired",
    "name_taken" or the model's own errors for a sign-in name outside the
    organization's domains.
    """
    if not acting_user.has_perm(DELETE_USERS) or not can_reset_password(acting_user, user):
        raise Forbidden(_("You can't restore %(name)s.") % {"name": user})
    if user.deleted_at is None or user.tenant_id != tenant.pk:
        raise ValidationError(_("That user is not deleted."), code="not_deleted")
    if timezone.now() >= restore_deadline(user):
        raise ValidationError(
            _("%(name)s was deleted more than %(days)d days ago and can no longer be restored."),
            code="expired",
            params={"name": user.display_name, "days": RESTORE_DAYS},
        )
    username = UserManager.normalize_username(username)
    if not username_available(username):
        raise ValidationError(
            {
                "username": ValidationError(
                    _("%(username)s is taken. Choose another sign-in name."),
                    code="name_taken",
                    params={"username": username},
                )
            }
        )
    password = account_services.password_generate()
    with transaction.atomic():
        user.username = username
        user.deleted_at = None
        user.deleted_username = ""
        user.must_change_password = True
        user.set_new_password(password)
        user.full_clean(exclude=["password"])
        try:
            user.save()
        except IntegrityError:  # taken between the check and the save
            raise ValidationError(
                {
                    "username": ValidationError(
                        _("That sign-in name was just taken."), code="name_taken"
                    )
                }
            ) from None
        addresses.claim(tenant=tenant, address=username, owner=user, taken=_name_taken(username))
        group_services.dynamic_groups_sync_user(user)
        audit_record(
            action="user.restore",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            new={"username": username},
        )
        given, not_given = _licenses_give_back(
            tenant=tenant, acting_user=acting_user, user=user, request=request
        )
    return Restored(password=password, licenses_given_back=given, licenses_not_given_back=not_given)


def deleted_users_purge(*, now: datetime | None = None) -> int:
    """Remove for good the users deleted more than ``RESTORE_DAYS`` days ago; return how many.

    Their audit events stay, naming them by their recorded labels.
    """
    cutoff = (now or timezone.now()) - timedelta(days=RESTORE_DAYS)
    purged = 0
    due = User.objects.filter(deleted_at__lt=cutoff).select_related("tenant")
    for user in due.iterator(chunk_size=500):
        with transaction.atomic():
            audit_record(
                action="user.purge",
                tenant=user.tenant,
                target=user,
                old={"username": user.deleted_username},
            )
            addresses.release(owner=user)
            user.delete()
        purged += 1
    return purged


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "job_title",
    "department",
    "office",
    "business_phone",
    "usage_location",
    "preferred_language",
)


@transaction.atomic
def user_update(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    request: HttpRequest | None = None,
    **changes: str,
) -> list[str]:
    """Change ``user``'s profile fields (``PROFILE_FIELDS``, ``external_id``); return those changed.

    Raise Forbidden unless ``acting_user`` may manage the user, or the model's
    ValidationError for bad values.
    """
    if not can_manage(acting_user, user) or user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't edit %(name)s.") % {"name": user})
    unknown = set(changes) - set(PROFILE_FIELDS) - {"external_id"}
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return []
    old = {name: str(getattr(user, name)) for name in changed}
    for name in changed:
        setattr(user, name, changes[name])
    user.full_clean(exclude=["password"])
    user.save(update_fields=changed)
    group_services.dynamic_groups_sync_user(user)
    audit_record(
        action="user.change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=user,
        old=old,
        new={name: str(getattr(user, name)) for name in changed},
    )
    return changed


@transaction.atomic
def user_contact_update(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    request: HttpRequest | None = None,
    **contact: str,
) -> list[str]:
    """Change ``user``'s contact information; return the names of the values changed.

    ``contact`` holds values of ``csv_import.CONTACT_KEYS`` (mobile phone,
    alternate email, fax, postal address), checked as the CSV import checks them:
    the mobile phone in the organization's country, the email with
    email-validator. An empty value removes it. Raise Forbidden unless
    ``acting_user`` may manage the user, or a ValidationError with one error per
    bad value, keyed by its name.
    """
    if not can_manage(acting_user, user) or user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't edit %(name)s.") % {"name": user})
    unknown = set(contact) - set(csv_import.CONTACT_KEYS)
    if unknown:
        raise TypeError(f"not contact fields: {sorted(unknown)}")
    domains = list(Domain.objects.for_tenant(tenant).values_list("name", flat=True))
    cleaned, errors = {}, {}
    for key, value in contact.items():
        try:
            cleaned[key] = csv_import.clean_contact(
                key,
                value,
                region=tenant.country,
                tenant_domains=domains,
                sign_in_name=user.username,
            )
        except ValidationError as error:
            errors[key] = error
    if errors:
        raise ValidationError(errors)
    current = dict(user.contact_details or {})
    changed = [key for key, value in cleaned.items() if current.get(key, "") != value]
    if not changed:
        return []
    old = {key: current.get(key, "") for key in changed}
    for key in changed:
        if cleaned[key]:
            current[key] = cleaned[key]
        else:
            current.pop(key, None)
    user.contact_details = current
    user.save(update_fields=["contact_details"])
    audit_record(
        action="user.change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=user,
        old=old,
        new={key: cleaned[key] for key in changed},
    )
    return changed


def username_available(username: str) -> bool:
    """Return whether no user or group (in any organization) has the address ``username``."""
    return not addresses.in_use(username)


def _name_taken(username: str) -> ValidationError:
    return ValidationError(
        {
            "username": ValidationError(
                _("%(username)s is taken. Choose another sign-in name."),
                code="name_taken",
                params={"username": username},
            )
        }
    )


@transaction.atomic
def user_username_change(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    username: str,
    request: HttpRequest | None = None,
) -> bool:
    """Give ``user`` the sign-in name ``username`` (on one of the tenant's domains).

    Raise Forbidden unless ``acting_user`` may manage the user.
    """
    if not can_manage(acting_user, user) or user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't change the sign-in name of %(name)s.") % {"name": user})
    username = UserManager.normalize_username(username)
    if username == user.username:
        return False
    if not username_available(username):
        raise ValidationError(
            {
                "username": ValidationError(
                    _("%(username)s is taken. Choose another sign-in name."),
                    code="name_taken",
                    params={"username": username},
                )
            }
        )
    old = user.username
    user.username = username
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save(update_fields=["username"])
    except IntegrityError:
        raise ValidationError(
            {"username": ValidationError(_("That sign-in name was just taken."), code="name_taken")}
        ) from None
    addresses.rename(tenant=tenant, owner=user, address=username, taken=_name_taken(username))
    audit_record(
        action="user.rename",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=user,
        old={"username": old},
        new={"username": username},
    )
    return True


@transaction.atomic
def user_roles_set(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    roles: Iterable[str],
    request: HttpRequest | None = None,
) -> tuple[list[str], list[str]]:
    """Make ``roles`` exactly ``user``'s roles; return ``(added, removed)`` role codes.

    All or nothing: raise Forbidden when ``acting_user`` may not change one of
    the roles involved, or the role rules' own ValidationError (such as the last
    Global admin), and change nothing.
    """
    wanted, held = set(roles), set(user.role_codes)
    if wanted - set(ROLES):
        raise ValidationError(_("Unknown role."), code="unknown_role")
    added, removed = sorted(wanted - held), sorted(held - wanted)
    if any(not can_assign_role(acting_user, code) for code in added + removed):
        raise Forbidden(_("You can't change these roles."))
    for code in added:
        account_services.role_assign(
            tenant=tenant, user=user, role=code, acting_user=acting_user, request=request
        )
    for code in removed:
        account_services.role_remove(
            tenant=tenant, user=user, role=code, acting_user=acting_user, request=request
        )
    return added, removed


@sensitive_variables("password", "generated")
@transaction.atomic
def user_create(
    *,
    tenant: Tenant,
    acting_user: User,
    username: str,
    display_name: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    require_change: bool = True,
    roles: Collection[str] = (),
    subscriptions: Iterable["Subscription"] = (),
    profile: dict[str, str] | None = None,
    request: HttpRequest | None = None,
) -> tuple[User, str | None]:
    """Add a user to ``tenant``; return ``(user, generated password or None)``.

    ``subscriptions`` are the products whose licenses the user gets at once; with
    no license left on one of them, nobody is created.

    Give ``password`` (checked by the password validators), or ``password_hash``
    (a typed password already checked and hashed by the add-user form), or
    neither to have one generated. Raise Forbidden when ``acting_user`` may not
    add users or give one of ``roles``, ValidationError "name_taken" when the
    sign-in name is in use, or the model's errors.
    """
    if not acting_user.has_perm(ADD_USERS) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't add users."))
    if any(not can_assign_role(acting_user, code) for code in roles):
        raise Forbidden(_("You can't give these roles."))
    username = UserManager.normalize_username(username)
    if not username_available(username):
        raise ValidationError(
            {
                "username": ValidationError(
                    _("%(username)s is taken. Choose another sign-in name."),
                    code="name_taken",
                    params={"username": username},
                )
            }
        )
    user = User(
        tenant=tenant,
        username=username,
        display_name=display_name,
        first_name=first_name,
        last_name=last_name,
        must_change_password=require_change,
        **(profile or {}),
    )
    generated = None
    if password_hash is not None:
        user.password = password_hash
        user.password_changed_at = timezone.now()
    else:
        if password is None:
            password = generated = account_services.password_generate()
        password_validation.validate_password(password, user)
        user.set_new_password(password)
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            {"username": ValidationError(_("That sign-in name was just taken."), code="name_taken")}
        ) from None
    addresses.claim(tenant=tenant, address=username, owner=user, taken=_name_taken(username))
    audit_record(
        action="user.create",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=user,
        new={
            "username": username,
            "display_name": user.display_name,
            "password": "generated" if generated else "typed",
            "must_change_password": require_change,
        },
    )
    for code in roles:
        account_services.role_assign(
            tenant=tenant, user=user, role=code, acting_user=acting_user, request=request
        )
    group_services.dynamic_groups_sync_user(user)
    for subscription in subscriptions:
        billing_services.license_assign(
            tenant=tenant,
            acting_user=acting_user,
            subscription=subscription,
            users=[user],
            request=request,
        )
    return user, generated


IMPORT_HASH_CHUNK = 200
# How the one-time passwords reach the job that hashes them. They never travel
# through the broker: the task's message holds only the ImportJob's id. Until
# hashed they wait on the ImportJob row, sealed (Fernet, with a key derived from
# SECRET_KEY for this purpose), so the database never holds them in plain text
# either; the job empties that column when it ends, done or failed. A sealed
# batch older than IMPORT_SEAL_MAX_AGE is refused (the job then fails).
IMPORT_SEAL_PURPOSE = "users.import.passwords"
IMPORT_SEAL_MAX_AGE = 24 * 60 * 60


@sensitive_variables("passwords", "results")
def users_import(
    *,
    tenant: Tenant,
    acting_user: User,
    rows: Sequence[csv_import.UserRow],
    file_name: str = "",
    request: HttpRequest | None = None,
) -> tuple[ImportJob, str]:
    """Create one user per checked CSV row, all or none; return ``(job, results CSV)``.

    Every user gets a generated one-time password to change at the first
    sign-in. The accounts exist when this returns; their passwords are hashed by
    a background job (``users.tasks.import_passwords_hash``, given only the job's
    id) whose progress ``job`` records, and until then they cannot sign in. The
    results CSV (sign-in names and passwords) is returned to the caller; the
    import page keeps it sealed in the shared cache for at most an hour, for one
    download by whoever started the import. Raise Forbidden unless
    ``acting_user`` may add users.
    """
    from users.tasks import import_passwords_hash  # noqa: PLC0415 - cycle users.services -> users.tasks -> users.services

    if not acting_user.has_perm(ADD_USERS) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't add users."))
    if not rows:
        raise ValidationError(_("The file holds no users."), code="empty")
    names = [row.username for row in rows]
    now = timezone.now()
    unusable = make_password(None)  # until the background job sets the real hash
    with transaction.atomic():
        taken = sorted(
            set(User.objects.filter(username__in=names).values_list("username", flat=True))
            | set(group_selectors.group_addresses_in(names))
            | set(addresses.claimed_in(names))
        )
        if taken:
            raise ValidationError(
                _("Someone took these sign-in names since the file was checked: %(names)s"),
                code="name_taken",
                params={"names": ", ".join(taken[:10])},
            )
        users = [
            User(
                tenant=tenant,
                username=row.username,
                display_name=row.display_name,
                first_name=row.first_name,
                last_name=row.last_name,
                job_title=row.job_title,
                department=row.department,
                office=row.office,
                business_phone=row.business_phone,
                usage_location=row.usage_location,
                contact_details={
                    key: value
                    for key, value in {
                        "mobile_phone": row.mobile_phone,
                        "alternate_email": row.alternate_email,
                        **row.extra,
                    }.items()
                    if value
                },
                password=unusable,
                must_change_password=True,
                date_joined=now,
            )
            for row in rows
        ]
        try:
            User.objects.bulk_create(users, batch_size=1000)
        except IntegrityError:  # a name taken between the check and the insert
            raise ValidationError(
                _("Someone took one of these sign-in names just now. Check the file again."),
                code="name_taken",
            ) from None
        addresses.claim_all(
            tenant=tenant,
            owners=[(user, user.username) for user in users],
            taken=ValidationError(
                _("Someone took one of these sign-in names just now. Check the file again."),
                code="name_taken",
            ),
        )
        passwords = [(user.pk, account_services.password_generate()) for user in users]
        job = ImportJob.objects.create(
            tenant=tenant,
            created_by=acting_person(acting_user),
            file_name=file_name[:255],
            total=len(users),
            sealed_passwords=seal(passwords, purpose=IMPORT_SEAL_PURPOSE),
        )
        summary = audit_record(
            action="users.import",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=job,
            new={"users": len(users), "file": file_name[:255]},
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    tenant=tenant,
                    actor=acting_user,
                    actor_label=acting_user.username,
                    action="user.create",
                    target_type="accounts.user",
                    target_id=str(user.pk),
                    target_label=user.display_name[:254],
                    new_values={"username": user.username, "import": job.pk},
                    ip_address=summary.ip_address,
                    user_agent=summary.user_agent,
                    created_at=now,
                )
                for user in users
            ],
            batch_size=1000,
        )
        group_services.dynamic_groups_sync_tenant(tenant)
        # Only the id goes to the job: it reads the sealed passwords from the row.
        transaction.on_commit(lambda: jobs.enqueue(import_passwords_hash, job.pk))
    header = [_("User Name"), _("Display Name"), _("Password")]
    lines = [header] + [
        [csv_safe(user.username), csv_safe(user.display_name), password]
        for user, (_pk, password) in zip(users, passwords, strict=True)
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return job, buffer.getvalue()


@sensitive_variables("passwords")
def import_passwords_set(*, job_id: int) -> None:
    """Hash and set the one-time passwords sealed on import ``job_id``, recording progress.

    Runs in the background (``users.tasks.import_passwords_hash``). The hashes are
    computed in parallel threads: argon2-cffi releases the GIL while it hashes,
    so every core works. Whatever the outcome, the sealed passwords are removed
    from the row when the job ends; a job redelivered after a worker died starts
    over, which is harmless (the same passwords, hashed again).
    """
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.HASHING).first()
    if job is None or not job.sealed_passwords:
        return  # ended already (a duplicate delivery), or gone
    workers = max(os.cpu_count() or 1, 1)
    try:
        passwords = unseal(
            job.sealed_passwords, purpose=IMPORT_SEAL_PURPOSE, max_age=IMPORT_SEAL_MAX_AGE
        )
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, len(passwords), IMPORT_HASH_CHUNK):
                chunk = passwords[start : start + IMPORT_HASH_CHUNK]
                hashes = list(pool.map(make_password, (password for _pk, password in chunk)))
                now = timezone.now()
                User.objects.bulk_update(
                    [
                        User(pk=pk, password=hashed, password_changed_at=now)
                        for (pk, _password), hashed in zip(chunk, hashes, strict=True)
                    ],
                    ["password", "password_changed_at"],
                )
                ImportJob.objects.filter(pk=job_id).update(hashed=start + len(chunk))
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(), sealed_passwords=""
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), sealed_passwords=""
    )


def import_results_downloaded(
    *, job: ImportJob, acting_user: User, request: HttpRequest | None = None
) -> None:
    """Record that an import's one-time results were handed out (they never are again)."""

    ImportJob.objects.filter(pk=job.pk).update(results_downloaded=True)
    job.results_downloaded = True
    audit_record(
        action="users.import_results",
        tenant=job.tenant,
        actor=acting_user,
        request=request,
        target=job,
    )


# --- large exports ------------------------------------------------------------------

EXPORT_SEAL_PURPOSE = "users.export"
EXPORT_KEEP_SECONDS = 60 * 60


def _export_query(params: dict[str, list[str]]) -> QueryDict:
    """Return ``params`` (the list's query as a dict of lists) as the QueryDict the list reads."""

    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values)
    return query


def _export_audit(
    *,
    tenant: Tenant,
    acting_user: User,
    params: dict[str, list[str]],
    total: int,
    job: ExportJob | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record an Active users export: who, the search and filters, how many users."""
    return audit_record(
        action="users.export",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=job,
        new={"users": total, "query": params},
    )


def user_export_record(
    *,
    tenant: Tenant,
    acting_user: User,
    params: dict[str, list[str]],
    total: int,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record an Active users export that streams at once (``total`` users).

    ``params`` is what selected them, as a dict of lists: the list's query, or
    ``{"ids": [...]}`` for the users ticked on a page. A larger export is
    recorded by ``user_export_start``, in the same shape.
    """
    return _export_audit(
        tenant=tenant, acting_user=acting_user, params=params, total=total, request=request
    )


def user_export_start(
    *,
    tenant: Tenant,
    acting_user: User,
    params: dict[str, list[str]],
    request: HttpRequest | None = None,
) -> ExportJob:
    """Have a worker write the Active users export ``params`` selects; return the job.

    ``params`` is the list's query as a dict of lists (search, filters, sort).
    Raise ValidationError when its filters are not valid.
    """
    from users.tasks import export_users  # noqa: PLC0415 - cycle users.services -> users.tasks -> users.services

    if acting_person(acting_user) is None:
        # The file is kept for the person who asked, among the organization's people.
        raise Forbidden(_("Only the organization's own admins export its users."))
    total = exports.selection(tenant, _export_query(params)).count()
    with transaction.atomic():
        job = ExportJob.objects.create(
            tenant=tenant, created_by=acting_person(acting_user), params=params, total=total
        )
        _export_audit(
            tenant=tenant,
            acting_user=acting_user,
            params=params,
            total=total,
            job=job,
            request=request,
        )
        # Only the id travels: the worker reads the query from the row.
        transaction.on_commit(lambda: jobs.enqueue(export_users, job.pk))
    return job


def user_export_write(*, job_id: int) -> None:
    """Write export ``job_id``'s file, recording progress (the workers' task)."""
    job = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).first()
    if job is None:
        return  # ended already (a duplicate delivery), or gone
    try:
        text = exports.write(
            job.tenant,
            exports.selection(job.tenant, _export_query(job.params)),
            progress=lambda written: ExportJob.objects.filter(pk=job_id).update(written=written),
        )
    except Exception:
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE,
        finished_at=timezone.now(),
        written=max(text.count("\n") - 1, 0),
        sealed_file=seal(text, purpose=EXPORT_SEAL_PURPOSE),
    )


def user_export_downloaded(
    *, job: ExportJob, acting_user: User, request: HttpRequest | None = None
) -> None:
    """Record that an export's file was handed out."""
    audit_record(
        action="users.export_download",
        tenant=job.tenant,
        actor=acting_user,
        request=request,
        target=job,
    )


def user_exports_expire(*, now: datetime | None = None) -> int:
    """Empty the files of exports ready for longer than an hour; return how many."""
    now = now or timezone.now()
    return ExportJob.objects.filter(
        status=ExportJob.Status.DONE,
        finished_at__lt=now - timedelta(seconds=EXPORT_KEEP_SECONDS),
    ).update(status=ExportJob.Status.EXPIRED, sealed_file="")
