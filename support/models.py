"""Service requests an organization's admins open, and the conversation with the operators."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantOwnedModel


class ServiceRequest(TenantOwnedModel):
    class Severity(models.TextChoices):
        LOW = "low", _("Low: a question or a small problem")
        NORMAL = "normal", _("Normal: something doesn't work as it should")
        HIGH = "high", _("High: people can't work")
        CRITICAL = "critical", _("Critical: the whole organization is affected")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for support")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=10_000)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("opened"), default=timezone.now)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("support:request_detail", args=[self.pk])


class RequestMessage(models.Model):
    """One message of a request's conversation, from the organization or an operator."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_support = models.BooleanField(_("from support"), default=False)
    body = models.TextField(_("message"), max_length=10_000)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.body[:60]
