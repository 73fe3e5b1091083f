"""Writes on security info. Each service audits itself and sends the notice."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import User, acting_person
from accounts.roles import GLOBAL_ADMIN, can_reset_password
from core.exceptions import Forbidden
from security_info import delivery, passkeys, validators
from security_info.models import (
    AltEmailDevice,
    BackupCode,
    BackupCodeDevice,
    CodeChannel,
    CodeCheck,
    PasskeyDevice,
    PhoneDevice,
    TemporaryPassDevice,
)
from security_info.notices import notify_security_change

MAX_AUTHENTICATOR_APPS = 5
MAX_PASSKEYS = 10
BACKUP_CODE_COUNT = 10


def _code_error(result: CodeCheck, method: CodeChannel) -> ValidationError:
    """Return the ValidationError for ``result``; refusals carry ``retry_after`` seconds."""
    if result == CodeCheck.THROTTLED:
        count = method.throttling_failure_count
        return ValidationError(
            ngettext(
                "You entered %(count)d wrong code. Wait a few seconds before the next try.",
                "You entered %(count)d wrong codes in a row. Wait a little before the next try.",
                count,
            ),
            code="throttled",
            params={"count": count, "retry_after": max(1, method.retry_after())},
        )
    messages = {
        CodeCheck.WRONG: (_("That code is not right. Check it and try again."), "wrong_code"),
        CodeCheck.EXPIRED: (_("That code has expired. Ask for a new one."), "expired_code"),
        CodeCheck.LAST_WRONG: (
            _(
                "That code is not right, and that was the last try for now. Wait 10 minutes, "
                "then ask for a new code."
            ),
            "blocked",
        ),
        CodeCheck.BLOCKED: (
            _("Too many wrong codes. Wait 10 minutes, then ask for a new code."),
            "blocked",
        ),
    }
    message, code = messages[result]
    if result == CodeCheck.BLOCKED:
        return ValidationError(
            message, code=code, params={"retry_after": max(1, method.retry_after())}
        )
    return ValidationError(message, code=code)


@dataclass(frozen=True)
class _Channel:
    """What differs between the phone and the alternate email."""

    model: type
    field: str
    kind: str  # audit action prefix: security_info.<kind>.*
    send: object
    mask: object


PHONE = _Channel(PhoneDevice, "number", "phone", delivery.send_phone_code, validators.mask_phone)
EMAIL = _Channel(AltEmailDevice, "email", "email", delivery.send_email_code, validators.mask_email)


def _manager(channel: _Channel) -> models.Manager[CodeChannel]:
    return channel.model.all_objects if channel is EMAIL else channel.model.objects


def verified_method(channel: _Channel, user: User) -> PhoneDevice | AltEmailDevice | None:
    """Return ``user``'s verified phone or alternate email (by ``channel``), if any."""
    return _manager(channel).filter(user=user, confirmed=True).first()


def pending_method(channel: _Channel, user: User) -> PhoneDevice | AltEmailDevice | None:
    """Return the phone or alternate email ``user`` has yet to verify with a code, if any."""
    return _manager(channel).filter(user=user, confirmed=False).first()


def _lock_user(user: User) -> None:
    """Hold ``user``'s row until the transaction ends, so their writes run one at a time.

    Without it, two parallel "send code" requests (a double click) each find no
    pending row and each make one: two codes, and the one typed may be checked
    against the other row. There is no pending row to lock yet, so lock the user.
    """
    # NO KEY UPDATE: blocks the same lock in another request, not the rows that
    # merely point at the user (audit events, devices).
    user_rows = get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk)
    list(user_rows.values_list("pk"))


@transaction.atomic
def _method_start(channel: _Channel, *, user: User, value: str) -> CodeChannel:
    """Put ``value`` up for verification and send it a code; nothing verified changes.

    Raise ValidationError when the value is the verified one already, and
    DeliveryError when no code may be sent (then the pending value is dropped); a
    gateway that fails is the outbox's to retry.
    """
    _lock_user(user)
    current = verified_method(channel, user)
    if current is not None and getattr(current, channel.field).lower() == value.lower():
        raise ValidationError(
            _("This is already your verified %(method)s.")
            % {"method": channel.model._meta.verbose_name},
            code="unchanged",
        )
    pending = _manager(channel).select_for_update().filter(user=user, confirmed=False).first()
    if pending is None:
        pending = channel.model(user=user, name=str(channel.model._meta.verbose_name))
    # The failure count stays with the pending row when the value changes: a new
    # value or a new code does not buy more guesses.
    setattr(pending, channel.field, value)
    pending.confirmed = False
    pending.save()
    # A DeliveryError rolls this back: nothing pending without a code on its way.
    channel.send(pending, purpose=delivery.Purpose.VERIFY)
    return pending


