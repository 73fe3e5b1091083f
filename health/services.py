"""Writes of the Health area: read marks, and telling technical contacts about incidents."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from core import outbox
from health.models import Announcement, AnnouncementRead, Incident


def message_mark_read(*, user: User, announcement: Announcement) -> None:
    """Mark ``announcement`` read for ``user`` (once)."""
    AnnouncementRead.objects.get_or_create(announcement=announcement, user=user)


def messages_mark_all_read(*, user: User) -> int:
    """Mark every announcement read for ``user``; return how many were unread."""
    unread = Announcement.objects.exclude(reads__user=user)
    reads = [AnnouncementRead(announcement=item, user=user) for item in unread]
    AnnouncementRead.objects.bulk_create(reads, ignore_conflicts=True)
    return len(reads)


def incident_notify(incident: Incident) -> None:
    """Email every organization's technical contact about a new incident (after commit)."""
    contacts = sorted(
        set(
            Tenant.objects.filter(status=Tenant.Status.ACTIVE)
            .exclude(technical_contact_email="")
            .values_list("technical_contact_email", flat=True)
        )
    )
    if not contacts:
        return
    subject = _("Service incident: %(service)s: %(title)s") % {
        "service": incident.service.name,
        "title": incident.title,
    }
    body = _("Follow the incident under Health > Service health: %(url)s") % {
        "url": f"{settings.PORTAL_BASE_URL}{incident.get_absolute_url()}"
    }
    transaction.on_commit(
        lambda: outbox.send_email(EmailMessage(subject, body, bcc=contacts), kind="incident notice")
    )
