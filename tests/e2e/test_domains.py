"""End to end in Chromium: a Global admin adds a domain, publishes its record and verifies it."""

import pytest
from playwright.sync_api import expect

from accounts.models import Domain
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_admin_verifies_a_domain(page, live_server, sign_in, shot, dns_server):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    sign_in("admin@contoso.example", PASSWORD)
    page.locator("summary", has_text="Settings").click()
    page.get_by_role("link", name="Domains").click()
    page.get_by_label("Domain name").fill("contoso.com")
    page.get_by_role("button", name="Add domain").click()
    record = page.locator("#txt-value").inner_text()
    assert record.startswith("portal-verify=")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("No portal-verify TXT record was found")).to_be_visible()
    dns_server.records["contoso.com"] = [record]
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("contoso.com is verified.")).to_be_visible()
    shot("settings-domain-verified")
    page.get_by_role("button", name="Make default").click()
    expect(page.get_by_text("contoso.com is now the default.")).to_be_visible()
    assert Domain.objects.get(name="contoso.com").is_default
