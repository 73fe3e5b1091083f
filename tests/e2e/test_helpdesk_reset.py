"""End to end in Chromium: the helpdesk resets a password, the user gets back in."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

OWN_PASSWORD = "Chosen-By-Ula-Herself-5"


@pytest.fixture
def contoso():
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    helpdesk = make_user(tenant, "helpdesk", roles=[HELPDESK_ADMIN], display_name="Hal Desk")
    user = make_user(tenant, "ula", display_name="Ula User")
    return admin, helpdesk, user


def sign_out(page, name):
    page.get_by_label(f"Account menu of {name}").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_helpdesk_resets_a_password_and_the_user_must_change_it(
    page, live_server, sign_in, shot, contoso
):
    admin, helpdesk, user = contoso
    sign_in(helpdesk.username, PASSWORD)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    page.goto(f"{live_server.url}/users/{user.pk}/")
    expect(page.get_by_role("heading", name="Ula User")).to_be_visible()
    shot("helpdesk-user-page")
    page.get_by_role("link", name="Reset password").click()

    expect(page.get_by_role("heading", name="Reset password")).to_be_visible()
    expect(page.get_by_label("Generate a password")).to_be_checked()
    expect(
        page.get_by_label("Require this user to change the password at next sign-in")
    ).to_be_checked()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "password")
    shot("helpdesk-reset-form")

    # A weak typed password is refused at the field.
    page.get_by_label("Let me type one").check()
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Reset password").click()
    expect(page.locator("#id_password_error")).to_contain_text("too short")
    shot("helpdesk-reset-weak-password")

    page.get_by_label("Generate a password").check()
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", name="Password reset", exact=True)).to_be_visible()
    password = page.get_by_test_id("new-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z2-9]{16}", password), password
    expect(page.get_by_text("Print this page")).to_be_visible()
    shot("helpdesk-reset-result")
    sign_out(page, "Hal Desk")

    # The user signs in with it and must choose their own before anything else.
    sign_in(user.username, password)
    expect(page).to_have_url(f"{live_server.url}/account/password/")
    expect(page.get_by_text("You must choose a new password before you continue.")).to_be_visible()
    page.goto(f"{live_server.url}/account/")
    expect(page).to_have_url(f"{live_server.url}/account/password/")
    shot("user-forced-password-change")
    page.get_by_label("Old password").fill(password)
    page.locator("#id_new_password1").fill(OWN_PASSWORD)
    page.get_by_label("New password confirmation").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    shot("user-password-changed")
    sign_out(page, "Ula User")

    # The Helpdesk admin cannot reset a Global admin's password.
    sign_in(helpdesk.username, PASSWORD)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{live_server.url}/users/{admin.pk}/")
    expect(page.get_by_role("heading", name="Megan Bowen")).to_be_visible()
    expect(page.get_by_role("link", name="Reset password")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out of all sessions")).to_have_count(0)
    shot("helpdesk-global-admin-page")
    response = page.goto(f"{live_server.url}/users/{admin.pk}/reset-password/")
    assert response.status == 403
