"""Writes of the Support area."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Tenant, User, acting_person
from accounts.roles import OPEN_SUPPORT_REQUESTS
from core import outbox
from core.exceptions import Forbidden
from support.models import RequestMessage, ServiceRequest


def _require(acting_user: User, tenant: Tenant) -> None:
    if not acting_user.has_perm(OPEN_SUPPORT_REQUESTS) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't open service requests."))


@transaction.atomic
def request_open(
    *,
    tenant: Tenant,
    acting_user: User,
    title: str,
    description: str,
    severity: str,
    contact_phone: str,
    contact_email: str,
    request: HttpRequest | None = None,
) -> ServiceRequest:
    """Open a service request; return it."""
    _require(acting_user, tenant)
    service_request = ServiceRequest(
        tenant=tenant,
        created_by=acting_person(acting_user),
        title=title,
        description=description,
        severity=severity,
        contact_phone=contact_phone,
        contact_email=contact_email,
    )
    service_request.full_clean()
    service_request.save()
    audit_record(
        action="support.request.open",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=service_request,
        new={"severity": severity},
    )
    return service_request


@transaction.atomic
def request_reply(
    *,
    tenant: Tenant,
    acting_user: User,
    service_request: ServiceRequest,
    body: str,
    request: HttpRequest | None = None,
) -> None:
    """Add the organization's message to the conversation; it waits for support again."""
    _require(acting_user, tenant)
    if service_request.status == ServiceRequest.Status.CLOSED:
        raise ValidationError(_("This request is closed."), code="closed")
    RequestMessage.objects.create(request=service_request, author=acting_user, body=body)
    ServiceRequest.objects.filter(pk=service_request.pk).update(status=ServiceRequest.Status.OPEN)
    audit_record(
        action="support.request.reply",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=service_request,
    )


@transaction.atomic
def request_close(
    *,
    tenant: Tenant,
    acting_user: User,
    service_request: ServiceRequest,
    request: HttpRequest | None = None,
) -> None:
    """Close the request: support stops working on it."""
    _require(acting_user, tenant)
    ServiceRequest.objects.filter(pk=service_request.pk).update(status=ServiceRequest.Status.CLOSED)
    audit_record(
        action="support.request.close",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=service_request,
    )


def support_answered(message: RequestMessage) -> None:
    """Tell the requester that support answered (called when an operator adds an answer)."""
    service_request = message.request
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        status=ServiceRequest.Status.ANSWERED
    )
    subject = _("Support answered your request: %(title)s") % {"title": service_request.title}
    body = _("%(answer)s\n\nReply or close the request here: %(url)s") % {
        "answer": message.body,
        "url": f"{settings.PORTAL_BASE_URL}{service_request.get_absolute_url()}",
    }
    recipient = service_request.contact_email
    transaction.on_commit(
        lambda: outbox.send_email(
            EmailMessage(subject, body, to=[recipient]), kind="support answer"
        )
    )
