"""End to end in Chromium: an identity provider provisions people and a group over SCIM.

The provider's calls go over HTTP to the live server, as Entra ID's would; the
admins then see the result in the portal: the person, "Provisioned by", the
group with its member, the audit log naming the client, and a blocked and then
deleted person, in English and in Dutch.
"""

import json

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN, GROUPS_ADMIN, USER_ADMIN
from api.services import api_client_create
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SCIM = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Provider:
    """An identity provider's SCIM calls, over HTTP from the browser's request context."""

    def __init__(self, page, live_server, secret):
        self.request = page.request
        self.base = f"{live_server.url}/scim/v2"
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": SCIM}

    def call(self, method, path, body=None, status=200):
        response = self.request.fetch(
            self.base + path,
            method=method,
            headers=self.headers,
            data=json.dumps(body) if body is not None else None,
        )
        assert response.status == status, response.text()
        return response.json() if response.text() else None


def test_people_and_a_group_are_provisioned_blocked_and_removed(page, live_server, sign_in, shot):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Adele Admin")
    _client, secret = api_client_create(
        tenant=tenant, acting_user=None, name="Entra ID", roles=[USER_ADMIN, GROUPS_ADMIN]
    )
    provider = Provider(page, live_server, secret)
    # Entra ID looks the person up first, finds nobody, and creates them.
    lookup = provider.call("GET", '/Users?filter=userName eq "Megan.Bowen@contoso.example"')
    assert lookup["totalResults"] == 0
    megan = provider.call(
        "POST",
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "Megan.Bowen@contoso.example",
            "externalId": "7f3c-entra",
            "active": True,
            "displayName": "Megan Bowen",
            "title": "Marketing Manager",
            "name": {"givenName": "Megan", "familyName": "Bowen"},
            "emails": [{"primary": True, "type": "work", "value": "megan@contoso.example"}],
        },
        status=201,
    )
    group = provider.call(
        "POST",
        "/Groups",
        {"displayName": "Marketing", "externalId": "grp-1", "members": [{"value": megan["id"]}]},
        status=201,
    )

    sign_in("admin@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/users/")
    page.get_by_role("link", name="Megan Bowen").click()
    expect(page.get_by_test_id("provisioned-by")).to_have_text(
        "Provisioned by Entra ID (external id 7f3c-entra)"
    )
    expect(page.get_by_text("Marketing Manager")).to_be_visible()
    expect(page.get_by_role("link", name="Marketing")).to_be_visible()
    shot("scim-provisioned-user")

    # The directory blocks her: the portal shows it at once.
    provider.call(
        "PATCH",
        f"/Users/{megan['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
    )
    page.reload()
    expect(page.get_by_text("Sign-in blocked").first).to_be_visible()

    page.goto(f"{live_server.url}/audit/")
    expect(page.get_by_text("api:Entra ID").first).to_be_visible()
    shot("scim-audit-log")

    # She leaves: deleted, and restorable under Deleted users.
    provider.call("DELETE", f"/Users/{megan['id']}", status=204)
    provider.call("DELETE", f"/Groups/{group['id']}", status=204)
    page.goto(f"{live_server.url}/users/deleted/")
    expect(page.get_by_text("Megan Bowen")).to_be_visible()


def test_a_user_admin_reads_provisioned_by_in_dutch(page, live_server, sign_in, shot):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "helga", roles=[USER_ADMIN], preferred_language="nl")
    _client, secret = api_client_create(
        tenant=tenant, acting_user=None, name="Okta", roles=[USER_ADMIN]
    )
    provider = Provider(page, live_server, secret)
    person = provider.call(
        "POST",
        "/Users",
        {"userName": "test.user@contoso.example", "displayName": "Test User", "active": True},
        status=201,
    )
    sign_in("helga@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/users/{person['id']}/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_test_id("provisioned-by")).to_have_text("Ingericht door Okta")
    shot("scim-provisioned-user-nl")
