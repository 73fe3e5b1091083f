"""Security info methods, each a django-otp device of the user.

- ``PhoneDevice``: a mobile number verified by SMS code; a sign-in factor.
- ``AltEmailDevice``: an alternate email verified by email code; for recovery and
  notices only, never a sign-in factor (NIST SP 800-63B-4 forbids email as an
  out-of-band authenticator).
- Authenticator apps are django-otp's own ``TOTPDevice``.
- ``BackupCodeDevice``: ten single-use codes, stored as keyed hashes.

A method being added or changed is an unconfirmed row; it becomes confirmed (and
replaces the old one) only when the right code is entered.
"""

import hmac
import math
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import (
    Device,
    DeviceManager,
    SideChannelDevice,
    ThrottlingMixin,
    TimestampMixin,
)

from accounts.audit import audit_record
from security_info.validators import format_phone_international, mask_phone

CODE_VALID_SECONDS = 10 * 60
MAX_WRONG_CODES = 5


class CodeCheck(models.TextChoices):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LAST_WRONG = "last_wrong"  # wrong, and no more tries for a while
    # Refused before the code was looked at:
    BLOCKED = "blocked"  # too many wrong codes: wait, then ask for a new one
    THROTTLED = "throttled"  # wrong codes in quick succession: wait a few seconds


class CodeChannel(TimestampMixin, ThrottlingMixin, SideChannelDevice):
    """A method proven by a 6-digit code sent to it (SMS or email).

    A code is valid for 10 minutes and used once. Wrong codes are counted per
    method, not per code: asking for a new code does not reset the count. After
    five wrong codes no code is accepted until ten minutes after the first of them.
    """

    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    first_wrong_code_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def issue_code(self):
        """Make a new code for this method, save it, and return it (for delivery)."""
        self.generate_token(length=6, valid_secs=CODE_VALID_SECONDS, commit=True)
        return self.token

    def blocked_until(self, now=None):
        """Return when codes are accepted again after too many wrong ones, or None."""
        now = now or timezone.now()
        if self.wrong_codes < MAX_WRONG_CODES or self.first_wrong_code_at is None:
            return None
        until = self.first_wrong_code_at + timedelta(seconds=CODE_VALID_SECONDS)
        return until if now < until else None

    def check_code(self, code):
        """Check ``code`` and return a CodeCheck; save what changed.

        Call inside a transaction on a row fetched with select_for_update, so two
        requests with the same code cannot both succeed.
        """
        now = timezone.now()
        if self.first_wrong_code_at and now - self.first_wrong_code_at >= timedelta(
            seconds=CODE_VALID_SECONDS
        ):
            # A new window: django-otp's back-off starts over too. It doubles with
            # every wrong code and never forgets, so without this a few rounds of
            # wrong codes (anyone with the password can type them) would lock the
            # method for days.
            self.wrong_codes, self.first_wrong_code_at = 0, None
            self.throttle_reset(commit=False)
        if self.blocked_until(now):
            return CodeCheck.BLOCKED
        allowed, _detail = self.verify_is_allowed()
        if not allowed:
            return CodeCheck.THROTTLED
        code = "".join((code or "").split())
        if self.token and hmac.compare_digest(code, self.token):
            if now >= self.valid_until:
                self.token = None
                self.save()
                return CodeCheck.EXPIRED
            self.token = None
            self.valid_until = now
            self.wrong_codes, self.first_wrong_code_at = 0, None
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return CodeCheck.OK
        self.wrong_codes += 1
        self.first_wrong_code_at = self.first_wrong_code_at or now
        if self.wrong_codes >= MAX_WRONG_CODES:
            self.token = None  # this code is spent, even if it was about to be guessed
        self.throttle_increment(commit=False)
        self.save()
        return CodeCheck.LAST_WRONG if self.wrong_codes >= MAX_WRONG_CODES else CodeCheck.WRONG

    def retry_after(self, now=None):
        """Return the seconds until a code may be tried again (0 when it may now)."""
        now = now or timezone.now()
        until = self.blocked_until(now)
        if until is None:
            allowed, detail = self.verify_is_allowed()
            if not allowed and detail and detail.get("locked_until"):
                until = detail["locked_until"]
        return max(0, math.ceil((until - now).total_seconds())) if until else 0

    def get_throttle_factor(self):
        return 1


class PhoneDevice(CodeChannel):
    """The user's mobile phone; codes go out by SMS."""

    number = models.CharField(_("mobile phone"), max_length=20, help_text=_("E.164 format."))

    class Meta:
        verbose_name = _("mobile phone")
        verbose_name_plural = _("mobile phones")

    def __str__(self):
        return format_phone_international(self.number)

    def is_interactive(self):
        return True

    def generate_challenge(self):
        """Send a sign-in code by SMS (django-otp's second step)."""
        from security_info import delivery  # noqa: PLC0415 - cycle security_info.models -> security_info.delivery -> security_info.models

        delivery.send_phone_code(self, purpose=delivery.Purpose.SIGN_IN)
        # Masked: whoever reaches the second step knows the password, not the number.
        sent = _("We sent a code to %(number)s.") % {"number": mask_phone(self.number)}
        return delivery.delivery_notice(self) or sent

    def verify_token(self, token):
        # A number still waiting for its verification code is no sign-in factor.
        if not self.confirmed:
            return False
        return self.check_code(token) == CodeCheck.OK


