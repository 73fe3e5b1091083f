"""Health's card on Home: open incidents and unread messages."""

from django.db.models import Exists, OuterRef

from accounts.models import User
from accounts.roles import ADMIN_CENTER
from core.prepared import PreparedQuery, count_of
from health.models import Announcement, AnnouncementRead, Incident

# Home asks on every visit: both counts in one query, compiled once per process.
# Incidents and announcements are the same for every organization; the reads
# are the admin's own.
_COUNTS = PreparedQuery(
    lambda user: User.objects.filter(pk=user).values(
        open_incidents=count_of(Incident.objects.filter(status=Incident.Status.OPEN)),
        unread=count_of(
            Announcement.objects.exclude(
                Exists(
                    AnnouncementRead.objects.filter(
                        announcement=OuterRef("pk"), user=OuterRef(OuterRef("pk"))
                    )
                )
            )
        ),
    ),
    user=int,
)


def card(request):
    if not request.user.has_perm(ADMIN_CENTER) or request.user.pk is None:
        return None  # no admin center, or a party acting with roles (a partner's admin)
    counts = _COUNTS(user=request.user.pk)[0]
    return {"template": "health/home_card.html", **counts}
