"""The Security center's sign-in log, and the external admin centers operators list."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantQuerySet
from accounts.roles import ROLES
from accounts.signin import Refusal


class SignIn(models.Model):
    """One sign-in attempt: who (or the name tried), from where, with what, and how it ended.

    Rows are written by ``security_center.services.signin_record`` only and kept
    ``PORTAL_SIGNIN_LOG_DAYS`` days. An attempt for a name no account has belongs
    to no organization (``tenant`` is empty): no organization's log shows it.
    """

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        WRONG_PASSWORD = Refusal.WRONG_PASSWORD, _("Wrong password")
        LOCKED_OUT = Refusal.LOCKED_OUT, _("Locked out after repeated failures")
        BLOCKED = Refusal.BLOCKED, _("Sign-in blocked by an admin")
        ACCOUNT_DISABLED = Refusal.ACCOUNT_DISABLED, _("Account deleted or organization suspended")
        SECOND_STEP_FAILED = Refusal.SECOND_STEP_FAILED, _("Second step failed")
        TEMPORARY_PASS_EXPIRED = (
            Refusal.TEMPORARY_PASS_EXPIRED,
            _("Temporary access pass expired or used"),
        )
        PASSKEY_FAILED = Refusal.PASSKEY_FAILED, _("Passkey not accepted")
        NO_ACCOUNT_HERE = (
            Refusal.NO_ACCOUNT_HERE,
            _("Identity provider signed in somebody with no account here"),
        )
        PROVIDER_ANSWER = Refusal.PROVIDER_ANSWER, _("Identity provider's answer refused")

    class Method(models.TextChoices):
        NONE = "", _("No second step")
        TEXT_MESSAGE = "text_message", _("Text message")
        APP = "app", _("Authenticator app")
        BACKUP_CODE = "backup_code", _("Backup code")
        TEMPORARY_PASS = "temporary_pass", _("Temporary access pass")
        PASSKEY = "passkey", _("Passkey or security key")
        OTHER = "other", _("Other method")

    tenant = models.ForeignKey(
        "accounts.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organization"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    username = models.CharField(_("sign-in name"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    browser = models.CharField(_("browser"), max_length=100, blank=True)
    operating_system = models.CharField(_("operating system"), max_length=100, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    reason = models.CharField(
        _("failure reason"), max_length=32, choices=Reason.choices, blank=True
    )
    method = models.CharField(_("second step"), max_length=32, choices=Method.choices, blank=True)

    objects = TenantQuerySet.as_manager()

    # An event, not data a page of the organization shows: the audit event written
    # with it gives the event pages their new version (core/pagecache.py).
    page_cache_quiet = True

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="signin_tenant_time"),
            models.Index(fields=["tenant", "user", "-created_at"], name="signin_tenant_user"),
            models.Index(fields=["created_at"], name="signin_time"),
        ]

    def __str__(self):
        return f"{self.username or '-'} {self.created_at:%Y-%m-%d %H:%M:%S} {self.result}"


def validate_https(value):
    """Refuse any address but an https:// one."""
    URLValidator(schemes=["https"])(value)


def validate_role_codes(value):
    """Refuse anything but a list of known role codes."""
    if not isinstance(value, list) or any(code not in ROLES for code in value):
        raise ValidationError(_("Choose roles from the list."), code="invalid_roles")


# The icons an admin center's tile may show: those the left navigation already uses.
ICON_CHOICES = [
    ("grid", _("Grid")),
    ("shield", _("Shield")),
    ("users", _("People")),
    ("groups", _("Groups")),
    ("mail", _("Mail")),
    ("building", _("Building")),
    ("box", _("Box")),
    ("key", _("Key")),
    ("chart", _("Chart")),
    ("settings", _("Settings")),
    ("health", _("Health")),
    ("help", _("Help")),
    ("log", _("Log")),
    ("card", _("Card")),
    ("receipt", _("Receipt")),
    ("home", _("Home")),
]


class AdminCenter(models.Model):
    """A specialized admin center elsewhere, shown as a tile to the roles that use it.

    Operators add them in the operators' site; a tile opens the address in a new tab.
    """

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    url = models.URLField(
        _("address"),
        max_length=500,
        validators=[validate_https],
        help_text=_("Starts with https://."),
    )
    icon = models.CharField(_("icon"), max_length=20, choices=ICON_CHOICES, default="grid")
    roles = models.JSONField(
        _("roles that see it"),
        default=list,
        blank=True,
        validators=[validate_role_codes],
        help_text=_("Admins with any of these roles see its tile."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("external admin center")
        verbose_name_plural = _("external admin centers")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name
