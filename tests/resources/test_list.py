"""The resources list: rows, empty state, other organizations' rooms, query budget."""

import pytest

from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER
from resources.models import Resource
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def room(tenant, domain, name, **fields):
    local = name.lower().replace(" ", "")
    return Resource.objects.create(
        tenant=tenant, kind="room", name=name, email=f"{local}@{domain}", **fields
    )


def test_rows_link_to_each_resource_by_name(client, tenant, domain):
    board = room(tenant, domain, "Board room", capacity=12, location="Floor 2")
    beamer = Resource.objects.create(
        tenant=tenant, kind="equipment", name="Beamer", email=f"beamer@{domain}"
    )
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get("/resources/").content.decode()
    assert (
        f'<tr><td><a href="/resources/{beamer.pk}/">Beamer</a></td><td>Equipment</td>'
        f"<td>beamer@{domain}</td><td>—</td><td>—</td></tr>"
    ) in page
    assert (
        f'<td><a href="/resources/{board.pk}/">Board room</a></td><td>Room</td>'
        f"<td>boardroom@{domain}</td><td>12</td><td>Floor 2</td>"
    ) in page
    assert page.index("Beamer") < page.index("Board room") and "2 items" in page


def test_an_empty_list_offers_the_first_room_to_who_may_add(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = client.get("/resources/").content.decode()
    assert (
        '<td colspan="5" class="empty">No rooms or equipment yet. '
        '<a href="/resources/add/">Add a room or a piece of equipment</a></td>'
    ) in page
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get("/resources/").content.decode()
    assert "No rooms or equipment yet." in page and "Add a room" not in page


def test_another_organizations_resources_are_not_listed(client, tenant, domain):
    other = make_tenant()
    room(other, other.domain_set.get().name, "Foreign room")
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert "Foreign room" not in client.get("/resources/").content.decode()


@pytest.mark.parametrize("count", [3, 60])
def test_query_count_does_not_grow_with_resources(
    client, tenant, domain, count, django_assert_num_queries, session_query
):
    for n in range(count):
        room(tenant, domain, f"Room {n:02}")
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    # The session, the user with their roles, then the page: a page that is not full
    # is the last (no COUNT); one out of range counts, then reads the last page.
    with django_assert_num_queries(session_query + (2 if count > 50 else 4)):
        response = client.get("/resources/", {"page": "2"})
    assert response.status_code == 200
