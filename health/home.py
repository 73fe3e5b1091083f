"""Health's card on Home: open incidents and unread messages."""

from django.db import connection

from accounts.roles import ADMIN_CENTER
from health.models import Incident

# Both counts in one query, written out: Home asks on every visit, and composing
# them with the ORM costs several times what the database spends on them. The
# open incidents, and the announcements this admin has no read of.
COUNTS_SQL = """
    SELECT
        (SELECT COUNT(*) FROM health_incident WHERE status = %s),
        (SELECT COUNT(*) FROM health_announcement AS a WHERE NOT EXISTS (
            SELECT 1 FROM health_announcementread AS r
            WHERE r.announcement_id = a.id AND r.user_id = %s
        ))
"""


def card(request):
    if not request.user.has_perm(ADMIN_CENTER):
        return None
    with connection.cursor() as cursor:
        cursor.execute(COUNTS_SQL, [Incident.Status.OPEN.value, request.user.pk])
        open_incidents, unread = cursor.fetchone()
    return {
        "template": "health/home_card.html",
        "open_incidents": open_incidents,
        "unread": unread,
    }
