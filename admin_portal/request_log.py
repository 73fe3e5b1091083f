"""One structured log line per request, and the request id that ties it together.

Every response carries an ``X-Request-ID`` header, and the 500 and 503 pages
show the same id, so a person can quote it to support and an operator finds
the request's log line (and its error report) by it. The id comes from the
proxy in front (``X-Request-ID``, e.g. nginx's ``$request_id``) when the portal
trusts one (``PORTAL_TRUSTED_PROXIES`` > 0) and the value is a sane token;
otherwise it is made here.

The line, on the ``portal.request`` logger, is one JSON object::

    {"time": "2025-05-01T09:30:12.345Z", "level": "INFO", "logger": "portal.request",
     "message": "request", "request_id": "4f0c...", "method": "GET",
     "path": "/users/", "status": 200, "duration_ms": 12.3,
     "user_id": 42, "organization_id": 7}

The path never has its query string (a search may hold a person's name), and no
name, address or header is logged: only ids.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings

logger = logging.getLogger("portal.request")

HEADER = "X-Request-ID"
# What a proxy's id looks like (a UUID, nginx's 32 hex digits, a trace id): a
# bounded run of letters, digits and a few separators, never anything that could
# break a log line or a page.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def new_request_id():
    """Return a fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def incoming_request_id(request):
    """Return the proxy's request id when it is trusted and sane, else a new one."""
    if settings.PORTAL_TRUSTED_PROXIES > 0:
        value = request.headers.get(HEADER, "")
        if _SANE.fullmatch(value):
            return value
    return new_request_id()


class RequestLogMiddleware:
    """Give each request an id, return it in ``X-Request-ID`` and log one line when done.

    First in ``MIDDLEWARE``, so the line times the whole stack and every
    response (a redirect by a middleware, the 500 page) carries the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = incoming_request_id(request)
        if settings.SENTRY_DSN:
            import sentry_sdk  # noqa: PLC0415 - Sentry is loaded only when SENTRY_DSN is set

            sentry_sdk.set_tag("request_id", request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        user_id, organization_id = _who(request)
        logger.info(
            "request",
            extra={
                "json": {
                    "request_id": request.request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user_id,
                    "organization_id": organization_id,
                }
            },
        )
        return response


def _who(request):
    """Return the ids of the signed-in user and their organization, or Nones.

    Only when the tenant middleware ran (it read the user already): a request
    answered before it (a static file) must not load a session just to log.
    """
    if not hasattr(request, "tenant"):
        return None, None
    user = request.user
    if not user.is_authenticated:
        return None, None
    return user.pk, user.tenant_id


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and its ``json`` extra."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "json", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
