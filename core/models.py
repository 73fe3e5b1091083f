"""The outbox: every SMS and email the portal sends, until it is sent or given up."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    """One SMS or email on its way: tried at once, retried by the workers, kept when given up.

    The text waits sealed (``core.sealing``) and is wiped once the
    message is sent, or given up when it carried a secret such as a code (a
    code that could not be sent in time has expired anyway). A given-up notice
    keeps its text so that an operator can send it again.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Given up")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=60)
    recipients = models.TextField(_("recipients"))
    # What the message is about (such as a method's persistent id), so the page
    # that asked for it can show how its sending goes.
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    secret = models.BooleanField(_("carries a secret"), default=False)
    payload = models.TextField(_("sealed text"), blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    deadline = models.DateTimeField(_("give up at"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        # Made by the project package before this library was split out of it.
        db_table = "admin_portal_outboundmessage"
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.kind} #{self.pk}"