def _method_verify(
    channel: _Channel, *, user: User, code: str, request: HttpRequest | None = None
) -> CodeChannel:
    """Verify the pending value with ``code``; on success it replaces the old one."""
    with transaction.atomic():
        # The user first, then the method, in every service: no deadlocks.
        _lock_user(user)
        pending = _manager(channel).select_for_update().filter(user=user, confirmed=False).first()
        if pending is None:
            raise ValidationError(_("There is nothing waiting for a code."), code="no_pending")
        result = pending.check_code(code)
        if result != CodeCheck.OK:
            error = _code_error(result, pending)
        else:
            error = None
            old = verified_method(channel, user)
            old_value = getattr(old, channel.field) if old else ""
            was_default = old is not None and user.default_otp_device == old.persistent_id
            if old is not None:
                old.delete()
            new_value = getattr(pending, channel.field)
            pending.confirmed = True
            pending.verified_at = timezone.now()
            # The name is what the sign-in's second step offers to choose from.
            pending.name = (
                f"{channel.model._meta.verbose_name.capitalize()} {channel.mask(new_value)}"[:64]
            )
            pending.save()
            if was_default:
                # A changed phone stays the default sign-in method it was.
                user.default_otp_device = pending.persistent_id
                user.save(update_fields=["default_otp_device"])
            if channel is PHONE:
                _registered_sign_in_method(user)
            audit_record(
                action=f"security_info.{channel.kind}.{'change' if old else 'add'}",
                actor=user,
                request=request,
                target=user,
                old={channel.field: channel.mask(old_value)} if old else {},
                new={channel.field: channel.mask(new_value)},
            )
    # Outside the transaction: a failed count update must persist, and a notice
    # must not hold the row lock.
    if error is not None:
        raise error
    change = _("%(method)s set to %(value)s") % {
        "method": channel.model._meta.verbose_name.capitalize(),
        "value": channel.mask(new_value),
    }
    notify_security_change(user, change=change, also_to=[old_value] if channel is EMAIL else [])
    return pending


@transaction.atomic
def _method_delete(
    channel: _Channel,
    *,
    user: User,
    request: HttpRequest | None = None,
    acting_user: User | None = None,
) -> None:
    """Delete the verified value and any pending one."""
    _lock_user(user)
    current = verified_method(channel, user)
    deleted, _detail = _manager(channel).filter(user=user).delete()
    if not deleted:
        return
    old_value = getattr(current, channel.field) if current else ""
    audit_record(
        action=f"security_info.{channel.kind}.delete",
        tenant=user.tenant,
        actor=acting_user or user,
        request=request,
        target=user,
        old={channel.field: channel.mask(old_value)} if current else {},
    )
    if current is not None:
        if str(user.default_otp_device) == current.persistent_id:
            user.default_otp_device = ""
            user.save(update_fields=["default_otp_device"])
        change = _("%(method)s %(value)s removed") % {
            "method": channel.model._meta.verbose_name.capitalize(),
            "value": channel.mask(old_value),
        }
        transaction.on_commit(
            lambda: notify_security_change(
                user, change=change, also_to=[old_value] if channel is EMAIL else []
            )
        )


def _registered_sign_in_method(user: User) -> None:
    """A new sign-in method fulfils an admin's demand to register again."""
    if user.must_register_methods:
        user.must_register_methods = False
        user.save(update_fields=["must_register_methods"])


def phone_method_start(*, user: User, raw_number: str) -> PhoneDevice:
    """Put a new mobile phone number up for verification and text it a code."""
    number = validators.parse_mobile_number(raw_number, region=user.tenant.country.code)
    return _method_start(PHONE, user=user, value=number)


def phone_method_resend(*, user: User) -> PhoneDevice:
    """Text the pending phone number a new code."""
    return _resend(PHONE, user=user)


def phone_method_verify(
    *, user: User, code: str, request: HttpRequest | None = None
) -> PhoneDevice:
    """Verify the pending phone number with ``code``; it replaces the old one."""
    return _method_verify(PHONE, user=user, code=code, request=request)


