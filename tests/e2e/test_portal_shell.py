"""End to end in Chromium: sign in, the shell and nav per role, sign out."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def contoso():
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    helpdesk = make_user(tenant, "helpdesk", roles=[HELPDESK_ADMIN], display_name="Hal Desk")
    user = make_user(tenant, "user", display_name="Ula User")
    return tenant, admin, helpdesk, user


def nav_labels(page):
    """Return the labels of the top-level nav entries: items, and groups by their name."""
    entries = page.locator("nav.sidebar ul.nav > li > a, nav.sidebar ul.nav > li summary")
    return [label.strip() for label in entries.all_inner_texts()]


def test_global_admin_signs_in_sees_home_opens_audit_log_and_signs_out(
    page, live_server, sign_in, shot, contoso
):
    _, admin, _, _ = contoso
    sign_in(admin.username, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_test_id("org-name")).to_have_text("Contoso")
    expect(page.get_by_test_id("count-users")).to_have_text("3")
    expect(page.get_by_test_id("count-admins")).to_have_text("2")
    assert nav_labels(page) == [
        "Home",
        "Users",
        "Groups",
        "Billing",
        "Settings",
        "Setup",
        "Resources",
        "Reports",
        "Support",
        "Health",
        "Audit log",
        "Admin centers",
    ]
    expect(page.locator('nav.sidebar a[aria-current="page"]')).to_have_text("Home")
    shot("global-admin-home")

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator('nav.sidebar a[aria-current="page"]')).to_have_text("Audit log")
    expect(page.get_by_role("cell", name="Signed in")).to_be_visible()
    shot("global-admin-audit-log")

    page.get_by_role("cell", name="Signed in").first.locator("xpath=..").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Signed in")).to_be_visible()

    page.get_by_label("Account menu of Megan Bowen").click()
    shot("global-admin-user-menu")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin/$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    page.goto(f"{live_server.url}/audit/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/audit/$"))


def test_helpdesk_admin_sees_fewer_nav_items_and_gets_403_on_audit_log(
    page, live_server, sign_in, shot, contoso
):
    _, _, helpdesk, _ = contoso
    sign_in(helpdesk.username, PASSWORD)

    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    assert nav_labels(page) == [
        "Home",
        "Users",
        "Groups",
        "Setup",
        "Support",
        "Health",
        "Admin centers",
    ]
    shot("helpdesk-admin-home")

    response = page.goto(f"{live_server.url}/audit/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()
    shot("helpdesk-admin-403")


def test_user_without_role_lands_on_my_account_and_never_the_admin_center(
    page, live_server, sign_in, shot, contoso
):
    _, _, _, user = contoso
    sign_in(user.username, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.locator(".properties").get_by_text(user.username)).to_be_visible()
    assert "Home" not in nav_labels(page)
    assert "My account" in nav_labels(page)
    shot("user-my-account")

    response = page.goto(f"{live_server.url}/audit/")
    assert response.status == 403


def test_wrong_password_shows_one_generic_error(page, live_server, sign_in, shot, contoso):
    sign_in("admin@contoso.example", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")
    shot("signin-error")
    sign_in("nobody@contoso.example", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")


def test_narrow_screen_folds_the_nav_behind_the_menu_button(
    page, live_server, sign_in, shot, contoso
):
    page.set_viewport_size({"width": 390, "height": 800})
    _, admin, _, _ = contoso
    sign_in(admin.username, PASSWORD)
    sidebar = page.locator("nav.sidebar")
    expect(sidebar).to_be_hidden()
    page.get_by_role("button", name="Navigation").click()
    expect(sidebar).to_be_visible()
    shot("narrow-nav-open")
    sidebar.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()


def test_operator_passes_the_second_step_and_reaches_the_operators_site(page, live_server, shot):
    from django_otp.plugins.otp_static.models import StaticDevice

    from tests.factories import make_operator

    operator = make_operator("ops@platform.example")
    device = StaticDevice.objects.create(user=operator, name="backup", confirmed=True)
    device.token_set.create(token="12345678")

    page.goto(f"{live_server.url}/operators/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=%2Foperators%2F$"))
    page.get_by_label("Sign-in name").fill(operator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    shot("second-step")
    page.get_by_label("Code").fill("12345678")
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/operators/")
    expect(page.get_by_role("link", name="Organizations")).to_be_visible()
    shot("operators-site")


def test_admin_finds_a_user_from_the_top_bar_and_opens_their_page(
    page, live_server, sign_in, shot, contoso
):
    _, admin, _, _ = contoso
    sign_in(admin.username, PASSWORD)
    page.get_by_role("searchbox", name="Search users and groups").fill("ula")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    results = page.get_by_test_id("search-users")
    expect(results.get_by_role("link", name="Ula User")).to_be_visible()
    shot("top-bar-search")
    results.get_by_role("link", name="Ula User").click()
    expect(page.get_by_role("heading", name="Ula User")).to_be_visible()
