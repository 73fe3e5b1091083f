"""End to end in Chromium: a Global admin sets password expiry; an old password must go."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Tenant, User
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NEW_PASSWORD = "Fresh-Password-for-2027"


def test_admin_turns_on_password_expiry_and_a_user_with_an_old_password_changes_it(
    page, live_server, shot, sign_in
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    user = make_user(tenant, "adele", display_name="Adele Vance")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=100))

    sign_in(f"admin@{tenant.domain_set.get().name}", PASSWORD)
    page.locator("summary", has_text="Settings").click()
    page.get_by_role("link", name="Security & privacy").click()
    expect(page.get_by_role("heading", name="Security & privacy")).to_be_visible()
    page.get_by_label("Two: codes to two different verified methods").check()
    page.get_by_label("Passwords expire after a number of days").check()
    page.get_by_label("Days before a password expires").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("greater than or equal to 14")
    shot("settings-security-error")
    page.get_by_label("Days before a password expires").fill("90")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your security settings were saved.")).to_be_visible()
    shot("settings-security")
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert (tenant.reset_gates_for_users, tenant.password_expiry_days) == (2, 90)
    page.get_by_label("Account menu of Megan Bowen").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(user.username, PASSWORD)
    expect(page.get_by_text("Your password has expired")).to_be_visible()
    shot("password-expired")
    page.get_by_label("Old password").fill(PASSWORD)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
