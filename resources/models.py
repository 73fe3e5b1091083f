"""Rooms and equipment people book, each with its own address."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantOwnedModel


class Resource(TenantOwnedModel):
    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        EQUIPMENT = "equipment", _("Equipment")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    email = models.CharField(_("email address"), max_length=254, unique=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, validators=[MaxValueValidator(10_000)]
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    booking_policy = models.TextField(_("booking policy"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("resources:resource_edit", args=[self.pk])
