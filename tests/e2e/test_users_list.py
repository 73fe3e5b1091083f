"""End to end in Chromium: find users, act on a selection, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from billing import services as billing_services
from billing.models import License
from tests.billing.factories import make_product, make_subscription
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

FIRST = ["Adele", "Alex", "Diego", "Grady", "Isaiah", "Johanna", "Lee", "Lidia", "Lynne", "Nestor"]
LAST = ["Vance", "Wilber", "Siciliani", "Archie", "Langer", "Lorenz", "Gu", "Holloway"]


@pytest.fixture
def contoso():
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    make_user(tenant, "desk", roles=[HELPDESK_ADMIN], display_name="Patti Fernandez")
    for n in range(62):
        first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
        make_user(tenant, f"{first}.{last}{n}".lower(), display_name=f"{first} {last} {n}")
    return tenant, admin


def rows(page):
    return page.get_by_test_id("user-table").locator("tbody tr")


def test_admin_searches_live_selects_users_blocks_and_resets_them(
    page, live_server, sign_in, shot, contoso
):
    _tenant, admin = contoso
    sign_in(admin.username, PASSWORD)
    page.locator("summary", has_text="Users").click()
    page.get_by_role("link", name="Active users").click()
    expect(page.get_by_role("heading", name="Active users")).to_be_visible()
    expect(page.get_by_text("64 items")).to_be_visible()
    expect(rows(page)).to_have_count(50)
    reset = page.get_by_role("button", name="Reset password")
    expect(reset).to_be_disabled()
    shot("users-list")

    # Live search: results change as one types, and the address can be shared.
    page.get_by_label("Search", exact=True).fill("vance")
    expect(rows(page)).to_have_count(8)
    expect(page).to_have_url(re.compile(r"/users/\?q=vance"))
    page.get_by_role("link", name="Display name").click()  # sort descending
    expect(rows(page).first).to_contain_text("Lynne Vance 8")
    shot("users-search")

    page.get_by_label("Select Adele Vance 40").check()
    page.get_by_label("Select Adele Vance 0").check()
    expect(reset).to_be_enabled()
    page.get_by_role("button", name="Block sign-in").click()
    expect(page.get_by_text("Sign-in blocked for 2 users.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=vance"))  # back where the action started
    assert User.objects.filter(is_sign_in_blocked=True).count() == 2

    page.get_by_label("Sign-in status").select_option("blocked")
    expect(rows(page)).to_have_count(2)
    page.get_by_label("Select all users on this page").check()
    reset.click()
    expect(page.get_by_role("heading", name="Reset the passwords of 2 users")).to_be_visible()
    page.get_by_role("button", name="Reset passwords").click()
    expect(page.get_by_test_id("bulk-reset-result").locator("code.secret")).to_have_count(2)
    expect(page.get_by_role("button", name="Copy").first).to_be_visible()
    shot("users-bulk-reset-done")


def test_list_works_without_javascript(browser, live_server, contoso):
    _tenant, admin = contoso
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("Sign-in name").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(f"{live_server.url}/users/")
    page.get_by_label("Search", exact=True).fill("lorenz")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=lorenz"))
    expect(rows(page)).to_have_count(8)
    page.get_by_label("Select Johanna Lorenz 5").check()
    page.get_by_role("button", name="Block sign-in").click()
    expect(page.get_by_text("Sign-in blocked for 1 user.")).to_be_visible()
    context.close()


def test_admin_deletes_a_user_and_restores_them_from_deleted_users(
    page, live_server, sign_in, shot, contoso
):
    tenant, admin = contoso
    johanna = User.objects.get(display_name="Johanna Lorenz 5")
    mail = make_subscription(tenant, make_product(name="Mail Plan"), quantity=1)
    files = make_subscription(tenant, make_product(name="Files Plan"), quantity=1)
    for subscription in (mail, files):
        billing_services.license_assign(
            tenant=tenant, acting_user=admin, subscription=subscription, users=[johanna]
        )
    sign_in(admin.username, PASSWORD)
    page.goto(f"{live_server.url}/users/?q=lorenz")
    page.get_by_label("Select Johanna Lorenz 5").check()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete 1 user")).to_be_visible()
    expect(page.get_by_text("Their licenses are released at once")).to_be_visible()
    shot("users-delete-confirm")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("1 user was deleted.")).to_be_visible()
    expect(page.get_by_text("Johanna Lorenz 5")).to_have_count(0)
    # The seats are free at once: someone else gets the only Files Plan license.
    assert not License.objects.filter(user=johanna).exists()
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=files, users=[admin]
    )

    page.get_by_role("link", name="Deleted users").click()
    expect(page.get_by_test_id("deleted-user-table")).to_contain_text("johanna.lorenz5@")
    shot("users-deleted")
    page.get_by_role("link", name="Restore Johanna Lorenz 5").click()
    expect(page.get_by_test_id("released-licenses")).to_contain_text("Mail Plan")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_test_id("new-password")).to_be_visible()
    expect(page.get_by_test_id("licenses-given-back")).to_contain_text("Mail Plan")
    expect(page.get_by_test_id("licenses-not-given-back")).to_contain_text("Files Plan")
    shot("users-restored")
    restored = User.objects.get(display_name="Johanna Lorenz 5")
    assert restored.deleted_at is None and restored.must_change_password
    assert list(License.objects.filter(user=restored).values_list("subscription", flat=True)) == [
        mail.pk
    ]

    page.get_by_role("link", name="Open their page").click()
    expect(page.get_by_test_id("user-licenses").get_by_label("Mail Plan")).to_be_checked()
    expect(page.get_by_test_id("user-licenses").get_by_label("Files Plan")).not_to_be_checked()


def test_admin_edits_a_users_contact_information(page, live_server, sign_in, shot, contoso):
    _tenant, admin = contoso
    lee = User.objects.get(display_name="Lee Gu 6")
    sign_in(admin.username, PASSWORD)
    page.goto(f"{live_server.url}/users/{lee.pk}/")
    contact = page.get_by_test_id("user-contact")
    expect(contact.get_by_role("heading", name="Contact information")).to_be_visible()
    contact.get_by_role("link", name="Edit contact information").click()

    page.get_by_label("Mobile phone").fill("06 1234")
    page.get_by_label("Alternate email address").fill("lee@contoso.example")
    page.get_by_label("City").fill("Amsterdam")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This number is too short.").first).to_be_visible()
    expect(page.get_by_text("Use an address outside the organization").first).to_be_visible()
    shot("users-contact-errors")

    page.get_by_label("Mobile phone").fill("06 12345678")
    page.get_by_label("Alternate email address").fill("lee.gu@example.org")
    page.get_by_label("Street address").fill("Main Street 1\n2nd floor")
    page.get_by_label("ZIP or postal code").fill("1011 AB")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The contact information was saved.")).to_be_visible()
    expect(contact).to_contain_text("+31 6 12345678")
    expect(contact).to_contain_text("lee.gu@example.org")
    expect(contact).to_contain_text("2nd floor")
    expect(contact).to_contain_text("1011 AB")
    shot("users-contact")
    lee.refresh_from_db()
    assert lee.contact_details["mobile_phone"] == "+31612345678"


def test_admin_gives_a_role_on_the_roles_page(page, live_server, sign_in, shot, contoso):
    _tenant, admin = contoso
    sign_in(admin.username, PASSWORD)
    page.locator("summary", has_text="Users").click()
    page.get_by_role("link", name="Roles").click()
    expect(page.get_by_test_id("one-global-admin")).to_be_visible()
    card = page.get_by_test_id("role-reports_reader")
    card.get_by_role("combobox", name="Give Reports reader to").press_sequentially(
        "lee.gu6@", delay=50
    )
    card.get_by_role("option", name="Lee Gu 6").click()
    card.get_by_role("button", name="Give role").click()
    expect(page.get_by_text("Lee Gu 6 is now Reports reader.")).to_be_visible()
    expect(page.get_by_test_id("role-reports_reader")).to_contain_text("1 holder")
    shot("users-roles")
