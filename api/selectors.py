"""Reads of API clients, for the organization asking."""

from django.db.models import QuerySet

from accounts.models import User
from api.models import ApiClient
from core.access import object_or_404


def api_clients(tenant_id: int) -> QuerySet[ApiClient]:
    """Return the organization's API clients, revoked ones included, by name."""
    return ApiClient.objects.for_tenant(tenant_id).select_related("created_by")


def access_api_client_by_id(actor: User, client_id: object) -> ApiClient:
    """Return the API client ``client_id`` of ``actor``'s organization, or raise Http404."""
    return object_or_404(api_clients(actor.tenant_id), client_id)
