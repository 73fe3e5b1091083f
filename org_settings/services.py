"""Changes to the organization's settings; each one is audited with old and new values."""

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Domain, Tenant, User
from accounts.roles import CHANGE_DOMAINS, CHANGE_TENANT
from core.exceptions import Forbidden
from groups.selectors import groups_on_domain
from org_settings import dns

SECURITY_FIELDS = (
    "require_mfa_for_admins",
    "require_phishing_resistant_for_admins",
    "reset_gates_for_users",
    "password_expiry_days",
    "session_idle_minutes",
    "session_max_hours",
)


@transaction.atomic
def tenant_security_update(
    *,
    tenant: Tenant,
    acting_user: User,
    require_mfa_for_admins: bool,
    reset_gates_for_users: int,
    password_expiry_days: int | None,
    session_idle_minutes: int | None = None,
    session_max_hours: int | None = None,
    require_phishing_resistant_for_admins: bool = False,
    request: HttpRequest | None = None,
) -> list[str]:
    """Set the organization's sign-in and recovery policy; return the changed fields.

    ``password_expiry_days`` is None for passwords that never expire. Nothing is
    written, and no event recorded, when nothing changes.
    """
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    new = {
        "require_mfa_for_admins": require_mfa_for_admins,
        "require_phishing_resistant_for_admins": require_phishing_resistant_for_admins,
        "reset_gates_for_users": reset_gates_for_users,
        "password_expiry_days": password_expiry_days,
        "session_idle_minutes": session_idle_minutes,
        "session_max_hours": session_max_hours,
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


# --- Org profile -------------------------------------------------------------------

PROFILE_FIELDS = (
    "name",
    "address",
    "phone",
    "technical_contact_email",
    "preferred_language",
    "time_zone",
)


@transaction.atomic
def tenant_profile_update(
    *, tenant: Tenant, acting_user: User, request: HttpRequest | None = None, **changes: object
) -> list[str]:
    """Change the organization's profile; the country is fixed after creation."""
    if set(changes) - set(PROFILE_FIELDS):
        raise TypeError(f"not profile fields: {sorted(set(changes) - set(PROFILE_FIELDS))}")
    _require_change(acting_user, tenant)
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if not changed:
        return []
    old = {name: getattr(locked, name) for name in changed}
    for name in changed:
        setattr(locked, name, changes[name])
    locked.full_clean()
    locked.save(update_fields=changed)
    for name in changed:
        setattr(tenant, name, changes[name])
    audit_record(
        action="tenant.profile.change",
        tenant=locked,
        actor=acting_user,
        request=request,
        target=locked,
        old=old,
        new={name: changes[name] for name in changed},
    )
    return changed


def _require_change(acting_user: User, tenant: Tenant) -> None:
    if not (acting_user.has_perm(CHANGE_TENANT) or acting_user.has_perm(CHANGE_DOMAINS)):
        raise Forbidden(_("You can't change the organization's settings."))
    if acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't change the organization's settings."))


# --- Domains -------------------------------------------------------------------------

VERIFY_PREFIX = "portal-verify="


@transaction.atomic
def domain_add(
    *, tenant: Tenant, acting_user: User, name: str, request: HttpRequest | None = None
) -> Domain:
    """Add ``name`` to the organization, unverified, with a token to publish; return it."""
    _require_change(acting_user, tenant)
    domain = Domain(tenant=tenant, name=name, verification_token=secrets.token_urlsafe(18))
    domain.full_clean()
    domain.save()
    audit_record(
        action="domain.add", tenant=tenant, actor=acting_user, request=request, target=domain
    )
    return domain


def domain_record(domain: Domain) -> str:
    """Return the TXT record value the organization must publish for ``domain``."""
    return f"{VERIFY_PREFIX}{domain.verification_token}"


def _check(domain: Domain) -> str | None:
    """Return None when the record is published, else the reason (a message)."""
    try:
        records = dns.txt_records(domain.name)
    except dns.LookupFailed:
        return _(
            "The name servers of %(domain)s did not answer in time. Try again in a few minutes."
        ) % {"domain": domain.name}
    if domain_record(domain) in records:
        return None
    if any(record.startswith(VERIFY_PREFIX) for record in records):
        return _(
            "%(domain)s has a portal-verify record, but not this one. Check that you copied "
            "the whole value."
        ) % {"domain": domain.name}
    return _(
        "No portal-verify TXT record was found on %(domain)s. Changes to DNS can take up to "
        "an hour to show; try again later."
    ) % {"domain": domain.name}


@transaction.atomic
def domain_verify(
    *, tenant: Tenant, acting_user: User, domain: Domain, request: HttpRequest | None = None
) -> None:
    """Look up the domain's TXT record; mark it verified when the token is there."""
    _require_change(acting_user, tenant)
    problem = _check(domain)
    now = timezone.now()
    Domain.objects.filter(pk=domain.pk).update(checked_at=now)
    if problem:
        raise ValidationError(problem, code="not_verified")
    domain.is_verified, domain.verified_at, domain.record_missing = True, now, False
    domain.save(update_fields=["is_verified", "verified_at", "record_missing"])
    audit_record(
        action="domain.verify", tenant=tenant, actor=acting_user, request=request, target=domain
    )


@transaction.atomic
def domain_set_default(
    *, tenant: Tenant, acting_user: User, domain: Domain, request: HttpRequest | None = None
) -> None:
    """Make the verified ``domain`` the organization's default for new addresses."""
    _require_change(acting_user, tenant)
    if not domain.is_verified:
        raise ValidationError(
            _("Verify the domain before you make it the default."), code="unverified"
        )
    Domain.objects.for_tenant(tenant).filter(is_default=True).update(is_default=False)
    Domain.objects.filter(pk=domain.pk).update(is_default=True)
    domain.is_default = True
    audit_record(
        action="domain.default", tenant=tenant, actor=acting_user, request=request, target=domain
    )


def domain_usage(domain: Domain) -> tuple[int, int]:
    """Return how many users and groups use ``domain`` in their addresses."""
    users = User.objects.filter(username__endswith=f"@{domain.name}").count()
    return users, groups_on_domain(domain.name)


@transaction.atomic
def domain_remove(
    *, tenant: Tenant, acting_user: User, domain: Domain, request: HttpRequest | None = None
) -> None:
    """Remove a domain nobody uses; the initial and the default domain stay."""
    _require_change(acting_user, tenant)
    if domain.is_initial or domain.is_default:
        raise ValidationError(
            _("The initial and the default domain can't be removed."), code="protected"
        )
    users, groups = domain_usage(domain)
    if users or groups:
        raise ValidationError(
            _(
                "%(domain)s is in use by %(users)d users and %(groups)d groups. Change their "
                "addresses first."
            ),
            code="in_use",
            params={"domain": domain.name, "users": users, "groups": groups},
        )
    name = domain.name
    domain.delete()
    audit_record(
        action="domain.remove",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target_type="accounts.domain",
        target_label=name,
    )


def domains_recheck() -> int:
    """Look up every verified, non-initial domain again; flag those whose record is gone.

    Return how many were flagged now. A lookup that times out changes nothing.
    """
    flagged = 0
    for domain in Domain.objects.filter(is_verified=True, is_initial=False).select_related(
        "tenant"
    ):
        try:
            present = domain_record(domain) in dns.txt_records(domain.name)
        except dns.LookupFailed:
            continue
        Domain.objects.filter(pk=domain.pk).update(
            checked_at=timezone.now(), record_missing=not present
        )
        if not present and not domain.record_missing:
            flagged += 1
            audit_record(action="domain.record_missing", tenant=domain.tenant, target=domain)
    return flagged


# --- Release preferences ---------------------------------------------------------------


@transaction.atomic
def release_preferences_set(
    *,
    tenant: Tenant,
    acting_user: User,
    track: str,
    early_users: Iterable[User] = (),
    request: HttpRequest | None = None,
) -> None:
    """Choose who gets early releases: nobody, everyone, or ``early_users``."""
    _require_change(acting_user, tenant)
    if track not in ("standard", "early_all", "early_selected"):
        raise ValidationError(_("Choose a release preference."), code="track")
    users = list(early_users) if track == "early_selected" else []
    if any(user.tenant_id != tenant.pk or user.deleted_at is not None for user in users):
        raise ValidationError(_("Choose active users of your organization."), code="foreign_user")
    old_track = tenant.release_track
    old_users = sorted(
        User.objects.for_tenant(tenant)
        .filter(early_release=True)
        .values_list("username", flat=True)
    )
    Tenant.objects.filter(pk=tenant.pk).update(release_track=track)
    tenant.release_track = track
    User.objects.for_tenant(tenant).filter(early_release=True).update(early_release=False)
    User.objects.filter(pk__in=[user.pk for user in users]).update(early_release=True)
    audit_record(
        action="tenant.release.change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=tenant,
        old={"track": old_track, "users": old_users},
        new={"track": track, "users": sorted(user.username for user in users)},
    )
