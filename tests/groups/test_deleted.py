"""Deleted groups: the list, and restoring one under its old address or another."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from groups import services
from groups.models import Group
from tests.factories import make_tenant, make_user
from tests.groups.factories import make_group
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted(tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    services.groups_delete(tenant=tenant, acting_user=groups_admin, groups=[group])
    return group


def test_a_deleted_group_is_listed_and_restored(client, groups_admin, deleted, domain):
    sign_in(client, groups_admin)
    page = client.get("/groups/deleted/").content.decode()
    assert "Sales" in page and f"/groups/deleted/{deleted.pk}/restore/" in page
    form = client.get(f"/groups/deleted/{deleted.pk}/restore/").content.decode()
    assert f'value="sales@{domain}"' in form
    response = client.post(f"/groups/deleted/{deleted.pk}/restore/", {"email": f"sales@{domain}"})
    assert response.url == f"/groups/{deleted.pk}/"
    deleted.refresh_from_db()
    assert (deleted.deleted_at, deleted.email) == (None, f"sales@{domain}")


def test_a_taken_address_is_reported_and_another_one_restores(
    client, tenant, groups_admin, deleted, domain
):
    make_group(tenant, groups_admin, name="New sales")
    sign_in(client, groups_admin)
    response = client.post(f"/groups/deleted/{deleted.pk}/restore/", {"email": f"sales@{domain}"})
    assert response.status_code == 200 and "is in use" in response.content.decode()
    assert Group.objects.get(pk=deleted.pk).deleted_at is not None
    client.post(f"/groups/deleted/{deleted.pk}/restore/", {"email": f"old-sales@{domain}"})
    assert Group.objects.get(pk=deleted.pk).email == f"old-sales@{domain}"


def test_a_bad_address_is_shown_at_the_field(client, groups_admin, deleted):
    sign_in(client, groups_admin)
    response = client.post(f"/groups/deleted/{deleted.pk}/restore/", {"email": "not an address"})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert Group.objects.get(pk=deleted.pk).deleted_at is not None


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_readers_see_deleted_groups_and_restore_none(client, tenant, deleted, role):
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get("/groups/deleted/").content.decode()
    assert "Sales" in page and "/restore/" not in page
    assert_forbidden(client.get(f"/groups/deleted/{deleted.pk}/restore/"))
    assert_forbidden(client.post(f"/groups/deleted/{deleted.pk}/restore/", {}))
    assert Group.objects.get(pk=deleted.pk).deleted_at is not None


def test_another_organizations_or_an_active_group_is_404(client, tenant, groups_admin):
    other = make_tenant()
    other_admin = make_user(other, roles=[GLOBAL_ADMIN])
    foreign = make_group(other, other_admin, "security", name="Foreign")
    services.groups_delete(tenant=other, acting_user=other_admin, groups=[foreign])
    active = make_group(tenant, groups_admin, "security", name="Active")
    sign_in(client, groups_admin)
    for group in (foreign, active):
        assert_not_found(client.get(f"/groups/deleted/{group.pk}/restore/"))
        assert_not_found(client.post(f"/groups/deleted/{group.pk}/restore/", {}))
    assert Group.objects.get(pk=foreign.pk).deleted_at is not None


def test_the_list_shows_type_former_address_time_and_days_left(
    client, groups_admin, deleted, domain
):
    sign_in(client, groups_admin)
    page = client.get("/groups/deleted/").content.decode()
    assert f"<td>Sales</td><td>Team group</td><td>sales@{domain}</td>" in page
    assert "<td>30</td>" in page
    assert (
        f'<td><a class="button button-small button-secondary" '
        f'href="/groups/deleted/{deleted.pk}/restore/" aria-label="Restore Sales">Restore</a></td>'
    ) in page
    assert '<span class="visually-hidden">Actions</span>' in page


def test_an_empty_list_says_so(client, tenant, groups_admin):
    sign_in(client, groups_admin)
    page = client.get("/groups/deleted/").content.decode()
    assert '<td colspan="6" class="empty">No groups were deleted in the last 30 days.' in page
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get("/groups/deleted/").content.decode()
    assert '<td colspan="5" class="empty">No groups were deleted in the last 30 days.' in page


@pytest.mark.parametrize("count", [3, 60])
def test_query_count_does_not_grow_with_deleted_groups(
    client, tenant, groups_admin, count, django_assert_num_queries, session_query
):
    from django.utils import timezone

    Group.objects.bulk_create(
        Group(tenant=tenant, kind="security", name=f"Old {n}", deleted_at=timezone.now())
        for n in range(count)
    )
    sign_in(client, groups_admin)
    # The session, the user with their roles, then the page: a page that is not full
    # is the last (no COUNT); one out of range counts, then reads the last page.
    with django_assert_num_queries(session_query + (2 if count > 50 else 4)):
        response = client.get("/groups/deleted/", {"page": "2"})
    assert response.status_code == 200 and "Old 0" in response.content.decode()


def test_the_deletion_time_is_in_the_organizations_zone(client, tenant, admin, deleted):
    # Yesterday at 03:04 UTC is 12:04 the same day in Tokyo (no daylight saving time).
    moment = (timezone.now() - timedelta(days=1)).replace(hour=3, minute=4, tzinfo=UTC)
    Group.objects.filter(pk=deleted.pk).update(deleted_at=moment)
    tenant.time_zone = "Asia/Tokyo"
    tenant.save(update_fields=["time_zone"])
    sign_in(client, admin)
    page = client.get("/groups/deleted/").content.decode()
    month = moment.strftime("%b")  # English month abbreviation, as the portal writes it
    assert f"<td>{moment.day} {month} {moment.year}, 12:04 JST</td>" in page
