"""The API's reads of the organization: domains, subscriptions and licenses, audit events."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accounts.models import AuditEvent, Domain
from accounts.roles import VIEW_AUDIT, VIEW_DOMAINS, VIEW_LICENSES, VIEW_SUBSCRIPTIONS
from accounts.selectors import domains_reachable
from api.rest.base import ERRORS, MAX_LIMIT, Problem, cursor_after, cursor_of, require
from billing import selectors as billing_selectors
from billing.models import License

router = Router()


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
    return [DomainOut.of(d) for d in domains_reachable(request.actor).order_by("name")]


class SubscriptionOut(Schema):
    id: int
    product: str = Field(description="The product's name.")
    sku: str
    status: str
    quantity: int = Field(description="Licenses bought.")
    assigned: int
    available: int
    term_end: date = Field(description="The next renewal.")

    @staticmethod
    def of(subscription: Any) -> "SubscriptionOut":
        return SubscriptionOut(
            id=subscription.pk,
            product=subscription.product.name,
            sku=subscription.product.sku,
            status=subscription.status,
            quantity=subscription.quantity,
            assigned=subscription.assigned,
            available=subscription.available,
            term_end=subscription.term_end,
        )


@router.get(
    "/subscriptions",
    response={200: list[SubscriptionOut], **ERRORS},
    tags=["licenses"],
    summary="List the subscriptions and their licenses in use",
)
def list_subscriptions(request: HttpRequest) -> Any:
    require(request, VIEW_SUBSCRIPTIONS)
    subscriptions = billing_selectors.subscriptions_reachable(request.actor)
    return [SubscriptionOut.of(subscription) for subscription in subscriptions]


class LicenseOut(Schema):
    user_id: int
    username: str
    assigned: datetime


@router.get(
    "/subscriptions/{subscription_id}/licenses",
    response={200: list[LicenseOut], 404: Problem, **ERRORS},
    tags=["licenses"],
    summary="List who holds a subscription's licenses",
)
def list_licenses(request: HttpRequest, subscription_id: int) -> Any:
    require(request, VIEW_LICENSES)
    subscription = billing_selectors.access_subscription_by_id(request.actor, subscription_id)
    licenses = (
        License.objects.for_tenant(request.tenant)
        .filter(subscription=subscription)
        .select_related("user")
        .order_by("user__username")
    )
    return [
        LicenseOut(user_id=held.user_id, username=held.user.username, assigned=held.assigned_at)
        for held in licenses
    ]


class EventOut(Schema):
    id: int
    time: datetime
    action: str
    actor: str = Field(description="Who did it: a sign-in name, or api:NAME for an API client.")
    target_type: str
    target_id: str
    target: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class EventQuery(Schema):
    since: datetime | None = Field(None, description="Only events at or after this time.")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    cursor: str = Field("", max_length=40)


@router.get(
    "/audit-events",
    response={200: EventPage, **ERRORS},
    tags=["audit"],
    summary="Read the audit log, oldest first",
)
def list_events(request: HttpRequest, page: Query[EventQuery]) -> Any:
    """The organization's audit events in the order they happened, a page at a time.

    Keep the last `next_cursor` to read only what happened since.
    """
    require(request, VIEW_AUDIT)
    events = AuditEvent.objects.for_tenant(request.tenant).filter(pk__gt=cursor_after(page.cursor))
    if page.since is not None:
        events = events.filter(created_at__gte=page.since)
    rows = list(events.order_by("pk")[: page.limit + 1])
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return EventPage(
        items=[
            EventOut(
                id=event.pk,
                time=event.created_at,
                action=event.action,
                actor=event.actor_label,
                target_type=event.target_type,
                target_id=event.target_id,
                target=event.target_label,
                old_values=event.old_values,
                new_values=event.new_values,
            )
            for event in rows
        ],
        next_cursor=cursor_of(rows[-1].pk) if more else None,
    )
