"""Reads on service health and the message center.

Both are the platform's, the same for every organization: an id names the same
incident or announcement for everyone, so no organization narrows these reads.
"""

from django.db.models import QuerySet

from accounts.models import User
from core.access import object_or_404
from health.models import Announcement, Incident


def incidents_reachable(actor: User) -> QuerySet[Incident]:
    """Return the incidents ``actor`` may name by id: all of them."""
    return Incident.objects.select_related("service")


def access_incident_by_id(actor: User, incident_id: object) -> Incident:
    """Return the incident ``incident_id``, or raise Http404."""
    return object_or_404(incidents_reachable(actor), incident_id)


def announcements_reachable(actor: User) -> QuerySet[Announcement]:
    """Return the announcements ``actor`` may name by id: all of them."""
    return Announcement.objects.all()


def access_announcement_by_id(actor: User, announcement_id: object) -> Announcement:
    """Return the announcement ``announcement_id``, or raise Http404."""
    return object_or_404(announcements_reachable(actor), announcement_id)
