"""End to end in Chromium: an operator deletes an organization the careful way, and a
person who meets an error page can quote its request id."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from playwright.sync_api import expect

from accounts.models import AuditEvent, Tenant
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_operator, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _operator_signs_in(page, live_server, sign_in):
    operator = make_operator("ops@platform.example")
    device = StaticDevice.objects.create(user=operator, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    sign_in(operator.username, PASSWORD)
    page.get_by_label("Code").fill("12345678")
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/operators/")
    return operator


def test_an_operator_suspends_then_deletes_an_organization_by_typing_its_name(
    page, live_server, sign_in, shot
):
    tenant = make_tenant("Fabrikam", "fabrikam.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    operator = _operator_signs_in(page, live_server, sign_in)

    page.goto(f"{live_server.url}/operators/accounts/tenant/")
    actions = page.locator("select[name=action] option").all_inner_texts()
    assert not any("Delete" in label for label in actions)

    # Active: the page says to suspend first, and offers nothing to type.
    page.goto(f"{live_server.url}/operators/accounts/tenant/{tenant.pk}/delete/")
    expect(page.get_by_text("Suspend the organization first")).to_be_visible()
    expect(page.get_by_label("Type the organization's name or its initial domain")).to_have_count(0)
    shot("operator-delete-organization-active")

    page.goto(f"{live_server.url}/operators/accounts/tenant/")
    page.get_by_role("checkbox", name="Select this object for an action - Fabrikam").check()
    page.locator("select[name=action]").select_option("suspend")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Suspended.")).to_be_visible()

    page.goto(f"{live_server.url}/operators/accounts/tenant/{tenant.pk}/delete/")
    field = page.get_by_label("Type the organization's name or its initial domain")
    field.fill("Fabrikam Inc")
    page.get_by_role("button", name="Delete the organization for good").click()
    expect(page.get_by_text("exactly as shown")).to_be_visible()
    shot("operator-delete-organization-suspended")

    page.get_by_label("Type the organization's name or its initial domain").fill("fabrikam.example")
    page.get_by_role("button", name="Delete the organization for good").click()
    expect(page.get_by_text("and all its data were deleted")).to_be_visible()
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    event = AuditEvent.objects.get(action="tenant.delete")
    assert (event.actor_id, event.target_label) == (operator.pk, "Fabrikam")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_error_page_shows_the_request_id_to_quote(
    page, live_server, sign_in, shot, monkeypatch, language
):
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], preferred_language=language)
    sign_in(admin.username, PASSWORD)
    monkeypatch.setattr("accounts.views.home_cards", lambda request: 1 / 0)
    # Signing in showed Home: ask for it afresh, as a hard reload does.
    page.set_extra_http_headers({"Cache-Control": "no-cache"})

    response = page.goto(f"{live_server.url}/")

    assert response.status == 500
    request_id = response.headers["x-request-id"]
    expect(page.locator(".request-id code")).to_have_text(request_id)
    shot(f"error-page-request-id-{language}")
