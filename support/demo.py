"""Demo data of the Support area, added by ``manage.py seed_demo`` (idempotent).

Two service requests: one answered by support and waiting for the admin, one
closed. Support's answers are written as an operator's would be, without the
email an operator's answer sends.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.management.commands.seed_demo import demo_account
from support import services
from support.models import RequestMessage, ServiceRequest

REQUESTS = [
    {
        "by": "support",
        "title": "Invoice emails go to a former colleague",
        "description": (
            "Our invoice emails still go to an address of someone who left last year. "
            "How do we send them to the finance team instead?"
        ),
        "severity": ServiceRequest.Severity.LOW,
        "ago": timedelta(days=12),
        "answer": (
            "Invoice emails go to the recipients under Billing > Billing accounts; with none "
            "chosen they go to your Global and Billing admins. Replace the old address there "
            "and the next invoice goes to the new one. We'll close this request now."
        ),
        "closed": True,
    },
    {
        "by": "admin",
        "title": "Shared mailbox not visible for new members",
        "description": (
            "We added three people to the Customer service mailbox yesterday, but they "
            "still don't see it in their mail. Members added last month see it fine."
        ),
        "severity": ServiceRequest.Severity.NORMAL,
        "ago": timedelta(days=2),
        "answer": (
            "Thanks for the details. New members of a shared mailbox can take up to a day "
            "to see it. Could you tell us whether they see it now? If not, send us the "
            "sign-in names of two of them and we'll look at their accounts."
        ),
        "closed": False,
    },
]


def seed(*, tenant):
    """Open the demo requests that the organization does not have yet."""
    existing = set(ServiceRequest.objects.for_tenant(tenant).values_list("title", flat=True))
    now = timezone.now()
    for item in REQUESTS:
        if item["title"] in existing:
            continue
        admin = demo_account(tenant, item["by"])
        service_request = services.request_open(
            tenant=tenant,
            acting_user=admin,
            title=item["title"],
            description=item["description"],
            severity=item["severity"],
            contact_phone="",
            contact_email=admin.username,
        )
        opened = now - item["ago"]
        ServiceRequest.objects.filter(pk=service_request.pk).update(created_at=opened)
        RequestMessage.objects.create(
            request=service_request,
            from_support=True,
            body=item["answer"],
            created_at=opened + timedelta(hours=3),
        )
        ServiceRequest.objects.filter(pk=service_request.pk).update(
            status=ServiceRequest.Status.ANSWERED
        )
        if item["closed"]:
            services.request_close(
                tenant=tenant, acting_user=admin, service_request=service_request
            )
