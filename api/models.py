"""API clients: what a script or an identity provider signs in with, and acts as."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantOwnedModel


class ApiClient(TenantOwnedModel):
    """A named client of an organization, acting with the roles it was given.

    Its secret is shown once; only a SHA-256 hash of it is kept (a secret of 256
    random bits needs no slow hash). ``key_id`` is the secret's public start, by
    which a request's client is found. After a rotation the previous secret
    keeps working until ``previous_valid_until``.
    """

    name = models.CharField(_("name"), max_length=100)
    roles = models.JSONField(_("roles"), default=list)
    key_id = models.CharField(_("key id"), max_length=24, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    previous_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    rotated_at = models.DateTimeField(_("secret changed"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_address = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                models.functions.Lower("name"),
                condition=models.Q(revoked_at__isnull=True),
                name="api_client_name_once_per_tenant",
            ),
        ]

    def __str__(self):
        return self.name

    def is_usable(self, now=None):
        """Return whether requests may use this client now (not revoked, not expired)."""
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    @property
    def status(self):
        """Return "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"
