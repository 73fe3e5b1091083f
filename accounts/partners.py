"""Partner relationships: a partner organization's admins acting in a customer's admin center.

A partner's Global admin asks a customer, by one of the customer's verified
domains, for roles (never Global admin) for a number of days; the customer's
Global admin approves or declines; the partner's Global admin then decides which
of its own admins act with which of the granted roles. The customer ends the
relationship at any time and the expiry ends it by itself. Whether someone may
act is read from the database on every request (``acting_access``), so an end
takes effect on the next request on every node.

Every change is audited in both organizations and told to the other side's
Global admins by email.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.audit import audit_record
from accounts.models import (
    Domain,
    PartnerAccess,
    PartnerRelationship,
    Tenant,
    User,
    acting_person,
    normalize_domain,
)
from accounts.roles import (
    CHANGE_PARTNERS,
    GLOBAL_ADMIN,
    ROLES,
    permissions_for_roles,
    role_names,
)
from accounts.services import global_admins_notify
from core.exceptions import Forbidden

MAX_DAYS = 730
DEFAULT_DAYS = 365
# Both sides are told this long before a relationship expires.
REMIND_BEFORE = timedelta(days=7)
# The session key that holds the relationship its partner admin acts in.
ACTING_SESSION_KEY = "portal_acting_in"

Status = PartnerRelationship.Status


def grantable_roles() -> list[str]:
    """Return the role codes a partner may ask for: every role but Global admin."""
    return [code for code in ROLES if code != GLOBAL_ADMIN]


def _clean_roles(roles: Iterable[str], allowed: Iterable[str]) -> list[str]:
    chosen = set(roles)
    allowed = set(allowed)
    if not chosen:
        raise ValidationError(_("Choose at least one role."), code="no_role")
    if GLOBAL_ADMIN in chosen:
        raise ValidationError(_("A partner never acts as a Global admin."), code="global_admin")
    if chosen - allowed:
        raise ValidationError(_("Choose roles from the list."), code="invalid_roles")
    return [code for code in ROLES if code in chosen]


def _global_admin_of(actor: object, tenant: Tenant, message: str) -> User:
    """Return ``actor`` if it is a person who manages ``tenant``'s partners, else refuse."""
    person = acting_person(actor)
    if person is None or person.tenant_id != tenant.pk or not person.has_perm(CHANGE_PARTNERS):
        raise Forbidden(message)
    return person


def _notify(tenant: Tenant, subject: str, text: str) -> None:
    """Email ``tenant``'s Global admins, in the organization's language, once committed."""
    with override(tenant.preferred_language):
        global_admins_notify(
            tenant,
            subject,
            text,
            see=_("See the organization's partner relationships in the admin center: %(url)s")
            % {"url": f"{settings.PORTAL_BASE_URL}/settings/partners/"},
            kind="Partner relationship notice",
        )


def _audit_both(
    relationship: PartnerRelationship,
    action: str,
    *,
    actor: User | None,
    request: HttpRequest | None,
    new: dict | None = None,
) -> None:
    for tenant in (relationship.partner, relationship.customer):
        audit_record(
            action=action,
            tenant=tenant,
            actor=actor,
            request=request,
            target=relationship,
            target_label=f"{relationship.partner.name} \u2192 {relationship.customer.name}",
            new=new,
        )


# --- services -----------------------------------------------------------------------


