"""Groups: the five kinds, their addresses, owners and members."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantOwnedModel


class Kind(models.TextChoices):
    TEAM = "team", _("Team group")
    DISTRIBUTION = "distribution", _("Distribution list")
    MAIL_SECURITY = "mail_security", _("Mail-enabled security group")
    SECURITY = "security", _("Security group")
    SHARED_MAILBOX = "shared_mailbox", _("Shared mailbox")


KIND_DESCRIPTIONS = {
    Kind.TEAM: _(
        "For working together: a shared email address, calendar and files. Public or "
        "private, with owners and members."
    ),
    Kind.DISTRIBUTION: _(
        "An email address that forwards to its members; you choose whether people "
        "outside the organization may write to it."
    ),
    Kind.MAIL_SECURITY: _(
        "Gives its members access to resources and has an email address to reach them all."
    ),
    Kind.SECURITY: _("Gives its members access to resources. No email address."),
    Kind.SHARED_MAILBOX: _(
        "A mailbox several people read and send from, such as info@ or support@."
    ),
}
# Which kinds have an email address, privacy, and external senders.
KINDS_WITH_EMAIL = {Kind.TEAM, Kind.DISTRIBUTION, Kind.MAIL_SECURITY, Kind.SHARED_MAILBOX}
KINDS_WITH_PRIVACY = {Kind.TEAM}
KINDS_WITH_EXTERNAL_SENDERS = {Kind.DISTRIBUTION}
KINDS_WITH_OWNERS_REQUIRED = {Kind.TEAM}
KINDS_WITH_DYNAMIC_MEMBERSHIP = {Kind.DISTRIBUTION, Kind.SECURITY}

# The user properties a membership rule may look at, and how it compares.
RULE_FIELDS = {
    "department": _("Department"),
    "office": _("Office"),
    "usage_location": _("Usage location (country code)"),
    "job_title": _("Job title"),
}
RULE_OPERATORS = {"equals": _("equals"), "startswith": _("starts with")}


class Privacy(models.TextChoices):
    PUBLIC = "public", _("Public: anyone in the organization can join")
    PRIVATE = "private", _("Private: owners decide who joins")


class Group(TenantOwnedModel):
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    email = models.CharField(_("email address"), max_length=254, blank=True)
    privacy = models.CharField(_("privacy"), max_length=10, choices=Privacy.choices, blank=True)
    allow_external_senders = models.BooleanField(
        _("people outside the organization may send to it"), default=False
    )
    membership_rule = models.JSONField(
        _("membership rule"),
        null=True,
        blank=True,
        help_text=_("Members are the users whose property matches, kept in sync."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=255,
        blank=True,
        help_text=_("The group's id in the identity provider that provisions it (SCIM)."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_email = models.CharField(_("email address before deletion"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~models.Q(email=""), name="groups_unique_email"
            )
        ]
        indexes = [
            models.Index("tenant", Lower("name"), "id", name="groups_list_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("groups:group_detail", args=[self.pk])


class Membership(TenantOwnedModel):
    """A user's place in a group, as member or owner (an owner is not always a member)."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        OWNER = "owner", _("Owner")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "role"], name="groups_one_membership")
        ]
        indexes = [models.Index(fields=["user", "role"], name="groups_membership_user")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.group}"


class DeletedGroupManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=False)


class DeletedGroup(Group):
    """A group in the Deleted groups list, restorable for 30 days."""

    objects = DeletedGroupManager.from_queryset(Group.objects._queryset_class)()

    class Meta:
        proxy = True
        verbose_name = _("deleted group")
        verbose_name_plural = _("deleted groups")
        default_permissions = ()
