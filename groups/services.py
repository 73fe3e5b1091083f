"""Writes of the Groups area: each checks the kind's rules and audits old and new values."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import addresses
from accounts.audit import audit_record
from accounts.models import Domain, Tenant, User, UserManager
from accounts.roles import ADD_GROUPS, CHANGE_GROUPS, DELETE_GROUPS
from core.exceptions import Forbidden
from groups.models import (
    KINDS_WITH_DYNAMIC_MEMBERSHIP,
    KINDS_WITH_EMAIL,
    KINDS_WITH_EXTERNAL_SENDERS,
    KINDS_WITH_OWNERS_REQUIRED,
    KINDS_WITH_PRIVACY,
    RULE_FIELDS,
    RULE_OPERATORS,
    Group,
    Kind,
    Membership,
    Privacy,
)

RESTORE_DAYS = 30


def _require(acting_user: User, tenant: Tenant, permission: str) -> None:
    if not acting_user.has_perm(permission) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't change groups."))


def _active_users(tenant: Tenant, users: Iterable[User]) -> list[User]:
    users = list(users)
    if any(user.tenant_id != tenant.pk or user.deleted_at is not None for user in users):
        raise ValidationError(_("Choose active users of your organization."), code="foreign_user")
    return users


def group_address(*, tenant: Tenant, local_part: str, domain: str) -> str:
    """Return the address ``local_part@domain`` on one of the tenant's verified domains."""
    local_part = (local_part or "").strip().lower()
    if not local_part:
        raise ValidationError({"email": _("Enter the part of the address before the @.")})
    if not Domain.objects.for_tenant(tenant).filter(name=domain, is_verified=True).exists():
        raise ValidationError({"email": _("Choose one of your organization's verified domains.")})
    return UserManager.normalize_username(f"{local_part}@{domain}")


def _check_fields(*, kind: str, email: str, privacy: str, allow_external_senders: bool) -> None:
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose a type.")
    if kind in KINDS_WITH_EMAIL and not email:
        errors["email"] = _("A group of this type needs an email address.")
    if kind not in KINDS_WITH_EMAIL and email:
        errors["email"] = _("A security group has no email address.")
    if kind in KINDS_WITH_PRIVACY and privacy not in Privacy.values:
        errors["privacy"] = _("Choose public or private.")
    if kind not in KINDS_WITH_PRIVACY and privacy:
        errors["privacy"] = _("Only team groups are public or private.")
    if kind not in KINDS_WITH_EXTERNAL_SENDERS and allow_external_senders:
        errors["allow_external_senders"] = _("Only distribution lists take mail from outside.")
    if errors:
        raise ValidationError(errors)


def _check_address_free(email: str, *, group: Group | None = None) -> None:
    if email and (group is None or email != group.email) and addresses.in_use(email):
        raise ValidationError(
            {"email": _("%(email)s is in use by a user or a group.") % {"email": email}},
            code="address_taken",
        )


def _address_taken(email: str) -> ValidationError:
    return ValidationError(
        {"email": _("%(email)s is in use by a user or a group.") % {"email": email}},
        code="address_taken",
    )


@transaction.atomic
def group_create(
    *,
    tenant: Tenant,
    acting_user: User,
    kind: str,
    name: str,
    description: str = "",
    email: str = "",
    privacy: str = "",
    allow_external_senders: bool = False,
    owners: Iterable[User] = (),
    members: Iterable[User] = (),
    external_id: str = "",
    request: HttpRequest | None = None,
) -> Group:
    """Create a group of ``kind`` with its owners and members; return it."""
    _require(acting_user, tenant, ADD_GROUPS)
    _check_fields(
        kind=kind, email=email, privacy=privacy, allow_external_senders=allow_external_senders
    )
    owners, members = _active_users(tenant, owners), _active_users(tenant, members)
    if kind in KINDS_WITH_OWNERS_REQUIRED and not owners:
        raise ValidationError({"owners": _("A team group needs at least one owner.")})
    _check_address_free(email)
    group = Group(
        tenant=tenant,
        kind=kind,
        name=name.strip(),
        description=description.strip(),
        email=email,
        privacy=privacy,
        allow_external_senders=allow_external_senders,
        external_id=external_id,
    )
    group.full_clean()
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise ValidationError({"email": _("That address was just taken.")}) from None
    addresses.claim(tenant=tenant, address=email, owner=group, taken=_address_taken(email))
    Membership.objects.bulk_create(
        [Membership(tenant=tenant, group=group, user=u, role=Membership.Role.OWNER) for u in owners]
        + [
            Membership(tenant=tenant, group=group, user=u, role=Membership.Role.MEMBER)
            for u in members
        ]
    )
    audit_record(
        action="group.create",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=group,
        new={
            "kind": kind,
            "name": group.name,
            "email": email,
            "owners": [u.username for u in owners],
            "members": [u.username for u in members],
        },
    )
    return group


