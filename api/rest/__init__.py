"""The REST API at /api/v1/: django-ninja, its OpenAPI schema generated from this code.

``base`` holds the API object, the client's secret and the problem details; each
other module adds a router of operations.
"""

from django.http import HttpRequest, HttpResponse
from ninja import Swagger

from api.rest import directory, groups, users
from api.rest.base import api

api.add_router("", users.router)
api.add_router("", groups.router)
api.add_router("", directory.router)

__all__ = ["api", "docs"]


def docs(request: HttpRequest) -> HttpResponse:
    """The API's readable docs (Swagger UI from the portal's own static files)."""
    return Swagger().render_page(request, api)
