"""End to end in Chromium: too many wrong passwords meet a 429 page that says when to retry."""

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_repeated_wrong_passwords_lock_the_sign_in_and_the_page_says_when_to_retry(
    page, live_server, shot, sign_in
):
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")

    for _ in range(4):
        sign_in(admin.username, "Not-the-password-1")
        expect(page.get_by_text("don't match an account")).to_be_visible()
    sign_in(admin.username, "Not-the-password-1")
    expect(page.get_by_text("Too many failed attempts.")).to_be_visible()

    page.get_by_label("Sign-in name").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(f"{live_server.url}/signin/") as answer:
        page.get_by_role("button", name="Sign in", exact=True).click()

    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) >= 1
    expect(page.get_by_role("heading", name="Try again later")).to_be_visible()
    expect(page.get_by_test_id("throttled")).to_contain_text("Try again in")
    shot("signin-throttled")
    page.get_by_role("link", name="Reset your password").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()


def test_a_blocked_person_who_types_the_right_password_is_told_the_account_is_blocked(
    page, live_server, sign_in
):
    tenant = make_tenant("Contoso", "contoso.example")
    person = make_user(tenant, "adele", display_name="Adele Vance", is_sign_in_blocked=True)

    sign_in(person.username, "Not-the-password-1")
    expect(page.get_by_text("don't match an account")).to_be_visible()
    sign_in(person.username, PASSWORD)
    expect(page.get_by_text("Your account is blocked from signing in.")).to_be_visible()
