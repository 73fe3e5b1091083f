"""Health's card on Home: open incidents and unread messages."""

from accounts.roles import ADMIN_CENTER
from health.models import Announcement, Incident


def card(request):
    if not request.user.has_perm(ADMIN_CENTER):
        return None
    return {
        "template": "health/home_card.html",
        "open_incidents": Incident.objects.filter(status=Incident.Status.OPEN).count(),
        "unread": Announcement.objects.exclude(reads__user=request.user).count(),
    }
