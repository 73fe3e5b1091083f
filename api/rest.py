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
import hashlib
import json
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from accounts.lockout import client_ip
from accounts.models import Domain, User
from accounts.roles import VIEW_DOMAINS, VIEW_USERS, permissions_for_roles
from accounts.selectors import users_reachable_in
from api.actor import ApiActor
from api.models import ApiClient
from api.services import client_for_secret
from billing import selectors as billing_selectors
from billing import services as billing_services
from core.access import object_or_404
from users import selectors as user_selectors
from users import services as user_services

PROBLEM = "application/problem+json"
MAX_LIMIT = 200


class RateLimited(Exception):
    """A client over its requests a minute; ``retry_after`` seconds until the next minute."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


def _count_request(client: ApiClient) -> None:
    """Count a request of ``client`` in this minute (shared cache); raise RateLimited over it."""
    now = time.time()
    minute = int(now // 60)
    key = f"api:rate:{client.pk}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr (evicted): this request starts it again
        cache.set(key, 1, timeout=120)
        count = 1
    if count > settings.PORTAL_API_RATE_LIMIT:
        raise RateLimited(max(1, 60 * (minute + 1) - int(now)))


class ClientBearer(HttpBearer):
    """``Authorization: Bearer <secret>`` of a usable API client."""

    openapi_description = "The secret of an API client (Settings > API access)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = client_for_secret(token, address=client_ip(request))
        if client is None:
            return None
        _count_request(client)
        request.api_client = client
        request.tenant = client.tenant
        request.actor = ApiActor(client)
        return client


class PortalAPI(NinjaAPI):
    """django-ninja's API, its errors documented as the problem details they are."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for code, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        answer["content"] = {PROBLEM: content["application/json"]}
        return schema


