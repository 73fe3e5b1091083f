"""SCIM discovery, the client's secret and rights, and errors in SCIM's format."""

import pytest

from accounts.roles import GROUPS_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from api.models import ApiClient
from api.services import api_client_revoke
from tests.scim.helpers import BASE, ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA, body, error, scim
from tests.scim.helpers import scim_secret as secret_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(tenant):
    return secret_of(tenant)


def test_service_provider_config_says_what_is_supported(client, secret):
    config = body(scim(client, "get", "/ServiceProviderConfig", secret), 200)
    assert config["patch"]["supported"] is True
    assert config["filter"] == {"supported": True, "maxResults": 1000}
    assert config["bulk"]["supported"] is False
    assert config["sort"]["supported"] is False
    assert config["etag"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas(client, secret):
    types = body(scim(client, "get", "/ResourceTypes", secret), 200)
    assert {t["id"]: t["endpoint"] for t in types["Resources"]} == {
        "User": "/Users",
        "Group": "/Groups",
    }
    user_type = body(scim(client, "get", "/ResourceTypes/User", secret), 200)
    assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    schemas = body(scim(client, "get", "/Schemas", secret), 200)
    assert [s["id"] for s in schemas["Resources"]] == [USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA]
    user = body(scim(client, "get", f"/Schemas/{USER_SCHEMA}", secret), 200)
    names = {a["name"]: a for a in user["attributes"]}
    assert set(names) == {"userName", "name", "displayName", "title", "active", "phoneNumbers"}
    assert names["userName"]["uniqueness"] == "server"
    assert names["userName"]["caseExact"] is False
    assert user["meta"]["location"].endswith(f"{BASE}/Schemas/{USER_SCHEMA}")


@pytest.mark.parametrize(
    "path", ["/ResourceTypes/Nope", "/Schemas/urn:nope", "/Nothing/here", "/Users/abc", "/Groups/5"]
)
def test_unknown_addresses_are_scim_404s(client, secret, path):
    error(scim(client, "get", path, secret), 404)


@pytest.mark.parametrize("path", ["/Bulk", "/Me", "/Me/x"])
def test_bulk_and_me_are_not_offered(client, secret, path):
    error(scim(client, "post", path, secret, {}), 501)
    error(scim(client, "get", path, secret), 501)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_discovery_is_read_only(client, secret, method):
    for path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        error(scim(client, method, path, secret, {}), 405)


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer nope", "Basic abc", "Bearer portal_0_x"]
)
def test_a_missing_or_bad_secret_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{BASE}/Users", headers=headers)
    data = error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
    assert data["detail"]


def test_a_revoked_client_is_refused_at_once(client, tenant, secret):
    body(scim(client, "get", "/Users", secret), 200)
    api_client_revoke(tenant=tenant, acting_user=None, client=ApiClient.objects.get(tenant=tenant))
    error(scim(client, "get", "/Users", secret), 401)


def test_users_need_the_user_admins_rights_and_groups_the_groups_admins(client, tenant):
    helpdesk = secret_of(tenant, HELPDESK_ADMIN, name="Helpdesk script")
    error(scim(client, "get", "/Users", helpdesk), 403)
    error(scim(client, "post", "/Users", helpdesk, {"userName": "x"}), 403)
    error(scim(client, "get", "/Groups", helpdesk), 403)
    user_admin = secret_of(tenant, USER_ADMIN, name="User admin")
    body(scim(client, "get", "/Users", user_admin), 200)
    body(scim(client, "get", "/Groups", user_admin), 200)  # a User admin manages groups too
    groups_only = secret_of(tenant, GROUPS_ADMIN, name="Groups only")
    body(scim(client, "get", "/Groups", groups_only), 200)
    error(scim(client, "get", "/Users", groups_only), 403)
    # A search over every type covers those the client may read, and none is 403.
    found = body(scim(client, "post", "/.search", groups_only, {}), 200)
    assert all(r["schemas"] == [GROUP_SCHEMA] for r in found["Resources"])
    error(scim(client, "post", "/.search", helpdesk, {}), 403)


def test_over_the_rate_limit_is_429_with_retry_after(client, secret, settings):
    settings.PORTAL_API_RATE_LIMIT = 2
    body(scim(client, "get", "/Users", secret), 200)
    body(scim(client, "get", "/Users", secret), 200)
    response = scim(client, "get", "/Users", secret)
    error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_nul_in_the_query_string_is_a_scim_400(client, secret):
    response = client.get(f"{BASE}/Users?filter=%00", headers={"Authorization": f"Bearer {secret}"})
    error(response, 400, "invalidValue")


@pytest.mark.parametrize("payload", [b"{", b"[]", b'"text"', b"\xff", b"[" * 100000])
def test_a_body_that_is_not_a_json_object_is_invalid_syntax(client, secret, payload):
    response = client.post(
        f"{BASE}/Users",
        payload,
        content_type="application/scim+json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    error(response, 400, "invalidSyntax")


@pytest.mark.parametrize("text", ["\ud800", "a\x00b"], ids=["surrogate", "nul"])
def test_a_string_no_database_keeps_is_an_invalid_value(client, tenant, secret, text):
    domain = tenant.domain_set.get(is_default=True).name
    data = {"userName": f"ann@{domain}", "displayName": "Ann", "title": text}
    error(scim(client, "post", "/Users", secret, data), 400, "invalidValue")
    search = {"filter": f'title eq "{text}"'}
    assert scim(client, "post", "/.search", secret, search).status_code == 400
