"""End to end in Chromium: a partner asks, the customer approves, a partner admin acts, it ends."""

import pytest
from playwright.sync_api import expect

from accounts.models import PartnerRelationship
from accounts.partners import partner_access_set, partner_decide, partner_request
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def world():
    partner = make_tenant("Fabrikam Partners", "fabrikam.example", is_partner=True)
    customer = make_tenant("Contoso", "contoso.example")
    boss = make_user(partner, "pat", roles=[GLOBAL_ADMIN], display_name="Pat Partner")
    desk = make_user(partner, "hal", roles=[HELPDESK_ADMIN], display_name="Hal Helper")
    owner = make_user(customer, "cora", roles=[GLOBAL_ADMIN], display_name="Cora Customer")
    ann = make_user(customer, "ann", display_name="Ann Example")
    return {"partner": partner, "customer": customer, "boss": boss, "desk": desk,
            "owner": owner, "ann": ann}  # fmt: skip


def _granted(world, roles=(HELPDESK_ADMIN,)):
    relationship = partner_request(
        actor=world["boss"], domain="contoso.example", roles=list(roles), days=30
    )
    partner_decide(actor=world["owner"], relationship=relationship, approve=True)
    partner_access_set(
        actor=world["boss"], relationship=relationship, user=world["desk"], roles=[HELPDESK_ADMIN]
    )
    return relationship


def test_a_partner_admin_acts_in_the_customer_and_is_sent_home_when_it_ends(
    page, live_server, sign_in, shot, world
):
    relationship = _granted(world)
    sign_in("hal@fabrikam.example", PASSWORD)
    page.get_by_test_id("customer-switcher").locator("summary").click()
    page.get_by_role("button", name="Contoso").click()
    banner = page.get_by_test_id("acting-banner")
    expect(banner).to_contain_text("Acting in Contoso as Helpdesk admin through Fabrikam Partners")
    expect(page.get_by_test_id("org-name")).to_have_text("Contoso")
    shot("partner-acting-home")

    page.goto(f"{live_server.url}/users/")
    page.get_by_role("link", name="Ann Example").first.click()
    expect(page.get_by_test_id("acting-banner")).to_be_visible()
    page.goto(f"{live_server.url}/users/{world['ann'].pk}/reset-password/")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("ann@contoso.example", exact=False).first).to_be_visible()
    shot("partner-acting-reset")

    # Not granted: the customer's billing.
    answer = page.goto(f"{live_server.url}/billing/products/")
    assert answer.status == 403

    # The customer sees who did it, in its audit log.
    owner_page = page.context.browser.new_context().new_page()
    owner_page.goto(f"{live_server.url}/signin/")
    owner_page.get_by_label("Sign-in name").fill("cora@contoso.example")
    owner_page.get_by_label("Password").fill(PASSWORD)
    owner_page.get_by_role("button", name="Sign in", exact=True).click()
    owner_page.goto(f"{live_server.url}/audit/")
    expect(owner_page.locator("main")).to_contain_text("hal@fabrikam.example (Fabrikam Partners)")

    # The customer ends it: the partner admin is back home on the next request.
    from accounts.partners import partner_end

    partner_end(actor=world["owner"], relationship=relationship)
    page.goto(f"{live_server.url}/users/")
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)
    expect(page.get_by_test_id("org-name")).to_have_text("Fabrikam Partners")
    expect(page.locator("main")).to_contain_text("Your access to that organization has ended")
    shot("partner-ended")
    assert PartnerRelationship.objects.get().status == PartnerRelationship.Status.ENDED


def test_the_acting_banner_speaks_dutch(page, live_server, sign_in, shot, world):
    world["desk"].preferred_language = "nl"
    world["desk"].save()
    _granted(world, roles=(HELPDESK_ADMIN, USER_ADMIN))
    sign_in("hal@fabrikam.example", PASSWORD)
    page.get_by_test_id("customer-switcher").locator("summary").click()
    shot("partner-switcher-nl")
    page.get_by_role("button", name="Contoso").click()
    expect(page.get_by_test_id("acting-banner")).to_contain_text("Contoso")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    shot("partner-acting-nl")
    page.get_by_test_id("acting-banner").get_by_role("button").click()
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)
    expect(page.get_by_test_id("org-name")).to_have_text("Fabrikam Partners")


def _as(browser, live_server, username, language=None):
    """A new browser session signed in as ``username``."""
    page = browser.new_context(locale=language or "en-US").new_page()
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("Sign-in name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    return page


def test_the_partner_asks_the_customer_approves_and_the_partner_chooses_who_acts(
    page, live_server, sign_in, shot, world
):
    # The partner's Global admin asks, through Settings > Partner relationships.
    sign_in("pat@fabrikam.example", PASSWORD)
    page.locator("summary", has_text="Settings").click()
    page.get_by_role("link", name="Partner relationships").click()
    page.get_by_test_id("request-access").click()
    page.get_by_label("Customer's domain").fill("contoso.example")
    page.get_by_label("Global reader", exact=True).check()
    page.get_by_label("Duration in days").fill("0")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".field-error").first).to_be_visible()
    shot("partner-request-errors")
    page.get_by_label("Helpdesk admin", exact=True).check()
    page.get_by_label("Global reader", exact=True).uncheck()
    page.get_by_label("Duration in days").fill("90")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_test_id("partner-properties")).to_contain_text("Helpdesk admin")
    expect(page.get_by_test_id("partner-properties")).to_contain_text("Waiting for approval")
    shot("partner-detail-pending")
    page.get_by_role("link", name="Back to partner relationships").click()
    expect(page.get_by_test_id("outgoing-table")).to_contain_text("Contoso")
    shot("partner-list-partner")

    # The customer's Global admin sees exactly those roles, in Dutch, and approves.
    world["owner"].preferred_language = "nl"
    world["owner"].save()
    owner = _as(page.context.browser, live_server, "cora@contoso.example")
    owner.goto(f"{live_server.url}/settings/partners/")
    incoming = owner.get_by_test_id("incoming-table")
    expect(incoming).to_contain_text("Fabrikam Partners")
    expect(incoming).to_contain_text("Helpdeskbeheerder")
    owner.screenshot(path=str(shot_path("partner-list-customer-nl")), full_page=True)
    incoming.get_by_role("button", name="Goedkeuren").click()
    expect(owner.locator(".toast, .messages").first).to_be_visible()

    # The partner's Global admin lets Hal act as Helpdesk admin.
    page.goto(f"{live_server.url}/settings/partners/")
    page.get_by_test_id("outgoing-table").get_by_role("link", name="Contoso").click()
    form = page.get_by_test_id("partner-access-form")
    form.locator("select[name=user]").select_option(label=f"Hal Helper ({world['desk'].username})")
    form.get_by_label("Helpdesk admin", exact=True).check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("access-table")).to_contain_text("hal@fabrikam.example")
    shot("partner-detail-access")

    # Hal acts in Contoso.
    hal = _as(page.context.browser, live_server, "hal@fabrikam.example")
    hal.get_by_test_id("customer-switcher").locator("summary").click()
    hal.get_by_role("button", name="Contoso").click()
    expect(hal.get_by_test_id("acting-banner")).to_contain_text(
        "Acting in Contoso as Helpdesk admin through Fabrikam Partners"
    )


def shot_path(name):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