def phone_method_delete(
    *, user: User, request: HttpRequest | None = None, acting_user: User | None = None
) -> None:
    """Remove ``user``'s phone number, verified or pending."""
    _method_delete(PHONE, user=user, request=request, acting_user=acting_user)


def email_method_start(*, user: User, raw_email: str) -> AltEmailDevice:
    """Put a new alternate email up for verification and send it a code."""
    domains = list(user.tenant.domain_set.values_list("name", flat=True))
    email = validators.normalize_alternate_email(
        raw_email, tenant_domains=domains, sign_in_name=user.username
    )
    return _method_start(EMAIL, user=user, value=email)


def email_method_resend(*, user: User) -> AltEmailDevice:
    """Send the pending alternate email a new code."""
    return _resend(EMAIL, user=user)


def email_method_verify(
    *, user: User, code: str, request: HttpRequest | None = None
) -> AltEmailDevice:
    """Verify the pending alternate email with ``code``; it replaces the old one."""
    return _method_verify(EMAIL, user=user, code=code, request=request)


def email_method_delete(
    *, user: User, request: HttpRequest | None = None, acting_user: User | None = None
) -> None:
    """Remove ``user``'s alternate email, verified or pending."""
    _method_delete(EMAIL, user=user, request=request, acting_user=acting_user)


def _resend(channel: _Channel, *, user: User) -> CodeChannel:
    with transaction.atomic():
        pending = _manager(channel).select_for_update().filter(user=user, confirmed=False).first()
        if pending is None:
            raise ValidationError(_("There is nothing waiting for a code."), code="no_pending")
        channel.send(pending, purpose=delivery.Purpose.VERIFY)
    return pending


@transaction.atomic
def authenticator_start(*, user: User) -> TOTPDevice:
    """Begin adding an authenticator app: a new unconfirmed TOTP key."""
    _lock_user(user)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    if confirmed >= MAX_AUTHENTICATOR_APPS:
        raise ValidationError(
            _("You can have at most %(max)d authenticator apps. Delete one first."),
            code="too_many",
            params={"max": MAX_AUTHENTICATOR_APPS},
        )
    # Reuse the key being set up, so a reload or a wrong code keeps the scanned QR valid.
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def authenticator_confirm(
    *, user: User, device_id: int, code: str, name: str = "", request: HttpRequest | None = None
) -> TOTPDevice:
    """Confirm the pending authenticator app with a code from it."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, pk=device_id, confirmed=False)
            .first()
        )
        if device is None:
            raise ValidationError(
                _("This setup has expired. Start adding the app again."), code="no_pending"
            )
        if not device.verify_token("".join((code or "").split())):
            ok = False
        else:
            ok = True
            device.confirmed = True
            device.name = (name or "").strip()[:64] or str(_("Authenticator app"))
            device.save()
            _registered_sign_in_method(user)
            audit_record(
                action="security_info.app.add",
                actor=user,
                request=request,
                target=user,
                new={"app": device.name},
            )
    if not ok:
        raise ValidationError(
            _("That code is not right. Enter the 6-digit code the app shows now."),
            code="wrong_code",
        )
    notify_security_change(
        user, change=_("Authenticator app %(name)s added") % {"name": device.name}
    )
    return device


def authenticator_delete(
    *,
    user: User,
    device: TOTPDevice,
    request: HttpRequest | None = None,
    acting_user: User | None = None,
) -> None:
    """Remove ``user``'s authenticator app ``device``."""
    _device_delete(
        user=user,
        device=device,
        action="security_info.app.delete",
        label="app",
        change=_("Authenticator app %(name)s removed"),
        request=request,
        acting_user=acting_user,
    )


@transaction.atomic
def _device_delete(
    *,
    user: User,
    device: Device,
    action: str,
    label: str,
    change: str,
    request: HttpRequest | None,
    acting_user: User | None,
) -> None:
    """Delete ``user``'s named method ``device``; audit it as ``action`` and send the notice.

    ``change`` is the notice's text, with ``%(name)s`` for the device's name.
    """
    _lock_user(user)
    name = device.name
    was_default = user.default_otp_device == device.persistent_id
    device.delete()
    if was_default:
        user.default_otp_device = ""
        user.save(update_fields=["default_otp_device"])
    audit_record(
        action=action,
        tenant=user.tenant,
        actor=acting_user or user,
        request=request,
        target=user,
        old={label: name},
    )
    transaction.on_commit(lambda: notify_security_change(user, change=change % {"name": name}))


