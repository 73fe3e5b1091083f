"""End to end in Chromium: the people picker chosen with the keyboard and with the mouse."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import GLOBAL_ADMIN, GROUPS_ADMIN, HELPDESK_ADMIN
from groups.models import Membership
from tests.factories import PASSWORD, make_tenant, make_user
from tests.groups.factories import make_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Where the screenshots of the open picker land, to look at in both languages.
SCREENSHOTS = Path("/tmp")  # noqa: S108 - a place to look at, not to trust


@pytest.fixture
def tenant():
    tenant = make_tenant("Contoso", "contoso.example")
    for local, name in [
        ("adele", "Adele Vance"),
        ("alex", "Alex Wilber"),
        ("lee", "Lee Gu"),
        ("pat", "Pat Patel"),
        ("patti", "Patti Fernandez"),
    ]:
        make_user(tenant, local, display_name=name)
    # Never offered: another organization's namesake and a deleted user.
    make_user(make_tenant("Fabrikam", "fabrikam.example"), "pat", display_name="Pat Elsewhere")
    make_user(tenant, "gone", display_name="Pat Gone", deleted_at="2026-01-01T00:00Z")
    return tenant


def test_a_role_is_given_to_a_person_chosen_with_the_keyboard(page, live_server, sign_in, tenant):
    make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    sign_in("megan@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/users/roles/")

    card = page.get_by_test_id(f"role-{HELPDESK_ADMIN}")
    box = card.get_by_role("combobox", name="Give Helpdesk admin to")
    expect(card.get_by_role("button", name="Search")).to_have_count(0)  # JavaScript took over
    box.press_sequentially("pat", delay=50)
    options = card.get_by_role("option")
    expect(options).to_have_count(2)
    expect(card.get_by_role("listbox")).to_contain_text("Pat Patel")
    expect(card.get_by_role("listbox")).not_to_contain_text("Elsewhere")
    expect(card.get_by_role("listbox")).not_to_contain_text("Pat Gone")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    box.press("Enter")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(card.locator(".chip")).to_contain_text("Pat Patel")
    # One person for a role: a second choice replaces the first.
    box.press_sequentially("patti", delay=50)
    expect(options).to_have_count(1)
    box.press("ArrowDown")
    box.press("Enter")
    expect(card.locator(".chip")).to_have_count(1)
    card.get_by_role("button", name="Remove Patti Fernandez").click()
    expect(card.locator(".chip")).to_have_count(0)
    box.press_sequentially("pat p", delay=50)
    expect(options).to_have_count(1)
    box.press("ArrowDown")
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")
    box.press("Enter")
    card.get_by_role("button", name="Give role").click()

    expect(page.get_by_text("Pat Patel is now Helpdesk admin.")).to_be_visible()
    assert User.objects.get(username="pat@contoso.example").role_codes == {HELPDESK_ADMIN}


def test_members_are_added_with_the_mouse_and_the_keyboard(page, live_server, sign_in, tenant):
    grace = make_user(tenant, "grace", roles=[GROUPS_ADMIN], display_name="Grace Admin")
    group = make_group(tenant, grace, name="Marketing")
    sign_in("grace@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/groups/{group.pk}/")

    picker = page.get_by_test_id("group-add-people")
    box = picker.get_by_role("combobox", name="People")
    box.press_sequentially("ad", delay=50)
    picker.get_by_role("option", name="Adele Vance").click()
    expect(picker.locator(".chip")).to_have_count(1)
    box.press_sequentially("wilb", delay=50)
    expect(picker.get_by_role("option")).to_have_count(1)
    box.press("ArrowDown")
    box.press("Enter")
    box.press_sequentially("lee", delay=50)
    picker.get_by_role("option", name="Lee Gu").click()
    picker.get_by_role("button", name="Remove Lee Gu").click()
    # Someone already chosen is not offered again.
    box.press_sequentially("adele", delay=50)
    expect(picker.get_by_role("status").filter(has_text="Nobody matches.")).to_have_count(1)
    box.fill("")
    page.get_by_role("button", name="Add as members").click()

    expect(page.get_by_text("2 members added.")).to_be_visible()
    members = Membership.objects.filter(group=group, role="member")
    assert set(members.values_list("user__display_name", flat=True)) == {
        "Adele Vance",
        "Alex Wilber",
    }


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_open_picker_in_both_languages(page, live_server, sign_in, tenant, language, shot):
    admin = make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    admin.preferred_language = language
    admin.save(update_fields=["preferred_language"])
    sign_in("megan@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/groups/add/?start=1")
    page.locator("#kind-team").check()
    page.locator("[data-testid=group-add-type] button[type=submit]").click()
    page.locator("#id_name").fill("Marketing")
    page.locator("[data-testid=group-add-basics] button[type=submit]").click()

    box = page.locator("#id_owners")
    listbox = page.locator("#id_owners-listbox")
    box.press_sequentially("a", delay=50)
    listbox.get_by_role("option").first.click()
    box.press_sequentially("pat", delay=50)
    expect(listbox.get_by_role("option")).to_have_count(2)
    box.press("ArrowDown")
    page.set_viewport_size({"width": 1100, "height": 720})
    page.screenshot(path=str(SCREENSHOTS / f"people_picker_{language}.png"))
    shot(f"people-picker-{language}")
    hint = {"en": "Type part of a display name", "nl": "Typ een deel van een weergavenaam"}
    expect(page.get_by_test_id("group-add-owners")).to_contain_text(hint[language])
