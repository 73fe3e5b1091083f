"""End to end in Chromium: a Global admin adds an API client, a script uses it, it is revoked."""

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def users_answer(page, live_server, secret):
    return page.request.get(
        f"{live_server.url}/api/v1/users", headers={"Authorization": f"Bearer {secret}"}
    )


def test_an_api_client_is_added_used_and_revoked(page, live_server, sign_in, shot):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Adele Admin")
    make_user(tenant, "megan", display_name="Megan Bowen")
    sign_in("admin@contoso.example", PASSWORD)

    page.locator("summary", has_text="Settings").click()
    page.get_by_role("link", name="API access").click()
    expect(page.get_by_role("heading", name="API access")).to_be_visible()
    page.get_by_test_id("add-api-client").click()
    page.get_by_label("Name").fill("HR sync")
    page.get_by_label("Global admin", exact=True).check()
    page.get_by_role("button", name="Add API client").click()
    # Global admin must be confirmed explicitly.
    expect(
        page.get_by_text("Confirm that this client may act as a Global admin.", exact=True)
    ).to_be_visible()
    shot("api-add-errors")
    page.get_by_label("Global admin", exact=True).uncheck()
    page.get_by_label("User admin", exact=True).check()
    page.get_by_role("button", name="Add API client").click()

    expect(page.get_by_test_id("shown-once")).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text().strip()
    shot("api-secret")
    answer = users_answer(page, live_server, secret)
    assert answer.status == 200
    assert "megan@contoso.example" in answer.text()

    page.get_by_role("link", name="Back to API clients").click()
    page.get_by_role("link", name="HR sync").click()
    expect(page.get_by_text("User admin")).to_be_visible()
    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_test_id("api-client-table")).to_contain_text("Revoked")
    shot("api-list-revoked")
    assert users_answer(page, live_server, secret).status == 401


def test_a_global_reader_reads_the_clients_in_dutch_and_changes_nothing(
    page, live_server, sign_in, shot
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "reader", roles=[GLOBAL_READER], preferred_language="nl")
    from api.services import api_client_create

    api_client_create(tenant=tenant, acting_user=None, name="Okta", roles=["user_admin"])
    sign_in("reader@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/settings/api/")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("add-api-client")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    shot("api-list-reader-nl")
    page.get_by_role("link", name="Okta").click()
    expect(page.get_by_role("link", name="Intrekken")).to_have_count(0)
