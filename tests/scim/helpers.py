"""What the SCIM tests share: a provisioning client's secret and SCIM calls."""

import json

from accounts.roles import GROUPS_ADMIN, USER_ADMIN
from api.services import api_client_create

SCIM = "application/scim+json"
BASE = "/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def scim_secret(tenant, *roles, name="Entra ID"):
    """The secret of a new API client of ``tenant`` (User admin and Groups admin by default)."""
    return api_client_create(
        tenant=tenant,
        acting_user=None,
        name=name,
        roles=list(roles or (USER_ADMIN, GROUPS_ADMIN)),
        global_admin_confirmed=True,
    )[1]


def scim(client, method, path, secret, body=None, **extra):
    """Send ``body`` as SCIM JSON to ``/scim/v2<path>`` with ``secret``."""
    return getattr(client, method)(
        BASE + path,
        json.dumps(body) if body is not None else None,
        content_type=SCIM,
        headers={"Authorization": f"Bearer {secret}"},
        **extra,
    )


def body(response, status):
    """Assert ``response`` is SCIM JSON of ``status``; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == SCIM
    return json.loads(response.content) if response.content else None


def error(response, status, scim_type=None):
    """Assert ``response`` is a SCIM error of ``status`` (and ``scim_type``); return it."""
    data = body(response, status)
    assert data["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert data["status"] == str(status)
    if scim_type is not None:
        assert data.get("scimType") == scim_type, data
    return data


def patch(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def new_user(domain, local="ann", **fields):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": f"{local}@{domain}",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "displayName": "Ann Lee",
        "active": True,
        **fields,
    }
