"""End to end in Chromium: a team group with two members and an owner; deleted and restored."""

import pytest
from playwright.sync_api import expect

from accounts.roles import GROUPS_ADMIN
from groups.models import Group, Membership
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_groups_admin_creates_a_team_group_adds_people_deletes_and_restores_it(
    page, live_server, sign_in, shot
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "grace", roles=[GROUPS_ADMIN], display_name="Grace Admin")
    for local, name in [
        ("olivia", "Olivia Owner"),
        ("adele", "Adele Vance"),
        ("alex", "Alex Wilber"),
        ("lee", "Lee Gu"),
    ]:
        make_user(tenant, local, display_name=name)
    sign_in("grace@contoso.example", PASSWORD)

    page.goto(f"{live_server.url}/groups/")
    page.get_by_role("link", name="Add a group").click()
    page.get_by_label("Team group").check()
    shot("groups-add-type")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Name").fill("Marketing")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("combobox", name="Owners").press_sequentially("olivia", delay=50)
    page.get_by_role("option", name="Olivia Owner").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Email address").fill("marketing")
    expect(page.locator("#username-check")).to_contain_text("is available")
    page.get_by_label("Private: owners decide who joins").check()
    shot("groups-add-settings")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("group-add-review")).to_contain_text("marketing@contoso.example")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_text("Marketing was created.")).to_be_visible()

    people = page.get_by_role("combobox", name="People")
    people.press_sequentially("adele", delay=50)
    page.get_by_role("option", name="Adele Vance").click()
    people.press_sequentially("alex", delay=50)
    page.get_by_role("option", name="Alex Wilber").click()
    page.get_by_role("button", name="Add as members").click()
    expect(page.get_by_test_id("group-members")).to_contain_text("2 members")
    people.press_sequentially("lee", delay=50)
    page.get_by_role("option", name="Lee Gu").click()
    page.get_by_role("button", name="Add as owners").click()
    expect(page.get_by_test_id("group-owners")).to_contain_text("2 owners")
    shot("groups-detail")

    group = Group.objects.get(name="Marketing")
    page.goto(f"{live_server.url}/groups/")
    page.get_by_label("Select Marketing").check()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete 1 group?")).to_be_visible()
    page.get_by_test_id("group-delete-form").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("1 group was deleted.")).to_be_visible()
    page.goto(f"{live_server.url}/groups/deleted/")
    page.get_by_role("link", name="Restore Marketing").click()
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Marketing was restored.")).to_be_visible()
    assert Group.objects.get(pk=group.pk).email == "marketing@contoso.example"
    assert Membership.objects.filter(group=group).count() == 4