class AltEmailManager(DeviceManager):
    def devices_for_user(self, user, confirmed=None):
        # Never offered as a sign-in factor.
        return self.none()


class AltEmailDevice(CodeChannel):
    """The user's alternate email: recovery codes and notices, never sign-in."""

    email = models.EmailField(_("alternate email"), max_length=320)

    objects = AltEmailManager()
    all_objects = models.Manager()

    class Meta:
        verbose_name = _("alternate email")
        verbose_name_plural = _("alternate emails")
        base_manager_name = "all_objects"
        default_manager_name = "all_objects"

    def __str__(self):
        return self.email

    def verify_token(self, token):
        # Codes of this method only ever verify the address itself (check_code).
        return False


def _hash_backup_code(code):
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return salted_hmac("security_info.backup_code", normalized, algorithm="sha256").hexdigest()


class BackupCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A set of single-use backup codes, stored only as keyed hashes."""

    class Meta:
        verbose_name = _("backup codes")
        verbose_name_plural = _("backup codes")

    def verify_token(self, token):
        allowed, _detail = self.verify_is_allowed()
        if not allowed:
            return False
        # One UPDATE with "not used yet" in its WHERE: two requests with the same
        # code cannot both use it.
        used = self.codes.filter(
            code_hash=_hash_backup_code(token or ""), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self):
        return 1

    @property
    def remaining(self):
        return self.codes.filter(used_at__isnull=True).count()


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="backup_code_once")
        ]

    def __str__(self):
        return f"backup code {self.pk}"

    @staticmethod
    def hash(code):
        return _hash_backup_code(code)


class TemporaryPassManager(DeviceManager):
    def devices_for_user(self, user, confirmed=None):
        # Only a pass that can still be used is offered at sign-in.
        return (
            super()
            .devices_for_user(user, confirmed=confirmed)
            .filter(used_at__isnull=True, valid_until__gt=timezone.now())
        )


class TemporaryPassDevice(Device):
    """A one-time pass an admin issues to someone who lost every method.

    It stands in for the second factor once, before ``valid_until``; the pass
    itself is stored only as a keyed hash.
    """

    pass_hash = models.CharField(max_length=64)
    valid_until = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = TemporaryPassManager()

    class Meta:
        verbose_name = _("temporary access pass")
        verbose_name_plural = _("temporary access passes")

    def verify_token(self, token):
        now = timezone.now()
        candidate = self.hash(token or "")
        if self.used_at is not None or now >= self.valid_until:
            return False
        if not hmac.compare_digest(candidate, self.pass_hash):
            return False
        # One UPDATE with "not used yet" in its WHERE: the pass works once.
        used = (
            type(self)._default_manager.filter(pk=self.pk, used_at__isnull=True).update(used_at=now)
        )
        if used:
            # Sign-in reaches a pass only through django-otp's device API, so the
            # consequences of its use are recorded here: the user goes straight
            # to Security info to register new methods.
            type(self.user)._default_manager.filter(pk=self.user_id).update(
                must_register_methods=True
            )
            audit_record(
                action="security_info.temporary_pass.use",
                tenant=self.user.tenant,
                actor=self.user,
                target=self.user,
            )
        return bool(used)

    @staticmethod
    def hash(token):
        normalized = "".join(ch for ch in token.lower() if ch.isalnum())
        return salted_hmac(
            "security_info.temporary_pass", normalized, algorithm="sha256"
        ).hexdigest()


class PasskeyDevice(TimestampMixin, Device):
    """A passkey or security key (WebAuthn): proves the user without a code to type.

    Phishing-resistant: the browser binds each signature to the portal's origin,
    so a look-alike site cannot relay it. The private key never leaves the
    authenticator; the portal keeps the public key (COSE) and the signature
    counter, which must go up with every use of a key that counts.
    """

    # Read by accounts through django-otp's generic device API (no import of this app).
    phishing_resistant = True
    signs_in_with_code = False

    credential_id = models.BinaryField(max_length=1023)
    # SHA-256 of the credential id, hex: the unique index that finds a credential.
    credential_key = models.CharField(max_length=64, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    # The WebAuthn user handle: random, the same for all of a user's passkeys.
    user_handle = models.BinaryField(max_length=64)
    transports = models.JSONField(default=list, blank=True)
    discoverable = models.BooleanField(
        _("can sign in without a name"),
        default=False,
        help_text=_("The authenticator said it keeps the passkey for sign-in without a name."),
    )
    backed_up = models.BooleanField(_("synced"), default=False)

    class Meta:
        verbose_name = _("passkey or security key")
        verbose_name_plural = _("passkeys and security keys")

    def __str__(self):
        return self.name

    def verify_token(self, token):
        # Never by a typed code: only by a signed assertion (security_info.passkeys).
        return False
