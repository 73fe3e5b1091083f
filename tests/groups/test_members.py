"""A group's owners and members: added and removed from its page, a URL per change."""

import pytest

from accounts.roles import GLOBAL_ADMIN
from groups.models import Membership
from tests.factories import make_tenant, make_user
from tests.groups.factories import make_group
from tests.helpers import assert_not_found, sign_in
from users import services as user_services

pytestmark = pytest.mark.django_db


def test_add_and_remove_members(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    pat = make_user(tenant, "pat", display_name="Pat")
    sam = make_user(tenant, "sam", display_name="Sam")
    sign_in(client, groups_admin)
    page = client.get(f"/groups/{group.pk}/", {"people_q": "pa"}).content.decode()
    assert f'name="users" value="{pat.pk}" id="add-users-match-{pat.pk}"' in page
    response = client.post(f"/groups/{group.pk}/members/add/", {"users": [pat.pk, sam.pk]})
    assert response.url == f"/groups/{group.pk}/"
    assert "2 members added." in client.get(response.url).content.decode()
    client.post(f"/groups/{group.pk}/members/remove/", {"users": [pat.pk]})
    assert list(
        Membership.objects.filter(group=group, role="member").values_list("user", flat=True)
    ) == [sam.pk]


def test_add_and_remove_owners(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    lee = make_user(tenant, "lee", display_name="Lee")
    sign_in(client, groups_admin)
    page = client.get(f"/groups/{group.pk}/", {"people_q": "lee"}).content.decode()
    assert f'formaction="/groups/{group.pk}/owners/add/"' in page
    client.post(f"/groups/{group.pk}/owners/add/", {"users": [lee.pk]})
    owners = Membership.objects.filter(group=group, role="owner")
    assert set(owners.values_list("user", flat=True)) == {groups_admin.pk, lee.pk}
    client.post(f"/groups/{group.pk}/owners/remove/", {"users": [groups_admin.pk]})
    assert list(owners.values_list("user", flat=True)) == [lee.pk]


def test_a_team_group_keeps_its_last_owner(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    response = client.post(f"/groups/{group.pk}/owners/remove/", {"users": [groups_admin.pk]})
    assert "keeps at least one owner" in client.get(response.url).content.decode()
    assert Membership.objects.filter(group=group, role="owner").count() == 1


@pytest.mark.parametrize("path", ["members/add/", "owners/add/", "members/remove/"])
def test_nobody_selected_is_reported(client, tenant, groups_admin, path):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    response = client.post(f"/groups/{group.pk}/{path}", {})
    assert "Select at least one person first." in client.get(response.url).content.decode()


@pytest.mark.parametrize("path", ["members/add/", "owners/add/", "members/remove/"])
def test_a_foreign_deleted_or_bad_user_is_404_and_changes_nothing(
    client, tenant, groups_admin, path
):
    group = make_group(tenant, groups_admin)
    pat = make_user(tenant, "pat")
    gone = make_user(tenant, "gone")
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    user_services.users_delete(tenant=tenant, acting_user=boss, users=[gone])
    stranger = make_user(make_tenant())
    sign_in(client, groups_admin)
    for bad in (stranger.pk, gone.pk, "x", 999999):
        assert_not_found(client.post(f"/groups/{group.pk}/{path}", {"users": [pat.pk, bad]}))
    assert not Membership.objects.filter(group=group).exclude(user=groups_admin).exists()


def test_a_deleted_user_leaves_member_lists_and_comes_back_on_restore(
    client, tenant, groups_admin, domain
):
    group = make_group(tenant, groups_admin)
    pat = make_user(tenant, "pat", display_name="Pat Person")
    sign_in(client, groups_admin)
    client.post(f"/groups/{group.pk}/members/add/", {"users": [pat.pk]})
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    user_services.users_delete(tenant=tenant, acting_user=boss, users=[pat])
    assert "Pat Person" not in client.get(f"/groups/{group.pk}/").content.decode()
    user_services.user_restore(tenant=tenant, acting_user=boss, user=pat, username=f"pat@{domain}")
    assert "Pat Person" in client.get(f"/groups/{group.pk}/").content.decode()
