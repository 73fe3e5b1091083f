"""Health checks and the portal-styled error pages."""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.views.decorators.cache import never_cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Errors that mean "the database or Redis is not answering now", not "this request
# is wrong". With Redis away nothing that counts (sign-in failures, codes sent) can
# be counted, so those requests fail closed, with this page, rather than go on
# uncounted.
SERVICE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)
RETRY_AFTER_SECONDS = 10


@never_cache
def healthz(request):
    """Answer 200 while the process runs."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Answer 200 when the database and the cache answer, else 503."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        cache.set("readyz", "1", timeout=5)
        checks["cache"] = "ok" if cache.get("readyz") == "1" else "error: no round trip"
    except Exception as error:
        checks["cache"] = f"error: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """Render the error page; a database or Redis that does not answer gets a 503, not a 500.

    Django calls this inside its ``except`` block, so the exception is at hand.
    No request context: the error may come from the database or the session.
    Both pages show the request id, for the person to quote to support.
    """
    request_id = getattr(request, "request_id", "")
    # The id a person quotes to support; the log line and the error report carry it too.
    context = {"product_name": settings.PORTAL_PRODUCT_NAME, "request_id": request_id}
    error = sys.exc_info()[1]
    if isinstance(error, SERVICE_UNAVAILABLE):
        logger.warning(
            "Service unavailable: %s on %s (request %s)",
            type(error).__name__,
            request.path,
            request_id,
        )
        response = HttpResponse(get_template("503.html").render(context), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(get_template("500.html").render(context))
