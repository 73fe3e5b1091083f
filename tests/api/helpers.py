"""What the REST API's tests share: a client's secret, a JSON call, a problem detail."""

import json

from accounts.roles import USER_ADMIN
from api.services import api_client_create

PROBLEM = "application/problem+json"


def api_secret(tenant, *roles, name="Script", default=(USER_ADMIN,)):
    """Return the secret of a new API client of ``tenant`` acting with ``roles``."""
    return api_client_create(
        tenant=tenant,
        acting_user=None,
        name=name,
        roles=list(roles or default),
        global_admin_confirmed=True,
    )[1]


def call(client, method, path, secret, body=None, **headers):
    """Send ``body`` as JSON with ``secret`` as the Bearer token."""
    return getattr(client, method)(
        path,
        json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", **headers},
    )


def problem(response, status):
    """Assert ``response`` is an RFC 9457 problem detail of ``status``; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status and body["title"]
    return body
