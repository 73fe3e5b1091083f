"""A user's groups on the user's page (the Users area asks the Groups area's services)."""

import pytest

from accounts.roles import GROUPS_ADMIN, HELPDESK_ADMIN
from groups.models import Membership
from tests.factories import make_tenant, make_user
from tests.groups.factories import make_group
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db


def create(tenant, groups_admin, kind="team", **fields):
    return make_group(tenant, groups_admin, kind, **fields)


def test_groups_on_a_users_page(client, tenant, groups_admin):
    group = create(tenant, groups_admin)
    other = create(tenant, groups_admin, "security", name="Laptops")
    pat = make_user(tenant, "pat")
    sign_in(client, groups_admin)
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert 'data-testid="user-groups"' in page and "Not in any group." in page
    assert "Laptops" in client.get(f"/users/{pat.pk}/groups/", {"q": "lap"}).content.decode()
    client.post(f"/users/{pat.pk}/groups/join/", {"role": "member", "groups": [group.pk, other.pk]})
    assert Membership.objects.filter(user=pat, role="member").count() == 2
    client.post(f"/users/{pat.pk}/groups/leave/", {"role": "member", "groups": [other.pk]})
    assert list(Membership.objects.filter(user=pat).values_list("group", flat=True)) == [group.pk]


def test_a_foreign_group_cannot_be_joined(client, tenant, groups_admin):
    other_tenant = make_tenant()
    foreign = create(other_tenant, make_user(other_tenant, roles=[GROUPS_ADMIN]))
    pat = make_user(tenant, "pat")
    sign_in(client, groups_admin)
    assert_not_found(client.post(f"/users/{pat.pk}/groups/join/", {"groups": [foreign.pk]}))
    assert not Membership.objects.filter(user=pat).exists()


def test_helpdesk_sees_but_cannot_change_a_users_groups(client, tenant, groups_admin):
    group = create(tenant, groups_admin)
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert 'data-testid="user-groups"' in client.get(f"/users/{pat.pk}/").content.decode()
    assert_forbidden(client.post(f"/users/{pat.pk}/groups/join/", {"groups": [group.pk]}))
