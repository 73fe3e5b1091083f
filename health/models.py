"""Service health and the message center: written by operators, read by every admin."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    class Status(models.TextChoices):
        OPERATIONAL = "operational", _("Healthy")
        DEGRADED = "degraded", _("Degraded")
        OUTAGE = "outage", _("Service interruption")

    name = models.CharField(_("name"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPERATIONAL
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("health:incident_detail", args=[self.pk])


class IncidentUpdate(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField(_("update"))
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)

    class Meta:
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        ordering = ["-posted_at", "-id"]

    def __str__(self):
        return self.body[:60]


class Announcement(models.Model):
    class Category(models.TextChoices):
        PLAN = "plan", _("Plan for change")
        INFORM = "inform", _("Stay informed")
        PREVENT = "prevent", _("Prevent or fix issues")

    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("health:message_detail", args=[self.pk])


class AnnouncementRead(models.Model):
    """That one admin has read one announcement."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="announcement_reads"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="health_read_once")
        ]

    def __str__(self):
        return f"{self.user} read {self.announcement}"
