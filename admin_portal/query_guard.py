"""Refuse a query string that carries a NUL character, before any view reads it.

No search box, filter or link of the portal ever sends one, and PostgreSQL
cannot hold one in a text value: a view that passed it on to a query would
answer 500. Forms refuse it at the field (Django's CharField does); this
covers every other read of ``request.GET``, once.
"""

import json

from django.core.exceptions import BadRequest
from django.http import HttpResponse

# Paths whose clients read JSON: they get the refusal as a problem detail (RFC 9457),
# or SCIM's error message under /scim/.
JSON_PATHS = ("/api/", "/scim/")


class QueryStringGuardMiddleware:
    """Answer 400 to a request whose query string holds a NUL character (``%00``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            if request.path.startswith("/scim/"):
                body = {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": "400",
                    "scimType": "invalidValue",
                    "detail": "NUL character in the query string.",
                }
                return HttpResponse(
                    json.dumps(body), status=400, content_type="application/scim+json"
                )
            if request.path.startswith(JSON_PATHS):
                body = {"type": "about:blank", "title": "Bad request", "status": 400}
                body["detail"] = "NUL character in the query string."
                return HttpResponse(
                    json.dumps(body), status=400, content_type="application/problem+json"
                )
            raise BadRequest("NUL character in the query string.")
        return self.get_response(request)
