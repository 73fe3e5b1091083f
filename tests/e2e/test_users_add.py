"""End to end in Chromium: add a user through the wizard; they sign in and change the password."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_admin_adds_a_user_who_then_signs_in_and_sets_a_password(page, live_server, sign_in, shot):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    make_user(tenant, "taken", display_name="Taken Name")
    sign_in("admin@contoso.example", PASSWORD)

    page.goto(f"{live_server.url}/users/")
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("First name").fill("Adele")
    page.get_by_label("Last name").fill("Vance")
    page.get_by_label("Username").fill("taken")
    expect(page.locator("#username-check")).to_contain_text("taken@contoso.example is taken.")
    page.get_by_label("Username").fill("adele")
    expect(page.locator("#username-check")).to_contain_text("is available")
    shot("users-add-basics")
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Helpdesk admin").check()
    page.get_by_label("Job title").fill("Support engineer")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("add-user-review")).to_contain_text("adele@contoso.example")

    # Back to the first step by the step list: the answers are still there.
    page.get_by_role("navigation", name="Steps").get_by_role("button", name="Basics").click()
    expect(page.get_by_label("First name")).to_have_value("Adele")
    expect(page.get_by_label("Username")).to_have_value("adele")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Job title")).to_have_value("Support engineer")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Last name")).to_have_value("Vance")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("add-user-review")).to_contain_text("Support engineer")
    shot("users-add-review")
    page.get_by_role("button", name="Add user").click()
    password = page.get_by_test_id("new-password").inner_text()
    shot("users-add-done")
    assert User.objects.get(username="adele@contoso.example").role_codes == {"helpdesk_admin"}
    # A reload of the result adds no one and shows no password again.
    page.reload()
    expect(page.get_by_test_id("add-user-basics")).to_be_visible()
    expect(page.get_by_test_id("new-password")).to_have_count(0)
    assert User.objects.filter(username__startswith="adele").count() == 1

    page.get_by_label("Account menu of Megan Bowen").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in("adele@contoso.example", password)
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    page.get_by_label("Old password").fill(password)
    page.locator("#id_new_password1").fill("Adele-Chooses-Her-Own-9")
    page.get_by_label("New password confirmation").fill("Adele-Chooses-Her-Own-9")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
