"""Reads on security info: what a user has, and what is missing."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RoleAssignment, Tenant, User
from core.prepared import PreparedQuery, count_of
from security_info.models import (
    AltEmailDevice,
    BackupCode,
    BackupCodeDevice,
    PasskeyDevice,
    PhoneDevice,
)

# How numbers and alternate addresses are read and shown, for the areas that
# take them in (the users import) or show them (a user's contact information):
# the same rules as the security info pages, through this module.
from security_info.validators import (  # noqa: F401 - part of this module's interface
    format_phone_international,
    mask_email,
    mask_phone,
    normalize_alternate_email,
    parse_mobile_number,
)


def backup_code_device(*, user: User) -> BackupCodeDevice | None:
    """Return ``user``'s backup codes (one device holds them all), if any."""
    return BackupCodeDevice.objects.filter(user=user).first()


def sign_in_methods(*, user: User) -> list[Device]:
    """Return the user's confirmed sign-in factors (email is never one)."""
    return list(devices_for_user(user, confirmed=True))


def sign_in_method(*, user: User, persistent_id: str) -> Device | None:
    """Return the user's confirmed sign-in factor with ``persistent_id``, or None."""
    for device in sign_in_methods(user=user):
        if device.persistent_id == persistent_id:
            return device
    return None


def security_info_overview(*, user: User) -> dict[str, Any]:
    """Return everything the Security info page shows about ``user``."""
    phones = {d.confirmed: d for d in PhoneDevice.objects.filter(user=user)}
    emails = {d.confirmed: d for d in AltEmailDevice.all_objects.filter(user=user)}
    backup = backup_code_device(user=user)
    methods = sign_in_methods(user=user)
    # Apps and passkeys are among the sign-in methods already: no query of their own.
    apps = sorted((m for m in methods if isinstance(m, TOTPDevice)), key=lambda m: m.pk)
    passkeys = sorted(
        (m for m in methods if isinstance(m, PasskeyDevice)), key=lambda m: (m.created_at, m.pk)
    )
    default = user.default_otp_device
    if methods and default not in {m.persistent_id for m in methods}:
        default = methods[0].persistent_id
    is_admin = bool(user.tenant_id) and user.is_admin
    missing_for_reset = []
    if is_admin:
        if True not in phones:
            missing_for_reset.append("phone")
        if True not in emails:
            missing_for_reset.append("email")
    return {
        "phone": phones.get(True),
        "phone_pending": phones.get(False),
        "alt_email": emails.get(True),
        "alt_email_pending": emails.get(False),
        "apps": apps,
        "passkeys": passkeys,
        "backup": backup,
        "backup_remaining": backup.remaining if backup else 0,
        "sign_in_methods": methods,
        "default_method": default,
        "is_admin": is_admin,
        "missing_for_reset": missing_for_reset,
        "mfa_required": bool(is_admin and user.tenant.require_mfa_for_admins and not methods),
    }


def passkeys_of(*, user: User) -> list[PasskeyDevice]:
    """Return ``user``'s passkeys, oldest first."""
    return list(
        PasskeyDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
    )


def _first(queryset: QuerySet, field: str) -> Subquery:
    """The ``field`` of the first row of ``queryset`` for the outer user, as a subquery."""
    return Subquery(queryset.filter(user=OuterRef("pk")).order_by("pk").values(field)[:1])


