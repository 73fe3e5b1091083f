"""End to end in Chromium: a helpdesk admin finds in the sign-in log why Anna can't sign in.

Then the Admin centers and the Security center as a Global admin, a Helpdesk admin
and a Global reader, in Dutch, with screenshots.
"""

import pytest
from playwright.sync_api import expect

from accounts.audit import audit_record
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from security_center.models import AdminCenter
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import make_phone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def contoso():
    tenant = make_tenant("Contoso", "contoso.example")
    AdminCenter.objects.create(
        name="Exchange",
        description="Mailboxes, mail flow and calendars.",
        url="https://exchange.example/admin",
        icon="mail",
        roles=[GLOBAL_ADMIN, GLOBAL_READER],
    )
    return tenant


def test_a_helpdesk_admin_finds_why_anna_cannot_sign_in(page, live_server, sign_in, shot, contoso):
    make_user(contoso, "hal", roles=[HELPDESK_ADMIN], display_name="Hal Desk")
    anna = make_user(contoso, "anna", display_name="Anna Lee", is_sign_in_blocked=True)
    make_user(contoso, "bob", display_name="Bob Stone")

    # Anna tries: first a typo, then her right password, which is refused.
    sign_in(anna.username, "Wrong-Horse-42!")
    expect(page.get_by_text("don't match an account")).to_be_visible()
    sign_in(anna.username, PASSWORD)
    expect(page.get_by_text("Your account is blocked from signing in.")).to_be_visible()
    # Bob signs in fine; someone tries a name nobody has.
    sign_in("bob@contoso.example", PASSWORD)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    page.context.clear_cookies()
    sign_in("nobody@contoso.example", PASSWORD)
    expect(page.get_by_text("don't match an account")).to_be_visible()

    sign_in("hal@contoso.example", PASSWORD)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.get_by_role("navigation", name="Admin center").get_by_role(
        "link", name="Admin centers"
    ).click()
    expect(page.get_by_role("heading", name="Admin centers")).to_be_visible()
    # Exchange is for Global admins and readers: not for the helpdesk.
    expect(page.get_by_role("link", name="Exchange")).to_have_count(0)
    page.get_by_role("link", name="Security center").click()
    # Anna's two: the name nobody has is in no organization's log.
    expect(page.get_by_test_id("signins-failed")).to_have_text("2")
    page.get_by_role("link", name="Sign-in logs").click()

    page.get_by_label("Person").fill("anna")
    page.get_by_label("Result").select_option(label="Failure")
    page.get_by_role("button", name="Apply filters").click()
    table = page.get_by_test_id("signin-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    first = table.locator("tbody tr").first  # newest first
    expect(first).to_contain_text("anna@contoso.example")
    expect(first).to_contain_text("Sign-in blocked by an admin")
    expect(first).to_contain_text("Chrome")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("Wrong password")
    expect(table).not_to_contain_text("nobody@")
    expect(table).not_to_contain_text("bob@")
    shot("security-center-helpdesk-why-anna")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert "Sign-in blocked by an admin" in text and "bob@" not in text


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (GLOBAL_ADMIN, "global-admin"),
        (HELPDESK_ADMIN, "helpdesk-admin"),
        (GLOBAL_READER, "global-reader"),
    ],
)
def test_the_security_center_in_dutch(page, live_server, sign_in, shot, contoso, role, name):
    person = make_user(
        contoso, "priya", roles=[role], display_name="Priya Shah", preferred_language="nl"
    )
    anna = make_user(contoso, "anna", display_name="Anna Lee")
    make_phone(anna)
    audit_record(action="security_info.phone.add", tenant=contoso, target=anna)
    audit_record(
        action="password_reset.gate_passed", tenant=contoso, target=anna, new={"method": "phone"}
    )
    audit_record(action="password.reset_self", tenant=contoso, target=anna)
    sign_in(anna.username, "Wrong-Horse-42!")
    sign_in(person.username, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    page.get_by_role("link", name="Beheercentra").click()
    expect(page.get_by_role("heading", name="Beheercentra")).to_be_visible()
    exchange = page.get_by_role("link", name="Exchange")
    if role == HELPDESK_ADMIN:
        expect(exchange).to_have_count(0)
    else:
        expect(exchange).to_have_attribute("target", "_blank")
        expect(exchange).to_have_attribute("rel", "noopener noreferrer")
    shot(f"admin-centers-{name}-nl")

    page.get_by_role("link", name="Beveiligingscentrum").click()
    expect(page.get_by_role("heading", name="Beveiligingscentrum")).to_be_visible()
    shot(f"security-center-{name}-nl")

    page.get_by_role("link", name="Aanmeldingslogboeken").click()
    expect(page.get_by_test_id("signin-table")).to_contain_text("Onjuist wachtwoord")
    shot(f"signin-logs-{name}-nl")

    page.goto(f"{live_server.url}/admin-centers/security/methods/")
    expect(page.get_by_test_id("registered-total")).to_have_text("1")
    expect(page.get_by_test_id("resets-total")).to_have_text("1")
    # Priya's role asks for two methods; Anna's phone is enough for her.
    expect(page.get_by_test_id("stuck-table")).to_contain_text("Priya Shah")
    expect(page.get_by_test_id("stuck-table")).not_to_contain_text("Anna Lee")
    shot(f"methods-activity-{name}-nl")

    page.goto(f"{live_server.url}/admin-centers/security/settings/")
    expect(page.get_by_test_id("platform-settings")).to_contain_text("5 mislukte pogingen")
    settings_link = page.get_by_test_id("organization-settings").locator(
        'a[href="/settings/security/"]'
    )
    if role == HELPDESK_ADMIN:
        expect(settings_link).to_have_count(0)
    else:
        expect(settings_link.first).to_be_visible()
    shot(f"signin-settings-{name}-nl")
