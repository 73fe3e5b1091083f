"""Reads on service requests. Every read takes the acting user or the tenant."""

from django.db.models import QuerySet

from accounts.models import User
from core.access import object_or_404
from support.models import ServiceRequest


def service_requests_reachable(actor: User) -> QuerySet[ServiceRequest]:
    """Return the service requests ``actor`` may name by id: their organization's."""
    return ServiceRequest.objects.for_tenant(actor.tenant)


def access_service_request_by_id(actor: User, request_id: object) -> ServiceRequest:
    """Return the service request ``request_id`` of ``actor``'s organization, or raise Http404.

    Another organization's id looks exactly like a missing one.
    """
    return object_or_404(service_requests_reachable(actor), request_id)
