"""Demo data of the Health area, added by ``manage.py seed_demo`` (idempotent).

Service health and the message center belong to the platform, not to an
organization: operators write them in the Django admin. So that a fresh
install has something to show, each part is added only while it is empty,
and nobody is emailed about it.
"""

from datetime import timedelta

from django.utils import timezone

from health.models import Announcement, Incident, IncidentUpdate, Service

SERVICES = [
    "Admin portal",
    "Sign-in and identity",
    "Mail and calendar",
    "File storage",
    "Online meetings",
    "Desktop apps",
    "Device management",
]
RESOLVED = {
    "service": "File storage",
    "title": "Some users couldn't open shared files",
    "ago": timedelta(days=3, hours=5),
    "lasted": timedelta(hours=2, minutes=40),
    "updates": [
        (
            timedelta(minutes=25),
            "We're looking into reports that files shared from another person's storage "
            "open with an error. Files in people's own storage are not affected.",
        ),
        (
            timedelta(hours=2, minutes=40),
            "A configuration change made this morning caused the errors. We rolled it back "
            "and shared files open again for everyone. This incident is resolved.",
        ),
    ],
}
ADVISORY = {
    "service": "Mail and calendar",
    "title": "Mail from outside the organization may arrive late",
    "ago": timedelta(hours=2),
    "update": (
        timedelta(minutes=30),
        "Some messages from outside senders arrive up to 15 minutes late. No mail is lost. "
        "We are adding capacity to the affected servers and will post again within two hours.",
    ),
}
ANNOUNCEMENTS = [
    {
        "category": Announcement.Category.PLAN,
        "title": "The admin center will support only current browsers",
        "body": (
            "From the start of next quarter, the admin center supports the two latest "
            "versions of each major browser only. Older versions may show pages incorrectly. "
            "Check that your admins' browsers keep themselves up to date."
        ),
        "ago": timedelta(days=2),
    },
    {
        "category": Announcement.Category.INFORM,
        "title": "New: an active users report you can export",
        "body": (
            "Reports now has an active users report: sign-ins per day over the last 30 days, "
            "which you can export as a CSV file. There is nothing you need to do."
        ),
        "ago": timedelta(days=9),
    },
]


def seed(*, tenant):
    """Add the services, an incident history and two announcements where there are none."""
    now = timezone.now()
    if not Service.objects.exists():
        Service.objects.bulk_create(
            [Service(name=name, position=n) for n, name in enumerate(SERVICES, start=1)]
        )
    services = {service.name: service for service in Service.objects.all()}
    if not Incident.objects.exists() and {RESOLVED["service"], ADVISORY["service"]} <= set(
        services
    ):
        started = now - RESOLVED["ago"]
        incident = Incident.objects.create(
            service=services[RESOLVED["service"]],
            title=RESOLVED["title"],
            status=Incident.Status.RESOLVED,
            started_at=started,
            resolved_at=started + RESOLVED["lasted"],
        )
        IncidentUpdate.objects.bulk_create(
            [
                IncidentUpdate(incident=incident, body=body, posted_at=started + after)
                for after, body in RESOLVED["updates"]
            ]
        )
        started = now - ADVISORY["ago"]
        service = services[ADVISORY["service"]]
        advisory = Incident.objects.create(
            service=service, title=ADVISORY["title"], started_at=started
        )
        after, body = ADVISORY["update"]
        IncidentUpdate.objects.create(incident=advisory, body=body, posted_at=started + after)
        service.status = Service.Status.DEGRADED
        service.save(update_fields=["status"])
    if not Announcement.objects.exists():
        Announcement.objects.bulk_create(
            [
                Announcement(
                    category=item["category"],
                    title=item["title"],
                    body=item["body"],
                    published_at=now - item["ago"],
                )
                for item in ANNOUNCEMENTS
            ]
        )