api = PortalAPI(
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


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    response = problem(
        429,
        _("Too many requests"),
        _("This client made more requests this minute than it may. Try again later."),
    )
    response["Retry-After"] = str(error.retry_after)
    return response


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


# A rule the data breaks that another request could have caused: 409, not 422.
CONFLICT_CODES = frozenset(
    {"name_taken", "unique", "last_global_admin", "no_licenses", "expired", "revoked"}
)


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    if hasattr(error, "error_dict"):
        items = [(field, item) for field, items in error.error_dict.items() for item in items]
    else:
        items = [("", item) for item in error.error_list]
    return [
        {"field": "" if field == "__all__" else field, "code": item.code or "invalid"}
        | {"detail": " ".join(item.messages)}
        for field, item in items
    ]


@api.exception_handler(ValidationError)
def _refused_by_the_data(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = _field_errors(error)
    if {item["code"] for item in errors} & CONFLICT_CODES:
        return problem(409, _("Conflict"), errors[0]["detail"], errors)
    return problem(422, _("Invalid input"), errors=errors)


def _require(request: HttpRequest, permission: str) -> None:
    if permission not in permissions_for_roles(request.api_client.roles):
        raise PermissionDenied(_("The client's roles do not allow this."))


ERRORS = {401: Problem, 403: Problem, 422: Problem, 429: Problem}
WRITE_ERRORS = {**ERRORS, 404: Problem, 409: Problem}


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
    roles: list[str] = Field(description="Role codes, as on the Roles page.")
    created: datetime
    last_sign_in: datetime | None

    @staticmethod
    def of(user: User) -> "UserOut":
        return UserOut(
            roles=sorted(user.role_codes),
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
        .with_role_codes()
        .filter(pk__gt=_cursor_after(filters.cursor))
        .order_by("pk")[: filters.limit + 1]
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return UserPage(
        items=[UserOut.of(user) for user in rows],
        next_cursor=_cursor_of(rows[-1].pk) if more else None,
    )


def _user(request: HttpRequest, user_id: int, *, deleted: bool = False) -> User:
    """The organization's (active or deleted) user ``user_id``, read afresh, or 404."""
    users = users_reachable_in(request.tenant.pk, deleted=deleted).with_role_codes()
    return object_or_404(users, user_id)


def _etag(body: Schema) -> str:
    return '"' + hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32] + '"'


def _tagged(response: HttpResponse, user: User) -> UserOut:
    body = UserOut.of(user)
    response["ETag"] = _etag(body)
    return body


@api.get(
    "/users/{user_id}",
    response={200: UserOut, 404: Problem, **ERRORS},
    tags=["users"],
    summary="Get an active user",
)
def get_user(request: HttpRequest, response: HttpResponse, user_id: int) -> Any:
    """One active user of the organization, with an `ETag` for `If-Match` on a change.

    Another organization's id is 404, as a missing one.
    """
    _require(request, VIEW_USERS)
    return _tagged(response, _user(request, user_id))


class UserCreateIn(Schema):
    username: str = Field(max_length=254, description="The sign-in name, in a verified domain.")
    display_name: str = Field(max_length=256)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    job_title: str = Field("", max_length=128)
    department: str = Field("", max_length=128)
    office: str = Field("", max_length=128)
    roles: list[str] = Field(default_factory=list, description="Role codes to give.")
    licenses: list[int] = Field(
        default_factory=list, description="Ids of subscriptions whose license to give."
    )


class UserCreated(Schema):
    user: UserOut
    temporary_password: str = Field(
        description="Shown only in this answer; to be changed at the first sign-in."
    )


@api.post(
    "/users",
    response={201: UserCreated, **WRITE_ERRORS},
    tags=["users"],
    summary="Add a user",
)
def create_user(request: HttpRequest, body: UserCreateIn) -> Any:
    """Add a user with a generated password (changed at their first sign-in)."""
    subscriptions = [
        billing_selectors.access_live_subscription_by_id(request.actor, pk) for pk in body.licenses
    ]
    user, password = user_services.user_create(
        tenant=request.tenant,
        acting_user=request.actor,
        username=body.username,
        display_name=body.display_name,
        first_name=body.first_name,
        last_name=body.last_name,
        roles=body.roles,
        subscriptions=subscriptions,
        profile={
            "job_title": body.job_title,
            "department": body.department,
            "office": body.office,
        },
        request=request,
    )
    return Status(
        201, UserCreated(user=UserOut.of(_user(request, user.pk)), temporary_password=password)
    )


class UserChangeIn(Schema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    display_name: str | None = Field(None, max_length=256)
    job_title: str | None = Field(None, max_length=128)
    department: str | None = Field(None, max_length=128)
    office: str | None = Field(None, max_length=128)


@api.patch(
    "/users/{user_id}",
    response={200: UserOut, 412: Problem, **WRITE_ERRORS},
    tags=["users"],
    summary="Change a user's profile",
)
def change_user(
    request: HttpRequest, response: HttpResponse, user_id: int, body: UserChangeIn
) -> Any:
    """Change the fields given. With `If-Match`, only if the user is as that `ETag` says."""
    _require(request, VIEW_USERS)
    user = _user(request, user_id)
    expected = request.headers.get("If-Match")
    if expected and expected.strip() != "*" and expected.strip() != _etag(UserOut.of(user)):
        return problem(412, _("Changed since you read it"), _("Read the user again."))
    changes = body.model_dump(exclude_none=True)
    user_services.user_update(
        tenant=request.tenant, acting_user=request.actor, user=user, request=request, **changes
    )
    return _tagged(response, _user(request, user_id))


def _block(request: HttpRequest, response: HttpResponse, user_id: int, blocked: bool) -> UserOut:
    _require(request, VIEW_USERS)
    user = _user(request, user_id)
    user_services.users_sign_in_block(
        tenant=request.tenant,
        acting_user=request.actor,
        users=[user],
        blocked=blocked,
        request=request,
    )
    return _tagged(response, _user(request, user_id))


@api.post(
    "/users/{user_id}/block",
    response={200: UserOut, **WRITE_ERRORS},
    tags=["users"],
    summary="Block a user's sign-in",
)
def block_user(request: HttpRequest, response: HttpResponse, user_id: int) -> Any:
    """Block sign-in; the user's sessions end at their next request."""
    return _block(request, response, user_id, True)


@api.post(
    "/users/{user_id}/allow",
    response={200: UserOut, **WRITE_ERRORS},
    tags=["users"],
    summary="Allow a user's sign-in again",
)
def allow_user(request: HttpRequest, response: HttpResponse, user_id: int) -> Any:
    return _block(request, response, user_id, False)


@api.delete(
    "/users/{user_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["users"],
    summary="Delete a user (restorable for 30 days)",
)
def delete_user(request: HttpRequest, user_id: int) -> Any:
    _require(request, VIEW_USERS)
    user_services.users_delete(
        tenant=request.tenant, acting_user=request.actor, users=[_user(request, user_id)]
    )
    return Status(204, None)


class RestoreIn(Schema):
    username: str = Field(max_length=254, description="The sign-in name to restore them as.")


@api.post(
    "/deleted-users/{user_id}/restore",
    response={200: UserCreated, **WRITE_ERRORS},
    tags=["users"],
    summary="Restore a deleted user",
)
def restore_user(request: HttpRequest, user_id: int, body: RestoreIn) -> Any:
    """Bring a user deleted in the last 30 days back, with a new temporary password."""
    _require(request, VIEW_USERS)
    restored = user_services.user_restore(
        tenant=request.tenant,
        acting_user=request.actor,
        user=_user(request, user_id, deleted=True),
        username=body.username,
        request=request,
    )
    return UserCreated(
        user=UserOut.of(_user(request, user_id)), temporary_password=restored.password
    )


class TemporaryPassword(Schema):
    temporary_password: str = Field(description="Shown only in this answer.")


@api.post(
    "/users/{user_id}/reset-password",
    response={200: TemporaryPassword, **WRITE_ERRORS},
    tags=["users"],
    summary="Reset a user's password",
)
def reset_password(request: HttpRequest, user_id: int) -> Any:
    """Give the user a generated password, changed at their next sign-in.

    The same table as on the pages decides whose password the client's roles reset.
    """
    _require(request, VIEW_USERS)
    [(_person, password)] = user_services.users_password_reset(
        tenant=request.tenant,
        acting_user=request.actor,
        users=[_user(request, user_id)],
        request=request,
    )
    return TemporaryPassword(temporary_password=password)


class RolesIn(Schema):
    roles: list[str] = Field(description="The user's role codes, all of them.")


@api.put(
    "/users/{user_id}/roles",
    response={200: UserOut, **WRITE_ERRORS},
    tags=["users"],
    summary="Set a user's roles",
)
def set_roles(request: HttpRequest, response: HttpResponse, user_id: int, body: RolesIn) -> Any:
    """Make these the user's roles, within the client's rights (all or nothing)."""
    _require(request, VIEW_USERS)
    user_services.user_roles_set(
        tenant=request.tenant,
        acting_user=request.actor,
        user=_user(request, user_id),
        roles=body.roles,
        request=request,
    )
    return _tagged(response, _user(request, user_id))


@api.put(
    "/users/{user_id}/licenses/{subscription_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["users"],
    summary="Give a user a license",
)
def assign_license(request: HttpRequest, user_id: int, subscription_id: int) -> Any:
    """Give the user a license of the subscription (nothing changes if they hold one)."""
    billing_services.license_assign(
        tenant=request.tenant,
        acting_user=request.actor,
        subscription=billing_selectors.access_subscription_by_id(request.actor, subscription_id),
        users=[_user(request, user_id)],
        request=request,
    )
    return Status(204, None)


@api.delete(
    "/users/{user_id}/licenses/{subscription_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["users"],
    summary="Take a user's license away",
)
def unassign_license(request: HttpRequest, user_id: int, subscription_id: int) -> Any:
    billing_services.license_unassign(
        tenant=request.tenant,
        acting_user=request.actor,
        subscription=billing_selectors.access_subscription_by_id(request.actor, subscription_id),
        users=[_user(request, user_id)],
        request=request,
    )
    return Status(204, None)


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