def _new_backup_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, shown as xxxxx-xxxxx
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def backup_codes_generate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's backup codes with 10 new ones; return them (shown once)."""
    replaced = BackupCodeDevice.objects.filter(user=user).delete()[0] > 0
    device = BackupCodeDevice.objects.create(user=user, name=_("Backup codes"), confirmed=True)
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=BackupCode.hash(code)) for code in codes
    )
    audit_record(
        action="security_info.backup_codes.generate",
        actor=user,
        request=request,
        target=user,
        new={"replaced_previous": replaced},
    )
    transaction.on_commit(
        lambda: notify_security_change(user, change=_("New backup codes were created"))
    )
    return codes


@transaction.atomic
def default_method_set(*, user: User, device: Device, request: HttpRequest | None = None) -> None:
    """Make ``device`` the method ``user`` is asked for first at sign-in."""
    old = user.default_otp_device
    if old == device.persistent_id:
        return  # nothing changed: no audit event, no notice
    user.default_otp_device = device.persistent_id
    user.save(update_fields=["default_otp_device"])
    audit_record(
        action="security_info.default.change",
        actor=user,
        request=request,
        target=user,
        old={"default": old},
        new={"default": device.persistent_id},
    )
    transaction.on_commit(
        lambda: notify_security_change(
            user,
            change=_("Default sign-in method set to %(method)s") % {"method": device.name},
        )
    )


def passkey_add(*, user: User, name: str, credential: str, request: HttpRequest) -> PasskeyDevice:
    """Register the passkey the browser made for ``user`` (``credential``, its JSON answer).

    ``request`` carries the ceremony's challenge in its session. Raise
    ValidationError when the answer does not check out, or the user has the
    most passkeys allowed.
    """
    with transaction.atomic():
        _lock_user(user)
        if PasskeyDevice.objects.filter(user=user).count() >= MAX_PASSKEYS:
            raise ValidationError(
                _("You can have at most %(max)d passkeys. Delete one first."),
                code="too_many",
                params={"max": MAX_PASSKEYS},
            )
        try:
            fields = passkeys.registration_verify(request, user, credential)
        except passkeys.PasskeyError as error:
            raise ValidationError(error.message, code=error.code) from None
        if PasskeyDevice.objects.filter(credential_key=fields["credential_key"]).exists():
            raise ValidationError(_("This passkey is registered already."), code="duplicate")
        device = PasskeyDevice(user=user, name=name.strip()[:64], confirmed=True, **fields)
        device.full_clean()
        device.save()
        _registered_sign_in_method(user)
        audit_record(
            action="security_info.passkey.add",
            actor=user,
            request=request,
            target=user,
            new={"passkey": device.name, "discoverable": device.discoverable},
        )
    notify_security_change(
        user, change=_("Passkey or security key %(name)s added") % {"name": device.name}
    )
    return device


@transaction.atomic
def passkey_rename(
    *, user: User, device: PasskeyDevice, name: str, request: HttpRequest | None = None
) -> PasskeyDevice:
    """Give ``user``'s passkey ``device`` a new name."""
    name = name.strip()[:64]
    if not name:
        raise ValidationError(_("Enter a name."), code="required")
    old = device.name
    if old == name:
        return device
    device.name = name
    device.save(update_fields=["name"])
    audit_record(
        action="security_info.passkey.rename",
        actor=user,
        request=request,
        target=user,
        old={"passkey": old},
        new={"passkey": name},
    )
    return device


def passkey_delete(
    *,
    user: User,
    device: PasskeyDevice,
    request: HttpRequest | None = None,
    acting_user: User | None = None,
) -> None:
    """Remove ``user``'s passkey ``device``; it no longer signs anyone in."""
    _device_delete(
        user=user,
        device=device,
        action="security_info.passkey.delete",
        label="passkey",
        change=_("Passkey or security key %(name)s removed"),
        request=request,
        acting_user=acting_user,
    )


def passkey_step_up(*, user: User, device: PasskeyDevice, request: HttpRequest) -> None:
    """Verify ``request``'s session with ``user``'s passkey ``device``, as the policy asks."""
    otp_login(request, device)
    audit_record(
        action="signin.step_up",
        actor=user,
        request=request,
        target=user,
        new={"passkey": device.name},
    )


# What an admin who may reset a user's password may remove from that user.
ADMIN_REMOVABLE = ("phone", "email", "apps", "passkeys", "backup_codes")