def partner_request(
    *,
    actor: object,
    domain: str,
    roles: Iterable[str],
    days: int = DEFAULT_DAYS,
    request: HttpRequest | None = None,
) -> PartnerRelationship:
    """Ask the organization that verified ``domain`` for access with ``roles`` for ``days``.

    Raises ``Forbidden`` unless ``actor`` is a Global admin of a partner
    organization, ``ValidationError`` for an unknown or own domain, no or
    forbidden roles, ``days`` outside 1 to 730, or a request or relationship with
    that customer already open.
    """
    partner = getattr(actor, "tenant", None)
    person = _global_admin_of(
        actor, partner, _("Only a Global admin of a partner organization asks for access.")
    )
    if not partner.is_partner:
        raise Forbidden(_("Only a Global admin of a partner organization asks for access."))
    errors: dict[str, list[ValidationError]] = {}
    customer = None
    try:
        name = normalize_domain(domain)
    except ValidationError as error:
        errors["domain"] = error.error_list
    else:
        found = (
            Domain.objects.select_related("tenant")
            .filter(name=name, is_verified=True, tenant__status=Tenant.Status.ACTIVE)
            .first()
        )
        if found is None:
            errors["domain"] = [
                ValidationError(
                    _("No organization in the portal has verified %(domain)s."),
                    code="unknown_domain",
                    params={"domain": name},
                )
            ]
        elif found.tenant_id == partner.pk:
            errors["domain"] = [
                ValidationError(_("This is your own organization's domain."), code="own_domain")
            ]
        else:
            customer = found.tenant
    try:
        roles = _clean_roles(roles, grantable_roles())
    except ValidationError as error:
        errors["roles"] = error.error_list
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [
            ValidationError(
                _("Choose between 1 and %(max)d days.") % {"max": MAX_DAYS}, code="days"
            )
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            relationship = PartnerRelationship.objects.create(
                partner=partner,
                customer=customer,
                roles=roles,
                days=days,
                requested_by=person,
            )
    except IntegrityError:
        raise ValidationError(
            {
                "domain": [
                    ValidationError(
                        _("You already have an open request or relationship with %(name)s."),
                        code="open",
                        params={"name": customer.name},
                    )
                ]
            }
        ) from None
    _audit_both(
        relationship,
        "partner.request",
        actor=person,
        request=request,
        new={"roles": roles, "days": days},
    )
    with override(customer.preferred_language):
        _notify(
            customer,
            _("%(partner)s asks for access to your admin center") % {"partner": partner.name},
            _(
                "%(partner)s (asked by %(who)s) asks to act in your organization's admin "
                "center with these roles: %(roles)s, for %(days)d days. A Global admin "
                "approves or declines the request."
            )
            % {
                "partner": partner.name,
                "who": person.username,
                "roles": role_names(roles),
                "days": days,
            },
        )
    return relationship


def _locked(relationship: PartnerRelationship) -> PartnerRelationship:
    return (
        PartnerRelationship.objects.select_for_update()
        .select_related("partner", "customer")
        .get(pk=relationship.pk)
    )


def partner_decide(
    *,
    actor: object,
    relationship: PartnerRelationship,
    approve: bool,
    request: HttpRequest | None = None,
) -> PartnerRelationship:
    """Approve or decline a pending request, as the customer's Global admin.

    An approved relationship lasts the days asked for, from now. Raises
    ``Forbidden`` unless ``actor`` is the customer's Global admin and
    ``ValidationError`` unless the request is still waiting.
    """
    person = _global_admin_of(
        actor,
        relationship.customer,
        _("Only a Global admin of the customer approves or declines a request."),
    )
    with transaction.atomic():
        relationship = _locked(relationship)
        if relationship.status != Status.PENDING:
            raise ValidationError(_("This request is no longer waiting."), code="not_pending")
        now = timezone.now()
        relationship.decided_by = person
        relationship.decided_at = now
        if approve:
            relationship.status = Status.ACTIVE
            relationship.expires_at = now + timedelta(days=relationship.days)
        else:
            relationship.status = Status.DECLINED
        relationship.save(update_fields=["status", "decided_by", "decided_at", "expires_at"])
        _audit_both(
            relationship,
            "partner.approve" if approve else "partner.decline",
            actor=person,
            request=request,
            new={
                "roles": relationship.roles,
                "expires_at": relationship.expires_at.isoformat() if approve else None,
            },
        )
    partner = relationship.partner
    with override(partner.preferred_language):
        if approve:
            subject = _("%(customer)s approved your partner request") % {
                "customer": relationship.customer.name
            }
            text = _(
                "%(customer)s approved your request for these roles: %(roles)s, until "
                "%(expires)s. Choose which of your admins act in their admin center."
            ) % {
                "customer": relationship.customer.name,
                "roles": role_names(relationship.roles),
                "expires": relationship.expires_at.date().isoformat(),
            }
        else:
            subject = _("%(customer)s declined your partner request") % {
                "customer": relationship.customer.name
            }
            text = subject
        _notify(partner, subject, text)
    return relationship


def partner_withdraw(
    *, actor: object, relationship: PartnerRelationship, request: HttpRequest | None = None
) -> PartnerRelationship:
    """Withdraw a request still waiting, as the partner's Global admin."""
    person = _global_admin_of(
        actor, relationship.partner, _("Only a Global admin of the partner withdraws a request.")
    )
    with transaction.atomic():
        relationship = _locked(relationship)
        if relationship.status != Status.PENDING:
            raise ValidationError(_("This request is no longer waiting."), code="not_pending")
        relationship.status = Status.WITHDRAWN
        relationship.ended_at = timezone.now()
        relationship.ended_by = person
        relationship.save(update_fields=["status", "ended_at", "ended_by"])
        _audit_both(relationship, "partner.withdraw", actor=person, request=request)
    return relationship


def partner_end(
    *, actor: object, relationship: PartnerRelationship, request: HttpRequest | None = None
) -> PartnerRelationship:
    """End an active relationship, as a Global admin of either side.

    Whoever acts in it falls back to their own organization on their next request.
    """
    person = acting_person(actor)
    side = (
        relationship.customer
        if person is not None and person.tenant_id == relationship.customer_id
        else relationship.partner
    )
    person = _global_admin_of(
        actor, side, _("Only a Global admin of the customer or the partner ends a relationship.")
    )
    with transaction.atomic():
        relationship = _locked(relationship)
        if relationship.status != Status.ACTIVE:
            raise ValidationError(_("This relationship is not active."), code="not_active")
        _end(relationship, person, request=request)
    other = relationship.partner if side.pk == relationship.customer_id else relationship.customer
    with override(other.preferred_language):
        _notify(
            other,
            _("A partner relationship ended"),
            _(
                "%(who)s of %(side)s ended the partner relationship between %(partner)s and "
                "%(customer)s."
            )
            % {
                "who": person.username,
                "side": side.name,
                "partner": relationship.partner.name,
                "customer": relationship.customer.name,
            },
        )
    return relationship


def _end(
    relationship: PartnerRelationship,
    person: User | None,
    *,
    request: HttpRequest | None = None,
    action: str = "partner.end",
) -> None:
    relationship.status = Status.ENDED
    relationship.ended_at = timezone.now()
    relationship.ended_by = person
    relationship.save(update_fields=["status", "ended_at", "ended_by"])
    _audit_both(relationship, action, actor=person, request=request)


def partner_access_set(
    *,
    actor: object,
    relationship: PartnerRelationship,
    user: User,
    roles: Iterable[str],
    request: HttpRequest | None = None,
) -> PartnerAccess | None:
    """Let the partner's admin ``user`` act in the customer with ``roles`` (none: not at all).

    ``roles`` must be among the relationship's granted roles. Raises ``Forbidden``
    unless ``actor`` is the partner's Global admin, ``Http404`` for a ``user`` who
    is not one of the partner's admins, and ``ValidationError`` unless the
    relationship is in force and the roles were granted.
    """
    person = _global_admin_of(
        actor,
        relationship.partner,
        _("Only a Global admin of the partner decides who acts for a customer."),
    )
    if user.tenant_id != relationship.partner_id or not user.is_admin or user.deleted_at:
        raise Http404
    roles = list(roles)
    with transaction.atomic():
        relationship = _locked(relationship)
        if not relationship.is_in_force():
            raise ValidationError(_("This relationship is not active."), code="not_active")
        access = PartnerAccess.objects.filter(relationship=relationship, user=user).first()
        old = list(access.roles) if access else []
        if not roles:
            if access is None:
                return None
            access.delete()
            access = None
        else:
            try:
                roles = _clean_roles(roles, relationship.roles)
            except ValidationError as error:
                raise ValidationError({"roles": error.error_list}) from None
            if access is None:
                access = PartnerAccess.objects.create(
                    relationship=relationship, user=user, roles=roles, granted_by=person
                )
            else:
                access.roles = roles
                access.granted_by = person
                access.granted_at = timezone.now()
                access.save(update_fields=["roles", "granted_by", "granted_at"])
        for tenant in (relationship.partner, relationship.customer):
            audit_record(
                action="partner.access",
                tenant=tenant,
                actor=person,
                request=request,
                target=user,
                target_label=f"{user.username} \u2192 {relationship.customer.name}",
                old={"roles": old},
                new={"roles": roles},
            )
    return access


def partner_relationships_expire(now: datetime | None = None) -> tuple[int, int]:
    """End the relationships that expired and tell both sides of those that soon will.

    Returns (ended, reminded). Run nightly; safe to run again.
    """
    now = now or timezone.now()
    ended = 0
    expired = PartnerRelationship.objects.filter(status=Status.ACTIVE, expires_at__lte=now)
    for pk in expired.values_list("pk", flat=True):
        with transaction.atomic():
            relationship = _locked(PartnerRelationship(pk=pk))
            if relationship.status != Status.ACTIVE or relationship.expires_at > now:
                continue
            _end(relationship, None, action="partner.expire")
            ended += 1
    reminded = 0
    soon = PartnerRelationship.objects.filter(
        status=Status.ACTIVE,
        expires_at__gt=now,
        expires_at__lte=now + REMIND_BEFORE,
        reminded_at__isnull=True,
    ).select_related("partner", "customer")
    for relationship in soon:
        updated = PartnerRelationship.objects.filter(
            pk=relationship.pk, reminded_at__isnull=True
        ).update(reminded_at=now)
        if not updated:
            continue  # another worker told them
        for tenant in (relationship.partner, relationship.customer):
            with override(tenant.preferred_language):
                _notify(
                    tenant,
                    _("A partner relationship expires in a week"),
                    _(
                        "The partner relationship between %(partner)s and %(customer)s expires on "
                        "%(expires)s. The partner asks again to go on after that."
                    )
                    % {
                        "partner": relationship.partner.name,
                        "customer": relationship.customer.name,
                        "expires": relationship.expires_at.date().isoformat(),
                    },
                )
        reminded += 1
    return ended, reminded


# --- selectors ----------------------------------------------------------------------


def relationships_of(tenant: Tenant) -> QuerySet[PartnerRelationship]:
    """Return ``tenant``'s relationships as partner or customer, newest first."""
    return PartnerRelationship.objects.involving(tenant).select_related(
        "partner", "customer", "requested_by", "decided_by"
    )


def relationship_for(tenant: Tenant, pk: int) -> PartnerRelationship:
    """Return ``tenant``'s relationship ``pk``, or raise Http404 (another's looks missing)."""
    try:
        return relationships_of(tenant).get(pk=pk)
    except (PartnerRelationship.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def accesses_of(relationship: PartnerRelationship) -> QuerySet[PartnerAccess]:
    """Return who of the partner acts in ``relationship`` and with which roles."""
    return relationship.accesses.select_related("user").order_by("user__username")


def partner_admins(tenant: Tenant) -> QuerySet[User]:
    """Return ``tenant``'s people who hold a role: those a partner lets act for customers."""
    return (
        User.objects.for_tenant(tenant)
        .active()
        .filter(role_assignments__isnull=False)
        .distinct()
        .order_by("username")
    )


def partner_admin_for(tenant: Tenant, pk: int) -> User:
    """Return ``tenant``'s admin ``pk``, or raise Http404."""
    try:
        return partner_admins(tenant).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def accesses_in_force(user: User) -> list[PartnerAccess]:
    """Return the customers ``user`` may act in now (for the customer switcher)."""
    if not user.is_authenticated or user.tenant_id is None:
        return []
    return list(
        PartnerAccess.objects.filter(
            user=user,
            relationship__status=Status.ACTIVE,
            relationship__expires_at__gt=timezone.now(),
            relationship__customer__status=Tenant.Status.ACTIVE,
            relationship__partner=user.tenant_id,
        )
        .select_related("relationship__customer")
        .order_by("relationship__customer__name")
    )


def acting_access(user: User, relationship_id: object) -> PartnerAccess | None:
    """Return ``user``'s access in relationship ``relationship_id`` if in force now, else None."""
    try:
        relationship_id = int(relationship_id)
    except (TypeError, ValueError, OverflowError):
        return None
    try:
        return PartnerAccess.objects.select_related(
            "relationship__customer", "relationship__partner"
        ).get(
            user=user,
            relationship_id=relationship_id,
            relationship__status=Status.ACTIVE,
            relationship__expires_at__gt=timezone.now(),
            relationship__customer__status=Tenant.Status.ACTIVE,
            relationship__partner=user.tenant_id,
        )
    except ObjectDoesNotExist:
        return None


# --- acting ---------------------------------------------------------------------------


class PartnerActor:
    """A partner's admin acting in a customer's admin center with the roles granted to them.

    What the pages and services ask of an acting user: it belongs to the
    customer, holds only the roles both granted to the relationship and to this
    admin (never Global admin) and is nobody's account in the customer (``pk``
    is None), so the rank rules that stop a person acting on themselves never
    match it and no row of the customer points at a person of the partner.
    Audit events name the person and the partner (``audit_label``).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, person: User, access: PartnerAccess) -> None:
        relationship = access.relationship
        self.person = person
        self.access = access
        self.relationship = relationship
        self.partner = relationship.partner
        self.tenant = relationship.customer
        self.tenant_id = relationship.customer_id
        self.role_codes = frozenset(access.roles) & frozenset(relationship.roles) - {GLOBAL_ADMIN}

    @cached_property
    def _permissions(self) -> frozenset[str]:
        return frozenset(permissions_for_roles(self.role_codes))

    @property
    def page_cache_identity(self) -> str:
        return f"partner:{self.access.pk}:{','.join(sorted(self.role_codes))}"

    def get_all_permissions(self, obj: object = None) -> set[str]:
        return set(self._permissions) if obj is None else set()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return obj is None and perm in self._permissions

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return any(perm.startswith(app_label + ".") for perm in self._permissions)

    @property
    def is_admin(self) -> bool:
        return bool(self.role_codes)

    def is_verified(self) -> bool:
        return self.person.is_verified()

    @property
    def otp_device(self) -> object:
        return getattr(self.person, "otp_device", None)

    # The person's own: how they are named and spoken to.
    @property
    def username(self) -> str:
        return self.person.username

    def get_username(self) -> str:
        return self.person.username

    @property
    def display_name(self) -> str:
        return self.person.display_name

    @property
    def initials(self) -> str:
        return self.person.initials

    @property
    def preferred_language(self) -> str:
        return self.person.preferred_language

    @property
    def session_limits(self) -> tuple[int, int]:
        return self.person.session_limits

    @property
    def audit_label(self) -> str:
        return f"{self.person.username} ({self.partner.name})"

    def __str__(self) -> str:
        return self.audit_label
