"""End to end in Chromium: an admin keeps their security info, as the seed page describes."""

import base64

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import last_file_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_admin_registers_phone_email_and_app_then_changes_phone_and_deletes_app(
    page, live_server, sign_in, shot, outboxes
):
    tenant = make_tenant("Contoso", "contoso.example", require_mfa_for_admins=True)
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    sms, mail = outboxes / "sms", outboxes / "mail"

    # The policy holds the admin at Security info until a second factor exists.
    sign_in(admin.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/security-info/")
    expect(page.get_by_test_id("mfa-required")).to_be_visible()
    expect(page.get_by_test_id("reset-readiness")).to_be_visible()
    shot("security-info-empty")

    # Mobile phone: a landline is refused at the field, then a mobile is verified.
    # Having just signed in counts as confirming it's you: no password asked again.
    page.get_by_role("link", name="Add mobile phone").click()
    page.get_by_label("Mobile phone number").fill("020 123 4567")
    page.get_by_role("button", name="Send code").click()
    expect(page.locator(".field-error")).to_contain_text("landline")
    shot("security-info-phone-error")
    page.get_by_label("Mobile phone number").fill("06 12345678")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("heading", name="Verify your mobile phone")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".field-error")).to_contain_text("not right")
    page.wait_for_timeout(1100)  # the back-off after one wrong code
    page.get_by_label("Code").fill(last_file_code(sms))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Your mobile phone is verified.")).to_be_visible()
    expect(page.get_by_test_id("method-phone")).to_contain_text("+31 6 12345678")
    expect(page.get_by_test_id("mfa-required")).to_have_count(0)

    # Alternate email: the organization's own domain is refused, a personal one verified.
    page.get_by_role("link", name="Add alternate email").click()
    page.get_by_label("Alternate email address").fill("megan@contoso.example")
    page.get_by_role("button", name="Send code").click()
    expect(page.locator(".field-error")).to_contain_text("outside your organization")
    page.get_by_label("Alternate email address").fill("megan@example.org")
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code").fill(last_file_code(mail))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Your alternate email is verified.")).to_be_visible()
    expect(page.get_by_test_id("reset-readiness")).to_have_count(0)

    # Authenticator app, confirmed with a code computed from the key on the page.
    page.get_by_role("link", name="Add authenticator app").click()
    expect(page.locator(".qr svg")).to_be_visible()
    shot("security-info-app-setup")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    code = f"{totp(base64.b32decode(secret)):06d}"
    page.get_by_label("Code").fill(code)
    page.get_by_label("Name of the app or phone").fill("Work phone")
    page.get_by_role("button", name="Verify and add").click()
    expect(page.get_by_test_id("method-app")).to_contain_text("Work phone")

    # Change the phone: the old number stays until the new one is verified.
    page.get_by_role("link", name="Change mobile phone").click()
    page.get_by_label("Mobile phone number").fill("+31 6 8765 4321")
    page.get_by_role("button", name="Send code").click()
    page.goto(f"{live_server.url}/security-info/")
    expect(page.get_by_test_id("method-phone")).to_contain_text("+31 6 12345678")
    page.get_by_role("link", name="Enter code").click()
    page.get_by_label("Code").fill(last_file_code(sms))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("method-phone")).to_contain_text("+31 6 87654321")

    # Delete the app.
    page.get_by_role("link", name="Delete Work phone").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The authenticator app was removed.")).to_be_visible()
    expect(page.get_by_test_id("method-app")).to_have_count(0)
    shot("security-info-done")

    # Every change was told to the alternate email, and the admin center is open.
    notices = [path.read_text() for path in mail.glob("*")]
    assert sum("security info of your account" in text for text in notices) >= 3
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
