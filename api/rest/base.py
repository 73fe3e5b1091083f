"""The REST API's base: the API object, the client's secret, problem details, helpers.

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
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from accounts.lockout import client_ip
from accounts.roles import permissions_for_roles
from api.actor import ApiActor
from api.models import ApiClient
from api.services import client_for_secret

PROBLEM = "application/problem+json"
MAX_LIMIT = 200


class RateLimited(Exception):
    """A client over its requests a minute; ``retry_after`` seconds until the next minute."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


def count_request(client: ApiClient) -> None:
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
        count_request(client)
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


def require(request: HttpRequest, permission: str) -> None:
    if permission not in permissions_for_roles(request.api_client.roles):
        raise PermissionDenied(_("The client's roles do not allow this."))


ERRORS = {400: Problem, 401: Problem, 403: Problem, 422: Problem, 429: Problem}
WRITE_ERRORS = {**ERRORS, 404: Problem, 409: Problem}


def cursor_after(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        after = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise HttpError(422, _("The cursor is not one this API gave.")) from None
    if not 0 <= after < 2**63:
        raise HttpError(422, _("The cursor is not one this API gave."))
    return after


def cursor_of(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def etag(body: Schema) -> str:
    return '"' + hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32] + '"'


def tagged(response: HttpResponse, body: Schema) -> Schema:
    """Return ``body``, its ``ETag`` on ``response`` (for ``If-Match`` on a change)."""
    response["ETag"] = etag(body)
    return body


def stale(request: HttpRequest, current: Schema) -> bool:
    """Return whether the request's ``If-Match`` names another version than ``current``."""
    expected = (request.headers.get("If-Match") or "").strip()
    return bool(expected) and expected != "*" and expected != etag(current)
