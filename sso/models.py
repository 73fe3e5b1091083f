"""An organization's own identity providers, and the verified domains they sign in."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantOwnedModel


class IdentityProvider(TenantOwnedModel):
    """An OpenID Connect or SAML 2.0 identity provider of one organization.

    People whose sign-in name is in one of its domains sign in there once it is
    switched on. Secrets (the OIDC client secret, the SAML service provider's
    private key) are kept sealed (``core.sealing``). ``public_id`` names the
    provider in the addresses an identity provider is given (redirect URI,
    metadata, assertion consumer), which stay the same for its whole life.
    """

    class Protocol(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        SAML = "saml", _("SAML 2.0")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    protocol = models.CharField(_("protocol"), max_length=8, choices=Protocol.choices)
    is_enabled = models.BooleanField(_("on"), default=False)
    trust_mfa = models.BooleanField(
        _("trust the provider's second factor"),
        default=False,
        help_text=_(
            "When the provider says the person used a second factor, the portal asks for no "
            "second step of its own."
        ),
    )
    jit_create = models.BooleanField(
        _("create unknown people on first sign-in"),
        default=False,
        help_text=_("Otherwise a person needs an account here before they can sign in."),
    )
    # OpenID Connect
    issuer = models.URLField(_("issuer"), max_length=500, blank=True)
    client_id = models.CharField(_("client id"), max_length=255, blank=True)
    client_secret_sealed = models.TextField(blank=True, editable=False)
    scopes = models.CharField(_("scopes"), max_length=255, default="openid email profile")
    username_claim = models.CharField(_("sign-in name claim"), max_length=100, default="email")
    # SAML 2.0
    metadata_url = models.URLField(_("metadata URL"), max_length=500, blank=True)
    metadata_xml = models.TextField(_("metadata"), blank=True)
    idp_entity_id = models.CharField(_("entity id"), max_length=500, blank=True)
    sp_private_key_sealed = models.TextField(blank=True, editable=False)
    sp_certificate = models.TextField(_("service provider certificate"), blank=True)
    username_attribute = models.CharField(
        _("sign-in name attribute"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the NameID."),
    )
    # A test sign-in must have succeeded since the last change before it is switched on.
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    test_claims = models.JSONField(_("claims of the last test"), default=dict, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "tenant", models.functions.Lower("name"), name="identity_provider_name_once"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("sso:provider_detail", args=[self.pk])

    @property
    def tested_since_change(self):
        return self.tested_at is not None and self.tested_at >= self.changed_at


class FederatedDomain(models.Model):
    """A verified domain whose people sign in at ``provider``: one provider per domain."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="federated_domains"
    )
    domain = models.OneToOneField(
        "accounts.Domain", on_delete=models.CASCADE, related_name="federation"
    )

    class Meta:
        verbose_name = _("federated domain")
        verbose_name_plural = _("federated domains")

    def __str__(self):
        return self.domain.name
