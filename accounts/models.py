"""The shared model: tenants, their domains, users, role assignments, the audit log."""

import contextlib
import unicodedata
from datetime import timedelta

import idna
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import (
    PermissionsMixin,
    _user_has_module_perms,
    _user_has_perm,
)
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.roles import ROLE_CHOICES, role_names
from core import l10n
from core.aggregates import TextList, split_text_list
from core.prepared import PreparedQuery


def default_country():
    return settings.PORTAL_DEFAULT_COUNTRY


def default_time_zone():
    return settings.TIME_ZONE


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        """Return only the rows of ``tenant``; ``None`` (no tenant) matches nothing."""
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    """A row that belongs to exactly one tenant; read it through ``.for_tenant()``."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, verbose_name=_("organization")
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Tenant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("organization name"), max_length=200)
    country = CountryField(_("country or region"), default=default_country)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[l10n.validate_time_zone],
        help_text=_("Times in the admin center are shown in this zone, with its name."),
    )
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    technical_contact_email = models.EmailField(_("technical contact email"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    require_mfa_for_admins = models.BooleanField(
        _("require a second factor for admins"),
        default=True,
        help_text=_(
            "Admins must register a mobile phone or an authenticator app before they "
            "can open the admin center."
        ),
    )
    require_phishing_resistant_for_admins = models.BooleanField(
        _("require a phishing-resistant method for admins"),
        default=False,
        help_text=_(
            "Admins open the admin center only after verifying with a passkey or security "
            "key; codes by text message or app no longer do."
        ),
    )
    reset_gates_for_users = models.PositiveSmallIntegerField(
        _("verification steps for users' self-service password reset"),
        choices=[(1, _("One")), (2, _("Two"))],
        default=1,
        help_text=_(
            "How many different verified methods a user without an admin role must prove "
            "to reset their own password. Admins always need two."
        ),
    )
    password_expiry_days = models.PositiveSmallIntegerField(
        _("password expiry (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(14), MaxValueValidator(730)],
        help_text=_(
            "Empty: passwords never expire, as current guidance advises. Otherwise "
            "everyone must choose a new password this many days after the last one."
        ),
    )
    session_idle_minutes = models.PositiveIntegerField(
        _("sign out after inactivity (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text=_("Empty: the platform's setting."),
    )
    session_max_hours = models.PositiveIntegerField(
        _("longest session (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("Empty: the platform's setting."),
    )
    release_track = models.CharField(
        _("release preference"),
        max_length=20,
        choices=[
            ("standard", _("Standard release for everyone")),
            ("early_all", _("Early release for everyone")),
            ("early_selected", _("Early release for selected users")),
        ],
        default="standard",
    )
    is_partner = models.BooleanField(
        _("partner"),
        default=False,
        help_text=_(
            "A partner's Global admins may ask other organizations for access to their "
            "admin centers."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE


def normalize_domain(name):
    """Return ``name`` lower-cased and IDNA-encoded, or raise ValidationError."""
    name = (name or "").strip().rstrip(".").lower()
    if not name:
        raise ValidationError(_("Enter a domain name."), code="required")
    try:
        # UTS 46 maps other full stops (U+3002, U+FF0E, U+FF61) to ".", so a
        # trailing one only shows after encoding: strip it again.
        ascii_name = idna.encode(name, uts46=True).decode("ascii").rstrip(".")
    except idna.IDNAError:
        raise ValidationError(
            _("%(domain)s is not a valid domain name."), code="invalid", params={"domain": name}
        ) from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or labels[-1].isdigit():
        raise ValidationError(
            _("%(domain)s is not a valid domain name."), code="invalid", params={"domain": name}
        )
    return ascii_name


class Domain(TenantOwnedModel):
    name = models.CharField(
        _("domain name"),
        max_length=253,
        unique=True,
        help_text=_("Stored lower-case, internationalized names in their ASCII (IDNA) form."),
    )
    is_initial = models.BooleanField(_("initial domain"), default=False)
    is_default = models.BooleanField(_("default domain"), default=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    verification_token = models.CharField(
        _("verification token"),
        max_length=64,
        blank=True,
        help_text=_("Proves ownership: a TXT record portal-verify=<token> on the domain."),
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    record_missing = models.BooleanField(
        _("verification record missing"),
        default=False,
        help_text=_("Set when a re-check no longer finds the TXT record."),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_default=True),
                name="accounts_domain_one_default_per_tenant",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.name = normalize_domain(self.name)
        except ValidationError as error:
            raise ValidationError({"name": error}) from None


# The annotation of ``UserQuerySet.with_role_codes``: the user's role codes, in one text.
ROLE_CODES_ANNOTATION = "role_code_list"


class UserQuerySet(TenantQuerySet):
    def with_role_codes(self):
        """Read each user's role codes with the user, saving ``role_codes`` a read."""
        assignments = RoleAssignment.objects.filter(user_id=models.OuterRef("pk")).order_by()
        return self.annotate(
            **{
                ROLE_CODES_ANNOTATION: models.Subquery(
                    assignments.values("user_id").annotate(codes=TextList("role")).values("codes")
                )
            }
        )

    def active(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, username, password, **extra_fields):
        user = self.model(username=self.normalize_username(username), **extra_fields)
        user.set_new_password(password)
        user.full_clean()
        user.save(using=self._db)
        return user

    @classmethod
    def normalize_username(cls, username):
        """Return the sign-in name NFKC-normalized, trimmed and lower-cased.

        The domain part is put in its ASCII (IDNA) form, as domains are stored,
        so anna@bücher.example and anna@xn--bcher-kva.example are one name.
        """
        username = unicodedata.normalize("NFKC", username or "").strip().lower()
        local, sep, domain = username.rpartition("@")
        if sep and domain and not domain.isascii():
            # On failure it stays as typed; clean() rejects it as no domain of the tenant.
            with contextlib.suppress(ValidationError):
                domain = normalize_domain(domain)
            username = f"{local}@{domain}"
        return username

    def create_user(self, username, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, password, **extra_fields)

    def create_superuser(self, username, password=None, **extra_fields):
        """Create a platform operator: staff, superuser, and of no tenant."""
        extra_fields.update(is_staff=True, is_superuser=True, tenant=None)
        return self._create_user(username, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a tenant's user, or (without tenant) a platform operator."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organization"),
        help_text=_("Empty only for platform operators."),
    )
    username = models.CharField(
        _("sign-in name"),
        max_length=254,
        unique=True,
        help_text=_("The name used to sign in, such as anna@contoso.example."),
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    display_name = models.CharField(_("display name"), max_length=256)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    department = models.CharField(_("department"), max_length=150, blank=True)
    office = models.CharField(_("office"), max_length=150, blank=True)
    business_phone = models.CharField(_("business phone"), max_length=40, blank=True)
    usage_location = CountryField(_("usage location"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    contact_details = models.JSONField(
        _("contact details"),
        default=dict,
        blank=True,
        help_text=_(
            "Mobile phone, alternate email, fax and postal address as an admin gave them "
            "(not verified; security info holds the verified ones)."
        ),
    )
    is_sign_in_blocked = models.BooleanField(_("sign-in blocked"), default=False)
    early_release = models.BooleanField(
        _("early release"),
        default=False,
        help_text=_(
            "Gets new features first when the organization chose early release for selected users."
        ),
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    must_register_methods = models.BooleanField(
        _("must register security info"),
        default=False,
        help_text=_("Set by an admin: at the next sign-in the user registers a method again."),
    )
    default_otp_device = models.CharField(
        _("default sign-in method"),
        max_length=100,
        blank=True,
        help_text=_("The verification method offered first at sign-in (a device id)."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=255,
        blank=True,
        help_text=_("The person's id in the identity provider that provisions them (SCIM)."),
    )
    provisioned_by = models.ForeignKey(
        "api.ApiClient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provisioned by"),
        help_text=_("The API client (an identity provider) that created the user."),
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_username = models.CharField(
        _("sign-in name before deletion"),
        max_length=254,
        blank=True,
        help_text=_(
            "A deleted user's sign-in name is freed for others; restoring asks for it back."
        ),
    )
    password_changed_at = models.DateTimeField(
        _("password changed"), null=True, blank=True, editable=False
    )
    session_epoch = models.PositiveIntegerField(
        _("session generation"),
        default=0,
        editable=False,
        help_text=_("Raised to end every session of the user at once."),
    )
    is_staff = models.BooleanField(
        _("operator"),
        default=False,
        help_text=_("May sign in to the operators' site. Only for users without organization."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("created"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    # No display name asked: clean_fields() derives it from the name (or the sign-in
    # name), so createsuperuser --noinput needs only a sign-in name and a password.
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["display_name", "username"]
        permissions = [
            ("view_admin_center", _("Can open the admin center")),
            ("reset_password", _("Can reset other users' passwords")),
        ]
        indexes = [
            models.Index(Lower("display_name"), "tenant", name="accounts_user_tenant_name"),
            # The users list: one tenant's users in name or sign-in name order.
            models.Index("tenant", Lower("display_name"), "id", name="accounts_user_list_name"),
            models.Index("tenant", "username", name="accounts_user_list_username"),
            models.Index("tenant", "external_id", name="accounts_user_external_id"),
        ]

    def __str__(self):
        return self.display_name or self.username

    def clean_fields(self, exclude=None):
        # The display name may be left empty and is derived from the name, so
        # derive it before the fields are checked for blanks.
        self.username = UserManager.normalize_username(self.username)
        if not self.display_name:
            self.display_name = (
                f"{self.first_name} {self.last_name}".strip() or self.username.split("@")[0]
            )
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        self.username = UserManager.normalize_username(self.username)
        if self.tenant_id is None:
            return
        operator_flags = [name for name in ("is_staff", "is_superuser") if getattr(self, name)]
        if operator_flags:
            raise ValidationError(
                {
                    name: ValidationError(
                        _("Operators belong to no organization."), code="operator_tenant"
                    )
                    for name in operator_flags
                }
            )
        local, sep, domain = self.username.rpartition("@")
        if not sep or not local:
            raise ValidationError(
                {
                    "username": ValidationError(
                        _("Enter a sign-in name such as name@domain."), code="invalid"
                    )
                }
            )
        if not Domain.objects.filter(tenant_id=self.tenant_id, name=domain).exists():
            # A dict of bare messages would drop code and params: wrap each error.
            raise ValidationError(
                {
                    "username": ValidationError(
                        _("The domain %(domain)s is not one of this organization's domains."),
                        code="foreign_domain",
                        params={"domain": domain},
                    )
                }
            )

    def _get_session_auth_hash(self, secret=None):
        # Django keeps the hash of the password in the session and compares it on
        # every request; mixing in the epoch lets one UPDATE end every session of
        # the user without touching the password. Epoch 0 gives Django's own hash,
        # so adding the field signed nobody out. get_session_auth_fallback_hash()
        # calls this with each of SECRET_KEY_FALLBACKS.
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.models.User.get_session_auth_hash",
            f"{self.password}\0{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def set_new_password(self, raw_password):
        """Set a password chosen now, which restarts the expiry clock.

        ``set_password`` alone is also called when a stored hash is upgraded at
        sign-in; that is not a new password and must not extend its life.
        """
        self.set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def password_expired(self):
        """Return whether the organization's password expiry has passed for this user."""
        days = self.tenant.password_expiry_days if self.tenant_id is not None else None
        if not days:
            return False
        changed = self.password_changed_at or self.date_joined
        return timezone.now() - changed >= timedelta(days=days)

    @property
    def session_limits(self):
        """Return (idle seconds, absolute seconds) for this user's sessions."""
        idle, absolute = settings.PORTAL_SESSION_IDLE_SECONDS, settings.PORTAL_SESSION_MAX_SECONDS
        if self.tenant_id is not None:
            if self.tenant.session_idle_minutes:
                idle = self.tenant.session_idle_minutes * 60
            if self.tenant.session_max_hours:
                absolute = self.tenant.session_max_hours * 3600
        return idle, absolute

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def initials(self):
        parts = [p for p in (self.first_name, self.last_name) if p] or self.display_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or self.username[:1].upper()

    @property
    def can_sign_in(self):
        """Return whether this account may hold a session right now."""
        if not self.is_active or self.is_sign_in_blocked or self.deleted_at is not None:
            return False
        return self.tenant_id is None or self.tenant.is_active

    @property
    def role_codes(self):
        """Return the codes of this user's roles (cached on the instance)."""
        if not hasattr(self, "_role_codes"):
            if ROLE_CODES_ANNOTATION in self.__dict__:  # read with the user (with_role_codes)
                self._role_codes = frozenset(split_text_list(self.__dict__[ROLE_CODES_ANNOTATION]))
            elif self.pk is None:
                self._role_codes = frozenset()
            else:
                self._role_codes = frozenset(_ROLE_CODES(user=self.pk))
        return self._role_codes

    @property
    def is_admin(self):
        """Return whether the user holds any admin role."""
        return bool(self.role_codes)

    def forget_roles(self):
        """Drop the cached roles and permissions after a role change."""
        self.__dict__.pop("_role_codes", None)
        self.__dict__.pop(ROLE_CODES_ANNOTATION, None)
        self.__dict__.pop("_portal_perm_cache", None)

    def has_perm(self, perm, obj=None):
        # Django answers True for any active superuser before asking the backends;
        # a tenant's user gets only what their roles grant, whatever the flag says.
        if self.tenant_id is not None:
            return self.is_active and _user_has_perm(self, perm, obj)
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        if self.tenant_id is not None:
            return self.is_active and _user_has_module_perms(self, app_label)
        return super().has_module_perms(app_label)


def acting_person(actor):
    """Return ``actor`` when it is a person's account, else None (an API client acting)."""
    return actor if isinstance(actor, User) else None


class RoleAssignment(TenantOwnedModel):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=40, choices=ROLE_CHOICES)
    assigned_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_role_once_per_user"),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_role_display()}"

    def clean(self):
        if self.user_id and self.tenant_id and self.user.tenant_id != self.tenant_id:
            raise ValidationError(
                _("A role can only be given to a user of the same organization."),
                code="foreign_user",
            )


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One recorded change or sign-in event. Rows are only ever inserted."""

    tenant = models.ForeignKey(
        Tenant,
        # No constraint and no cascade: an organization deleted by an operator
        # leaves its events (ids are never reused), read in the operators' site.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organization"),
        db_constraint=False,
    )
    actor = models.ForeignKey(
        User,
        # No constraint and no cascade: an event keeps naming a purged actor.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor name"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=254, blank=True)
    old_values = models.JSONField(_("old values"), default=dict, blank=True)
    new_values = models.JSONField(_("new values"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    created_at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    # accounts.audit gives the organization its new page versions itself, telling
    # sign-ins (the event pages only) from changes (core/pagecache.py).
    page_cache_quiet = True

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="accounts_audit_tenant_time"),
            # A user's Activity: what they did, and what was done to them.
            models.Index(fields=["actor", "-created_at"], name="accounts_audit_actor_time"),
            models.Index(
                fields=["target_type", "target_id", "-created_at"],
                name="accounts_audit_target_time",
            ),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("accounts:auditevent_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class AddressClaim(models.Model):
    """An address of the one namespace that sign-in names, groups and resources share.

    Whoever holds an address (a user as sign-in name, a group, a room or
    equipment) claims it here, in the transaction that gives it to them. The
    unique address makes the database refuse the second of two concurrent
    claims, which checks of the three tables before an insert cannot do.
    Written only through ``accounts.addresses``.
    """

    address = models.CharField(_("address"), max_length=254, unique=True)
    tenant = models.ForeignKey(
        Tenant,
        # An organization's addresses are free again when it is gone.
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organization"),
    )
    owner_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner type")
    )
    owner_id = models.PositiveBigIntegerField(_("owner id"))
    owner = GenericForeignKey("owner_type", "owner_id")
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("address claim")
        verbose_name_plural = _("address claims")
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id"], name="accounts_addressclaim_one_per_owner"
            ),
        ]

    def __str__(self):
        return self.address


class PartnerRelationshipQuerySet(models.QuerySet):
    def in_force(self, now=None):
        """Return the approved relationships that have not ended or expired."""
        return self.filter(
            status=PartnerRelationship.Status.ACTIVE, expires_at__gt=now or timezone.now()
        )

    def involving(self, tenant):
        """Return the relationships in which ``tenant`` is the partner or the customer."""
        if tenant is None:
            return self.none()
        return self.filter(models.Q(partner=tenant) | models.Q(customer=tenant))


class PartnerRelationship(models.Model):
    """A partner organization's access to a customer's admin center, with the roles granted.

    The partner's Global admin asks (``pending``); the customer's Global admin
    approves (``active`` until ``expires_at``) or declines; the customer ends it at
    any time (``ended``). Only ``in_force()`` relationships let anyone act.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    partner = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    roles = models.JSONField(_("roles"), default=list)
    days = models.PositiveSmallIntegerField(
        _("duration (days)"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or declined by"),
    )
    decided_at = models.DateTimeField(_("approved or declined"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    reminded_at = models.DateTimeField(_("expiry notice sent"), null=True, blank=True)

    objects = PartnerRelationshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner relationship")
        verbose_name_plural = _("partner relationships")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request or relationship per partner and customer: two at once
            # would let the partner ask twice and have the customer approve both.
            models.UniqueConstraint(
                fields=["partner", "customer"],
                condition=models.Q(status__in=["pending", "active"]),
                name="accounts_partner_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(partner=models.F("customer")),
                name="accounts_partner_not_self",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="accounts_partner_customer"),
            models.Index(fields=["partner", "status"], name="accounts_partner_partner"),
        ]

    def __str__(self):
        return f"{self.partner} -> {self.customer}"

    def is_in_force(self, now=None):
        return (
            self.status == self.Status.ACTIVE
            and self.expires_at is not None
            and self.expires_at > (now or timezone.now())
        )


class PartnerAccess(models.Model):
    """Which of the partner's admins act in the customer's admin center, with which roles.

    ``roles`` is a subset of the relationship's granted roles, chosen by the
    partner's Global admin.
    """

    relationship = models.ForeignKey(
        PartnerRelationship,
        on_delete=models.CASCADE,
        related_name="accesses",
        verbose_name=_("partner relationship"),
    )
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="partner_accesses",
        verbose_name=_("partner admin"),
    )
    roles = models.JSONField(_("roles"), default=list)
    granted_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        verbose_name = _("partner admin's access")
        verbose_name_plural = _("partner admins' access")
        ordering = ["relationship", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "user"], name="accounts_partner_access_once"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.relationship.customer}"

    @property
    def role_names(self):
        """The names of the roles this admin acts with: granted to them and to the partner."""
        return role_names(set(self.roles) & set(self.relationship.roles))


# Every signed-in request reads its user's roles: compiled once per process.
_ROLE_CODES = PreparedQuery(
    lambda user: RoleAssignment.objects.filter(user_id=user).values_list("role", flat=True),
    user=int,
)