@transaction.atomic
def method_remove_by_admin(
    *, user: User, method: str, acting_user: User, request: HttpRequest | None = None
) -> None:
    """Remove one of ``user``'s methods on behalf of an admin.

    Raise Forbidden unless ``acting_user`` may reset ``user``'s password.
    """
    if not can_reset_password(acting_user, user):
        raise Forbidden(_("You may not change this user's methods."))
    if method == "phone":
        _method_delete(PHONE, user=user, request=request, acting_user=acting_user)
    elif method == "email":
        _method_delete(EMAIL, user=user, request=request, acting_user=acting_user)
    elif method == "apps":
        for device in TOTPDevice.objects.filter(user=user):
            authenticator_delete(user=user, device=device, request=request, acting_user=acting_user)
    elif method == "passkeys":
        for device in PasskeyDevice.objects.filter(user=user):
            passkey_delete(user=user, device=device, request=request, acting_user=acting_user)
    elif method == "backup_codes":
        if BackupCodeDevice.objects.filter(user=user).delete()[0]:
            audit_record(
                action="security_info.backup_codes.delete",
                tenant=user.tenant,
                actor=acting_user,
                request=request,
                target=user,
            )
    else:
        raise ValidationError(_("Unknown method."), code="unknown_method")


@transaction.atomic
def reregistration_require(
    *, user: User, acting_user: User, request: HttpRequest | None = None
) -> None:
    """Remove all of ``user``'s methods; they register again at their next sign-in."""
    for method in ADMIN_REMOVABLE:
        method_remove_by_admin(user=user, method=method, acting_user=acting_user, request=request)
    user.must_register_methods = True
    user.save(update_fields=["must_register_methods"])
    audit_record(
        action="security_info.reregistration.require",
        tenant=user.tenant,
        actor=acting_user,
        request=request,
        target=user,
        new={"must_register_methods": True},
    )


TEMPORARY_PASS_HOURS = range(1, 9)


@transaction.atomic
def temporary_pass_issue(
    *, user: User, acting_user: User, hours: int, request: HttpRequest | None = None
) -> str:
    """Issue a one-time pass for ``user`` valid for ``hours``; return it (shown once).

    Whoever may reset the user's password may issue one, but only a Global admin
    issues one to an admin; raise Forbidden for anyone else. A new pass replaces
    any earlier one.
    """
    if not can_reset_password(acting_user, user) or (
        user.is_admin and GLOBAL_ADMIN not in acting_user.role_codes
    ):
        raise Forbidden(_("You may not issue a temporary access pass to this user."))
    if hours not in TEMPORARY_PASS_HOURS:
        raise ValidationError(_("A pass is valid for 1 to 8 hours."), code="invalid_hours")
    TemporaryPassDevice.objects.filter(user=user).delete()
    token = "-".join(secrets.token_hex(2) for _ in range(4))  # 64 bits, e.g. 1a2b-3c4d-...
    device = TemporaryPassDevice.objects.create(
        user=user,
        name=_("Temporary access pass"),
        confirmed=True,
        pass_hash=TemporaryPassDevice.hash(token),
        valid_until=timezone.now() + timedelta(hours=hours),
        issued_by=acting_person(acting_user),
    )
    audit_record(
        action="security_info.temporary_pass.issue",
        tenant=user.tenant,
        actor=acting_user,
        request=request,
        target=user,
        new={"valid_until": device.valid_until.isoformat()},
    )
    transaction.on_commit(
        lambda: notify_security_change(
            user,
            change=_("A temporary access pass was issued, valid for %(hours)d hours")
            % {"hours": hours},
        )
    )
    return token


def temporary_passes_expire(*, now: datetime | None = None) -> int:
    """Delete the passes whose time is up; record each one that was never used.

    Return the number of unused passes that expired. Meant to run at least daily
    (``manage.py expire_temporary_passes``); an expired pass is refused at sign-in
    whether or not this has run.
    """
    now = now or timezone.now()
    due = TemporaryPassDevice.objects.filter(valid_until__lte=now).select_related("user__tenant")
    expired = 0
    # At most one pass per user exists, so this loop is bounded by recent issues.
    for device in due.iterator():
        with transaction.atomic():
            deleted, _counts = TemporaryPassDevice.objects.filter(pk=device.pk).delete()
            if deleted and device.used_at is None:
                audit_record(
                    action="security_info.temporary_pass.expire",
                    tenant=device.user.tenant,
                    target=device.user,
                    old={"valid_until": device.valid_until.isoformat()},
                )
                expired += 1
    return expired