@transaction.atomic
def group_update(
    *,
    tenant: Tenant,
    acting_user: User,
    group: Group,
    request: HttpRequest | None = None,
    **changes: str | bool,
) -> list[str]:
    """Change ``group``'s name, description, address, privacy or external senders."""
    _require(acting_user, tenant, CHANGE_GROUPS)
    allowed = {"name", "description", "email", "privacy", "allow_external_senders", "external_id"}
    if set(changes) - allowed:
        raise TypeError(f"not group fields: {sorted(set(changes) - allowed)}")
    values = {name: getattr(group, name) for name in allowed} | changes
    _check_fields(
        kind=group.kind,
        email=values["email"],
        privacy=values["privacy"],
        allow_external_senders=values["allow_external_senders"],
    )
    _check_address_free(values["email"], group=group)
    changed = [name for name in changes if getattr(group, name) != changes[name]]
    if not changed:
        return []
    old = {name: getattr(group, name) for name in changed}
    for name in changed:
        setattr(group, name, changes[name])
    group.full_clean()
    try:
        with transaction.atomic():
            group.save(update_fields=changed)
    except IntegrityError:
        raise ValidationError({"email": _("That address was just taken.")}) from None
    if "email" in changed:
        addresses.rename(
            tenant=tenant, owner=group, address=group.email, taken=_address_taken(group.email)
        )
    audit_record(
        action="group.change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=group,
        old=old,
        new={name: getattr(group, name) for name in changed},
    )
    return changed


def _refuse_hand_members(group: Group, role: str) -> None:
    if role == Membership.Role.MEMBER and group.membership_rule:
        raise ValidationError(
            _("This group's members follow its rule. Change the rule instead."), code="rule_members"
        )


@transaction.atomic
def group_people_add(
    *,
    tenant: Tenant,
    acting_user: User,
    group: Group,
    users: Iterable[User],
    role: str,
    request: HttpRequest | None = None,
) -> int:
    """Make ``users`` ``role`` (member or owner) of ``group``; return how many were new."""
    _require(acting_user, tenant, CHANGE_GROUPS)
    users = _active_users(tenant, users)
    Group.objects.select_for_update().get(pk=group.pk)
    _refuse_hand_members(group, role)
    existing = set(
        Membership.objects.filter(group=group, role=role).values_list("user_id", flat=True)
    )
    new = [user for user in users if user.pk not in existing]
    Membership.objects.bulk_create(
        [Membership(tenant=tenant, group=group, user=user, role=role) for user in new]
    )
    if new:
        audit_record(
            action=f"group.{role}.add",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=group,
            new={"users": [user.username for user in new]},
        )
    return len(new)


@transaction.atomic
def group_people_remove(
    *,
    tenant: Tenant,
    acting_user: User,
    group: Group,
    users: Iterable[User],
    role: str,
    request: HttpRequest | None = None,
) -> int:
    """Take ``users`` out of ``group``'s ``role``; a team group keeps one owner."""
    _require(acting_user, tenant, CHANGE_GROUPS)
    Group.objects.select_for_update().get(pk=group.pk)
    _refuse_hand_members(group, role)
    ids = [user.pk for user in users]
    if role == Membership.Role.OWNER and group.kind in KINDS_WITH_OWNERS_REQUIRED:
        remaining = (
            Membership.objects.filter(group=group, role=role, user__deleted_at__isnull=True)
            .exclude(user_id__in=ids)
            .count()
        )
        if not remaining:
            raise ValidationError(
                _("A team group keeps at least one owner. Add another owner first."),
                code="last_owner",
            )
    removed = list(
        Membership.objects.filter(group=group, role=role, user_id__in=ids).select_related("user")
    )
    Membership.objects.filter(pk__in=[m.pk for m in removed]).delete()
    if removed:
        audit_record(
            action=f"group.{role}.remove",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=group,
            old={"users": [m.user.username for m in removed]},
        )
    return len(removed)