def method_columns() -> dict[str, Any]:
    """Return the columns that read a user's methods with the user, for ``values()``.

    They go on any queryset of users: one person (a user's page) or many in one
    query (Setup's admin access). ``methods_masked`` and the checks below read a
    row of them.
    """
    return {
        "phone": _first(PhoneDevice.objects.filter(confirmed=True), "number"),
        "email": _first(AltEmailDevice.all_objects.filter(confirmed=True), "email"),
        "apps": count_of(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        "keys": count_of(PasskeyDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        "backup": _first(BackupCodeDevice.objects.all(), "pk"),
        "backup_left": count_of(
            BackupCode.objects.filter(device__user=OuterRef("pk"), used_at__isnull=True)
        ),
    }


def methods_masked(found: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the methods of a row read with ``method_columns``, masked, as admins see them.

    Each entry says whether there is something to remove.
    """
    phone, email, apps, keys = found["phone"], found["email"], found["apps"], found["keys"]
    has_backup = found["backup"] is not None
    return [
        {
            "key": "phone",
            "label": _("Mobile phone"),
            "detail": mask_phone(phone) if phone else "",
            "present": phone is not None,
        },
        {
            "key": "email",
            "label": _("Alternate email"),
            "detail": mask_email(email) if email else "",
            "present": email is not None,
        },
        {
            "key": "apps",
            "label": _("Authenticator apps"),
            "detail": str(apps) if apps else "",
            "present": bool(apps),
        },
        {
            "key": "passkeys",
            "label": _("Passkeys and security keys"),
            "detail": str(keys) if keys else "",
            "present": bool(keys),
        },
        {
            "key": "backup_codes",
            "label": _("Backup codes"),
            "detail": _("%(left)d left") % {"left": found["backup_left"]} if has_backup else "",
            "present": has_backup,
        },
    ]


def reset_methods(found: dict[str, Any]) -> int:
    """Return how many different gates of a self-service reset a row's methods open.

    The gates of ``security_info.reset``: the alternate email, the mobile phone
    and an authenticator app (passkeys and backup codes are none).
    """
    return (found["phone"] is not None) + (found["email"] is not None) + bool(found["apps"])


def admin_can_reset_own_password(found: dict[str, Any]) -> bool:
    """Return whether an admin with a row's methods can reset their own password.

    Admins always pass two gates (``security_info.reset.gates_needed``), as
    ``registration_figures`` counts them.
    """
    return reset_methods(found) >= 2


def has_second_factor(found: dict[str, Any]) -> bool:
    """Return whether a row's methods include a second sign-in factor of its own.

    A mobile phone, an authenticator app or a passkey; backup codes are a way
    back in, not a method.
    """
    return found["phone"] is not None or bool(found["apps"]) or bool(found["keys"])


def has_phishing_resistant_method(found: dict[str, Any]) -> bool:
    """Return whether a row's methods include a passkey or security key."""
    return bool(found["keys"])


def methods_for_admin(*, user: User) -> list[dict[str, Any]]:
    """Return ``user``'s methods as an admin who may reset their password sees them.

    Values are masked; each entry says whether there is something to remove. One
    query for all five methods.
    """
    return methods_masked(_METHODS(user=user.pk)[0])


_METHODS = PreparedQuery(
    lambda user: User.objects.filter(pk=user).values(**method_columns()),
    user=int,
)


def user_ids_by_alternate_email(
    *, tenant: Tenant, text: str, prefix: bool = False, limit: int = 500
) -> list[int]:
    """Return ids of ``tenant``'s users whose verified alternate email holds ``text``.

    ``text`` is matched lower-cased, at the start with ``prefix``, anywhere
    otherwise. At most ``limit`` ids: a search box, not an export.
    """
    lookup = "email_lower__startswith" if prefix else "email_lower__contains"
    return list(
        AltEmailDevice.all_objects.filter(user__tenant=tenant, confirmed=True)
        .alias(email_lower=Lower("email"))
        .filter(**{lookup: text.lower()})
        .values_list("user_id", flat=True)[:limit]
    )


def verified_contact(*, user: User) -> tuple[str, str]:
    """Return ``(phone in E.164 or "", alternate email or "")`` from ``user``'s verified methods.

    A party acting with roles that is no person of the organization (a partner's
    admin) has none here.
    """
    if not isinstance(user, User):
        return ("", "")
    phone = PhoneDevice.objects.filter(user=user, confirmed=True).first()
    email = AltEmailDevice.all_objects.filter(user=user, confirmed=True).first()
    return (phone.number if phone else "", email.email if email else "")


def _with_reset_methods(users: QuerySet[User]) -> QuerySet[User]:
    """Return ``users`` with what a self-service reset looks at, as aliases to filter on."""
    return users.alias(
        is_admin=Exists(RoleAssignment.objects.filter(user=OuterRef("pk"))),
        has_phone=Exists(PhoneDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        has_email=Exists(AltEmailDevice.all_objects.filter(user=OuterRef("pk"), confirmed=True)),
        has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    )


def _can_reset(needed: int) -> Q:
    """Return the condition on ``_with_reset_methods`` for ``needed`` different methods."""
    if needed == 2:
        return (
            Q(has_phone=True, has_email=True)
            | Q(has_phone=True, has_app=True)
            | Q(has_email=True, has_app=True)
        )
    return Q(has_phone=True) | Q(has_email=True) | Q(has_app=True)


def users_who_can_reset(*, tenant: Tenant) -> QuerySet[User]:
    """Return ``tenant``'s users (not deleted) who can reset their own password.

    Admins pass two gates, everyone else the organization's number
    (``security_info.reset.gates_needed``), as ``registration_figures`` counts them.
    """
    users = _with_reset_methods(User.objects.for_tenant(tenant).active())
    return users.filter(
        Q(is_admin=True) & _can_reset(2)
        | Q(is_admin=False) & _can_reset(tenant.reset_gates_for_users)
    )


def registration_figures(*, tenant: Tenant) -> list[tuple[str, dict[str, int]]]:
    """Return rows (who, with phone, with alternate email, with app, can't reset alone)."""
    users = _with_reset_methods(User.objects.for_tenant(tenant).active())
    gates = tenant.reset_gates_for_users
    rows = []
    for label, group, needed in ((gettext("Admins"), True, 2), (gettext("Users"), False, gates)):
        figures = users.filter(is_admin=group).aggregate(
            total=Count("pk"),
            phone=Count("pk", filter=Q(has_phone=True)),
            email=Count("pk", filter=Q(has_email=True)),
            app=Count("pk", filter=Q(has_app=True)),
            stuck=Count("pk", filter=~_can_reset(needed)),
        )
        rows.append((label, figures))
    return rows
