"""The REST API at /api/v1/: django-ninja, its OpenAPI schema generated from this code.

A request names its API client with ``Authorization: Bearer <secret>``
(``api.services.client_for_secret``) and acts with that client's roles, through
the same selectors and services as the pages. Errors are RFC 9457 problem
details (``application/problem+json``): 401 without a usable secret, 403 when
the client's roles forbid, 404 for a missing id and another organization's
alike, 422 for input that does not parse.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from accounts.lockout import client_ip
from accounts.models import Domain, User
from accounts.roles import VIEW_DOMAINS, VIEW_USERS, permissions_for_roles
from accounts.selectors import users_reachable_in
from api.models import ApiClient
from api.services import client_for_secret
from core.access import object_or_404
from users import selectors as user_selectors

PROBLEM = "application/problem+json"
MAX_LIMIT = 200


class ClientBearer(HttpBearer):
    """``Authorization: Bearer <secret>`` of a usable API client."""

    openapi_description = "The secret of an API client (Settings > API access)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = client_for_secret(token, address=client_ip(request))
        if client is None:
            return None
        request.api_client = client
        request.tenant = client.tenant
        return client


api = NinjaAPI(
    title="Admin portal API",
    version="1",
    description=(
        "Manage the organization's users and read its domains with an API client's secret "
        "(Settings > API access). Errors are RFC 9457 problem details."
    ),
    urls_namespace="api-v1",
    auth=ClientBearer(),
    docs_url=None,
)


class Problem(Schema):
    """An RFC 9457 problem detail."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, Any]] = Field(default_factory=list)


def problem(status: int, title: str, detail: str = "", errors: list | None = None) -> HttpResponse:
    """Return an ``application/problem+json`` answer."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(
        401, _("Unauthorized"), _("Send a usable API client's secret as a Bearer token.")
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(403, _("Forbidden"), str(error) or _("The client's roles do not allow this."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(404, _("Not found"))


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": ".".join(str(part) for part in item.get("loc", ())), "detail": item.get("msg")}
        for item in error.errors
    ]
    return problem(422, _("Invalid input"), errors=errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return problem(error.status_code, str(error))


def _require(request: HttpRequest, permission: str) -> None:
    if permission not in permissions_for_roles(request.api_client.roles):
        raise PermissionDenied(_("The client's roles do not allow this."))


ERRORS = {401: Problem, 403: Problem, 422: Problem}


# --- users --------------------------------------------------------------------------


class UserOut(Schema):
    id: int
    username: str = Field(description="The sign-in name.")
    display_name: str
    first_name: str
    last_name: str
    job_title: str
    department: str
    office: str
    sign_in_blocked: bool
    created: datetime
    last_sign_in: datetime | None

    @staticmethod
    def of(user: User) -> "UserOut":
        return UserOut(
            id=user.pk,
            username=user.username,
            display_name=user.display_name,
            first_name=user.first_name,
            last_name=user.last_name,
            job_title=user.job_title,
            department=user.department,
            office=user.office,
            sign_in_blocked=user.is_sign_in_blocked,
            created=user.date_joined,
            last_sign_in=user.last_login,
        )


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class UserQuery(Schema):
    q: str = Field("", max_length=user_selectors.SEARCH_MAX_LENGTH, description="Search text.")
    status: str = Field("", description="`allowed` or `blocked`.")
    role: str = Field("", description="A role code, `any` or `none`.")
    license: str = Field("", description="`licensed` or `unlicensed`.")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    cursor: str = Field("", max_length=40)


def _cursor_after(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        after = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise HttpError(422, _("The cursor is not one this API gave.")) from None
    if not 0 <= after < 2**63:
        raise HttpError(422, _("The cursor is not one this API gave."))
    return after


def _cursor_of(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


@api.get(
    "/users",
    response={200: UserPage, **ERRORS},
    tags=["users"],
    summary="List the organization's active users",
)
def list_users(request: HttpRequest, filters: Query[UserQuery]) -> Any:
    """Active users by id, a page at a time, with the Active users page's search and filters."""
    _require(request, VIEW_USERS)
    params = {
        name: getattr(filters, name)
        for name in ("q", "status", "role", "license")
        if getattr(filters, name)
    }
    user_filter = user_selectors.UserFilter(params, tenant=request.tenant)
    if not user_filter.is_valid():
        errors = [
            {"field": field, "detail": str(message)}
            for field, messages in user_filter.errors.items()
            for message in messages
        ]
        return problem(422, _("Invalid input"), errors=errors)
    rows = list(
        # The list's rows carry the page's few fields only: the API gives them all.
        user_filter.qs.defer(None)
        .filter(pk__gt=_cursor_after(filters.cursor))
        .order_by("pk")[: filters.limit + 1]
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return UserPage(
        items=[UserOut.of(user) for user in rows],
        next_cursor=_cursor_of(rows[-1].pk) if more else None,
    )


@api.get(
    "/users/{user_id}",
    response={200: UserOut, 404: Problem, **ERRORS},
    tags=["users"],
    summary="Get an active user",
)
def get_user(request: HttpRequest, user_id: int) -> Any:
    """One active user of the organization; another organization's id is 404."""
    _require(request, VIEW_USERS)
    return UserOut.of(object_or_404(users_reachable_in(request.tenant.pk), user_id))


# --- domains ------------------------------------------------------------------------


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


@api.get(
    "/domains",
    response={200: list[DomainOut], **ERRORS},
    tags=["domains"],
    summary="List the organization's domains",
)
def list_domains(request: HttpRequest) -> Any:
    _require(request, VIEW_DOMAINS)
    return [DomainOut.of(d) for d in Domain.objects.for_tenant(request.tenant).order_by("name")]


def docs(request: HttpRequest) -> HttpResponse:
    """The API's readable docs (Swagger UI from the portal's own static files)."""
    return Swagger(settings={"url": "/api/v1/openapi.json"}).render_page(request, api)
