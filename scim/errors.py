"""SCIM's error answer (RFC 7644, section 3.12)."""

import json

from django.http import HttpResponse

from scim import schema

CONTENT_TYPE = "application/scim+json"


class ScimError(Exception):
    """A refusal answered as a SCIM error: ``status``, ``scim_type`` (or "") and ``detail``."""

    def __init__(self, status: int, scim_type: str = "", detail: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail

    def response(self) -> HttpResponse:
        return error_response(self.status, self.scim_type, self.detail)


def error_response(status: int, scim_type: str = "", detail: str = "") -> HttpResponse:
    body = {"schemas": [schema.ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def storable(text: str) -> bool:
    """Whether a database keeps ``text`` as it is: no NUL, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
