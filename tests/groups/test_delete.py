"""Deleting groups: one from its page or the list's selection, always after a confirmation."""

import pytest

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_READER, HELPDESK_ADMIN
from groups.models import Group
from tests.factories import make_user
from tests.groups.factories import make_group
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db


def test_a_group_is_deleted_after_its_confirmation_page(client, tenant, groups_admin, domain):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    assert f"/groups/{group.pk}/delete/" in client.get(f"/groups/{group.pk}/").content.decode()
    page = client.get(f"/groups/{group.pk}/delete/")
    assert page.status_code == 200 and "Delete Sales?" in page.content.decode()
    assert Group.objects.get(pk=group.pk).deleted_at is None  # asking deletes nothing
    response = client.post(f"/groups/{group.pk}/delete/")
    assert response.url == "/groups/"
    group.refresh_from_db()
    assert group.deleted_at is not None and group.deleted_email == f"sales@{domain}"
    assert AuditEvent.objects.filter(action="group.delete", target_id=str(group.pk)).exists()
    assert "1 group was deleted." in client.get("/groups/").content.decode()


def test_the_lists_selection_is_deleted_after_a_confirmation(client, tenant, groups_admin):
    sales = make_group(tenant, groups_admin)
    laptops = make_group(tenant, groups_admin, "security", name="Laptops")
    keep = make_group(tenant, groups_admin, "security", name="Keep")
    sign_in(client, groups_admin)
    page = client.get("/groups/delete/", {"ids": [sales.pk, laptops.pk]}).content.decode()
    assert "Delete 2 groups?" in page and "Laptops" in page and "Keep" not in page
    assert not Group.objects.filter(deleted_at__isnull=False).exists()
    response = client.post("/groups/delete/", {"ids": [sales.pk, laptops.pk]})
    assert response.url == "/groups/"
    assert set(Group.objects.filter(deleted_at__isnull=False)) == {sales, laptops}
    assert Group.objects.get(pk=keep.pk).deleted_at is None


def test_nothing_selected_is_reported(client, groups_admin):
    sign_in(client, groups_admin)
    response = client.get("/groups/delete/")
    assert response.url == "/groups/"
    assert "Select at least one group first." in client.get("/groups/").content.decode()
    assert client.post("/groups/delete/", {}).url == "/groups/"


@pytest.mark.parametrize("bad", ["x", "999999", "-1"])
def test_a_bad_id_is_404(client, tenant, groups_admin, bad):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    assert_not_found(client.get("/groups/delete/", {"ids": [group.pk, bad]}))
    assert_not_found(client.post("/groups/delete/", {"ids": [group.pk, bad]}))
    assert_not_found(client.post("/groups/999999/delete/"))
    assert Group.objects.get(pk=group.pk).deleted_at is None


def test_another_organizations_group_is_404_and_stays(client, tenant, groups_admin, foreign_group):
    mine = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    assert_not_found(client.get(f"/groups/{foreign_group.pk}/delete/"))
    assert_not_found(client.post(f"/groups/{foreign_group.pk}/delete/"))
    assert_not_found(client.get("/groups/delete/", {"ids": [foreign_group.pk]}))
    assert_not_found(client.post("/groups/delete/", {"ids": [mine.pk, foreign_group.pk]}))
    assert Group.objects.filter(deleted_at__isnull=False).count() == 0


def test_a_deleted_group_cannot_be_deleted_again(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    client.post(f"/groups/{group.pk}/delete/")
    assert_not_found(client.post(f"/groups/{group.pk}/delete/"))
    assert_not_found(client.post("/groups/delete/", {"ids": [group.pk]}))


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_readers_cannot_delete(client, tenant, groups_admin, role):
    group = make_group(tenant, groups_admin)
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get(f"/groups/{group.pk}/delete/").content.decode()
    assert "You can read this group." in page and "button-danger" not in page
    assert f"/groups/{group.pk}/delete/" not in client.get(f"/groups/{group.pk}/").content.decode()
    assert_forbidden(client.post(f"/groups/{group.pk}/delete/"))
    assert_forbidden(client.get("/groups/delete/", {"ids": [group.pk]}))
    assert_forbidden(client.post("/groups/delete/", {"ids": [group.pk]}))
    assert Group.objects.get(pk=group.pk).deleted_at is None