@transaction.atomic
def groups_delete(
    *,
    tenant: Tenant,
    acting_user: User,
    groups: Sequence[Group],
    request: HttpRequest | None = None,
) -> int:
    """Delete ``groups`` softly: their addresses are freed; restorable for 30 days."""
    _require(acting_user, tenant, DELETE_GROUPS)
    now = timezone.now()
    for group in groups:
        if group.tenant_id != tenant.pk or group.deleted_at is not None:
            raise ValidationError(_("That group does not exist."), code="not_found")
        group.deleted_email, group.email, group.deleted_at = group.email, "", now
        group.save(update_fields=["deleted_email", "email", "deleted_at"])
        addresses.release(owner=group)
        audit_record(
            action="group.delete",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=group,
            old={"email": group.deleted_email},
        )
    return len(groups)


def restore_deadline(group: Group) -> datetime:
    return group.deleted_at + timedelta(days=RESTORE_DAYS)


@transaction.atomic
def group_restore(
    *,
    tenant: Tenant,
    acting_user: User,
    group: Group,
    email: str | None = None,
    request: HttpRequest | None = None,
) -> Group:
    """Bring a deleted group back, under its old address or ``email`` when that was taken."""
    _require(acting_user, tenant, DELETE_GROUPS)
    if group.deleted_at is None or group.tenant_id != tenant.pk:
        raise ValidationError(_("That group is not deleted."), code="not_deleted")
    if timezone.now() >= restore_deadline(group):
        raise ValidationError(
            _("This group was deleted more than %(days)d days ago and can no longer be restored.")
            % {"days": RESTORE_DAYS},
            code="expired",
        )
    address = UserManager.normalize_username(email) if email else group.deleted_email
    if address and addresses.in_use(address):
        raise ValidationError(
            {
                "email": _("%(email)s is in use by a user or a group. Choose another address.")
                % {"email": address}
            },
            code="address_taken",
        )
    # Claimed first: of two restores to one address, the second is refused here.
    addresses.claim(tenant=tenant, address=address, owner=group, taken=_address_taken(address))
    group.email, group.deleted_email, group.deleted_at = address, "", None
    group.save(update_fields=["email", "deleted_email", "deleted_at"])
    audit_record(
        action="group.restore",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=group,
        new={"email": address},
    )
    return group


def deleted_groups_purge(*, now: datetime | None = None) -> int:
    """Remove for good the groups deleted more than ``RESTORE_DAYS`` days ago."""
    cutoff = (now or timezone.now()) - timedelta(days=RESTORE_DAYS)
    purged = 0
    for group in Group.objects.filter(deleted_at__lt=cutoff).select_related("tenant").iterator():
        with transaction.atomic():
            audit_record(
                action="group.purge",
                tenant=group.tenant,
                target=group,
                old={"email": group.deleted_email},
            )
            addresses.release(owner=group)
            group.delete()
        purged += 1
    return purged


# --- Dynamic membership ----------------------------------------------------------


def rule_clean(rule: Mapping[str, object]) -> dict[str, str]:
    """Return ``rule`` checked and normalized ({"field", "op", "value"}), or raise."""
    field, op = rule.get("field"), rule.get("op")
    value = " ".join(str(rule.get("value", "")).split())
    if field not in RULE_FIELDS or op not in RULE_OPERATORS or not value:
        raise ValidationError(_("Choose a property, a comparison and a value."), code="rule")
    if field == "usage_location":
        value = value.upper()
    return {"field": field, "op": op, "value": value}


def rule_matches(*, tenant: Tenant, rule: Mapping[str, str]) -> QuerySet[User]:
    """Return the tenant's active users that ``rule`` selects (case-insensitive)."""
    lookup = "iexact" if rule["op"] == "equals" else "istartswith"
    return (
        User.objects.for_tenant(tenant)
        .active()
        .filter(**{f"{rule['field']}__{lookup}": rule["value"]})
    )


def _sync(group: Group) -> tuple[set[int], set[int]]:
    """Make ``group``'s members exactly the users its rule selects; return (added, removed)."""
    wanted = set(
        rule_matches(tenant=group.tenant, rule=group.membership_rule).values_list("pk", flat=True)
    )
    current = set(
        Membership.objects.filter(group=group, role=Membership.Role.MEMBER).values_list(
            "user_id", flat=True
        )
    )
    added, removed = wanted - current, current - wanted
    Membership.objects.bulk_create(
        [
            Membership(tenant=group.tenant, group=group, user_id=pk, role=Membership.Role.MEMBER)
            for pk in sorted(added)
        ]
    )
    Membership.objects.filter(
        group=group, role=Membership.Role.MEMBER, user_id__in=removed
    ).delete()
    return added, removed


