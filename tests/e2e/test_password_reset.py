"""End to end in Chromium: an admin who forgot the password gets back in through two gates."""

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import last_file_code, make_alt_email, make_app, make_phone, totp_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NEW_PASSWORD = "Remembered-it-this-time-7"


def test_admin_resets_own_password_through_email_and_sms_then_signs_in(
    page, live_server, shot, outboxes
):
    tenant = make_tenant("Contoso", "contoso.example", require_mfa_for_admins=True)
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    make_alt_email(admin, "megan@example.org")
    make_phone(admin, "+31612345678")

    page.goto(f"{live_server.url}/signin/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Sign-in name").fill(admin.username)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Check it's you")).to_be_visible()
    page.get_by_label("Email a code to my alternate email address").check()
    page.get_by_label("Alternate email address", exact=True).fill("megan@example.org")
    shot("reset-choose-first-gate")
    page.get_by_role("button", name="Send the code").click()
    expect(page.get_by_test_id("reset-generic")).to_contain_text("m•••@example.org")
    shot("reset-first-gate")
    page.get_by_label("Code").fill(last_file_code(outboxes / "mail"))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="One more check")).to_be_visible()
    expect(page.get_by_text("Text a code to +31 6 ••••••78")).to_be_visible()
    shot("reset-choose-second-gate")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(last_file_code(outboxes / "sms"))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#id_new_password1").fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Reset password").click()
    expect(page.locator(".field-error").first).to_be_visible()
    shot("reset-weak-password")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("Your password was reset.")).to_be_visible()

    # Sign in with the new password; the phone is the second factor.
    page.get_by_label("Sign-in name").fill(admin.username)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_text("We sent a code to +31 6 ••••••78.")).to_be_visible()
    page.get_by_label("Code").fill(last_file_code(outboxes / "sms"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    shot("reset-back-in")


def test_user_resets_own_password_with_one_sms_code_then_signs_in(
    page, live_server, shot, outboxes
):
    tenant = make_tenant("Contoso", "contoso.example")
    user = make_user(tenant, "adele", display_name="Adele Vance")
    make_phone(user, "+31612345679")

    page.goto(f"{live_server.url}/password/reset/")
    page.get_by_label("Sign-in name").fill(user.username)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Text a code to my mobile phone").check()
    page.get_by_label("Mobile phone number", exact=True).fill("06 12345679")
    page.get_by_role("button", name="Send the code").click()
    expect(page.get_by_test_id("reset-generic")).to_contain_text("••79")
    page.get_by_label("Code").fill(last_file_code(outboxes / "sms"))
    page.get_by_role("button", name="Verify").click()

    # One gate is enough for someone without an admin role.
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("Your password was reset.")).to_be_visible()
    shot("reset-user-done")

    page.get_by_label("Sign-in name").fill(user.username)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code").fill(last_file_code(outboxes / "sms"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def test_admin_with_only_an_app_is_told_who_can_reset_the_password(page, live_server, shot):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    admin = make_user(tenant, "desk", roles=[HELPDESK_ADMIN], display_name="Diego Desk")
    device = make_app(admin)

    page.goto(f"{live_server.url}/password/reset/")
    page.get_by_label("Sign-in name").fill(admin.username)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Use a code from my authenticator app").check()
    page.get_by_role("button", name="Send the code").click()
    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_test_id("too-few-methods")).to_be_visible()
    expect(page.get_by_text("Megan Bowen")).to_be_visible()
    shot("reset-too-few-methods")
