"""The API's reads of the organization: its domains."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.models import Domain
from accounts.roles import VIEW_DOMAINS
from api.rest.base import ERRORS, require

router = Router(tags=["domains"])


class DomainOut(Schema):
    id: int
    name: str
    verified: bool
    default: bool

    @staticmethod
    def of(domain: Domain) -> "DomainOut":
        return DomainOut(
            id=domain.pk,
            name=domain.name,
            verified=domain.is_verified,
            default=domain.is_default,
        )


@router.get(
    "/domains",
    response={200: list[DomainOut], **ERRORS},
    tags=["domains"],
    summary="List the organization's domains",
)
def list_domains(request: HttpRequest) -> Any:
    require(request, VIEW_DOMAINS)
    return [DomainOut.of(d) for d in Domain.objects.for_tenant(request.tenant).order_by("name")]