@transaction.atomic
def group_rule_set(
    *,
    tenant: Tenant,
    acting_user: User,
    group: Group,
    rule: Mapping[str, object] | None,
    request: HttpRequest | None = None,
) -> tuple[set[int], set[int]]:
    """Give ``group`` a membership rule (None: members are managed by hand) and sync it."""
    _require(acting_user, tenant, CHANGE_GROUPS)
    if rule is not None:
        if group.kind not in KINDS_WITH_DYNAMIC_MEMBERSHIP:
            raise ValidationError(
                _("Only distribution lists and security groups can have a membership rule."),
                code="rule_kind",
            )
        rule = rule_clean(rule)
    old = group.membership_rule
    group.membership_rule = rule
    group.save(update_fields=["membership_rule"])
    added, removed = _sync(group) if rule else (set(), set())
    audit_record(
        action="group.rule",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=group,
        old={"rule": old},
        new={"rule": rule, "added": len(added), "removed": len(removed)},
    )
    return added, removed


def dynamic_groups_sync_user(user: User) -> None:
    """Bring ``user`` in or out of their tenant's rule-based groups after a change."""
    if user.tenant_id is None:
        return
    groups = Group.objects.filter(
        tenant_id=user.tenant_id, deleted_at__isnull=True, membership_rule__isnull=False
    )
    for group in groups:
        rule = group.membership_rule
        matches = (
            user.deleted_at is None
            and rule_matches(tenant=group.tenant, rule=rule).filter(pk=user.pk).exists()
        )
        member = Membership.objects.filter(
            group=group, user=user, role=Membership.Role.MEMBER
        ).exists()
        if matches and not member:
            Membership.objects.create(
                tenant=group.tenant, group=group, user=user, role=Membership.Role.MEMBER
            )
        elif member and not matches:
            Membership.objects.filter(group=group, user=user, role=Membership.Role.MEMBER).delete()


def dynamic_groups_sync_tenant(tenant: Tenant) -> None:
    """Re-apply every rule-based group of ``tenant`` (after many users changed at once)."""
    for group in Group.objects.filter(
        tenant=tenant, deleted_at__isnull=True, membership_rule__isnull=False
    ).select_related("tenant"):
        _sync(group)


# --- A user's groups ---------------------------------------------------------------


@transaction.atomic
def user_groups_set(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    add: Iterable[Group] = (),
    remove: Iterable[Group] = (),
    role: str = Membership.Role.MEMBER,
    request: HttpRequest | None = None,
) -> tuple[int, int]:
    """Make ``user`` ``role`` of the groups ``add`` and take them out of ``remove``.

    Return how many memberships were added and removed. All or nothing: every
    group is checked before any changes (the acting user's permission, the
    group's organization, members that follow a rule, a team group's last
    owner), and a refusal about any one of them changes none. Each group's
    change is audited as ``group_people_add``/``group_people_remove`` audit it.
    """
    _require(acting_user, tenant, CHANGE_GROUPS)
    if role not in Membership.Role.values:
        raise ValidationError(_("Choose member or owner."), code="unknown_role")
    _active_users(tenant, [user])
    add, remove = list(add), list(remove)
    groups = add + remove
    if any(group.tenant_id != tenant.pk or group.deleted_at is not None for group in groups):
        raise ValidationError(_("That group does not exist."), code="not_found")
    # Lock them all first, in one order, so two such changes cannot deadlock.
    list(
        Group.objects.select_for_update()
        .filter(pk__in=[group.pk for group in groups])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for group in groups:
        _refuse_hand_members(group, role)
    if role == Membership.Role.OWNER:
        for group in remove:
            if group.kind not in KINDS_WITH_OWNERS_REQUIRED:
                continue
            others = (
                Membership.objects.filter(group=group, role=role, user__deleted_at__isnull=True)
                .exclude(user_id=user.pk)
                .exists()
            )
            if not others:
                raise ValidationError(
                    _("A team group keeps at least one owner. Add another owner first."),
                    code="last_owner",
                )
    added, removed = (
        sum(
            change(
                tenant=tenant,
                acting_user=acting_user,
                group=group,
                users=[user],
                role=role,
                request=request,
            )
            for group in groups
        )
        for change, groups in ((group_people_add, add), (group_people_remove, remove))
    )
    return added, removed
