"""Active groups: who sees the list, search, filter, sort, export, query budget."""

import re

import pytest

from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from groups.models import Group, Membership
from tests.factories import make_user
from tests.groups.factories import make_group
from tests.helpers import assert_forbidden, sidebar, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, USER_ADMIN, GROUPS_ADMIN])
def test_managing_roles_see_and_change_groups(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get("/groups/").content.decode()
    assert "Add a group" in page and "data-needs-selection" in page
    assert "/groups/" in sidebar(client.get("/"))


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_readers_read_groups_and_see_no_changes(client, tenant, groups_admin, role):
    make_group(tenant, groups_admin)
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get("/groups/").content.decode()
    assert "Sales" in page and "Add a group" not in page and "data-needs-selection" not in page


@pytest.mark.parametrize("role", [BILLING_ADMIN, None])
def test_others_get_403(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    assert_forbidden(client.get("/groups/"))
    assert_forbidden(client.get("/groups/export/"))


def test_list_search_filter_sort_and_export(client, tenant, groups_admin, domain):
    make_group(tenant, groups_admin, name="Sales")
    make_group(tenant, groups_admin, "security", name="Laptops")
    make_group(tenant, groups_admin, "distribution", name="Newsletter", email=f"news@{domain}")
    sign_in(client, groups_admin)
    page = client.get("/groups/", {"q": "news"}).content.decode()
    assert "Newsletter" in page and "Laptops" not in page
    page = client.get("/groups/", {"kind": "security"}).content.decode()
    assert "Laptops" in page and "Sales" not in page
    page = client.get("/groups/", {"sort": "-name"}).content.decode()
    assert page.index("Sales") < page.index("Newsletter") < page.index("Laptops")
    export = b"".join(client.get("/groups/export/").streaming_content).decode()
    assert (
        export.splitlines()[0] == "Name,Type,Email address,Members,Created"
        and "Newsletter" in export
    )


def test_bad_filters_are_a_bad_request_for_the_export(client, groups_admin):
    sign_in(client, groups_admin)
    assert client.get("/groups/export/", {"kind": "spaceship"}).status_code == 400
    assert client.get("/groups/", {"kind": "spaceship"}).status_code == 200


def test_another_organizations_groups_are_not_listed(client, groups_admin, foreign_group):
    sign_in(client, groups_admin)
    assert "Foreign" not in client.get("/groups/").content.decode()
    assert "Foreign" not in b"".join(client.get("/groups/export/").streaming_content).decode()


def names(response):
    """Return the group names of the list's rows, in order."""
    body = response.content.decode()
    return re.findall(r'<td><a href="/groups/\d+/">([^<]*)</a></td>', body)


def test_sort_heading_links_keep_the_search_and_reverse(client, tenant, groups_admin):
    make_group(tenant, groups_admin, name="Sales")
    sign_in(client, groups_admin)
    page = client.get("/groups/", {"q": "sa", "kind": "team", "sort": "name", "page": "1"})
    page = page.content.decode()
    assert 'aria-sort="ascending"><a href="?q=sa&amp;kind=team&amp;sort=-name"' in page
    assert '<th scope="col"><a href="?q=sa&amp;kind=team&amp;sort=members"' in page
    assert page.count("aria-sort=") == 1
    page = client.get("/groups/", {"sort": "-members"}).content.decode()
    assert 'aria-sort="descending"><a href="?sort=members"' in page
    # No sort asked: by name, and the heading says so.
    page = client.get("/groups/").content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-name"' in page


def test_sorting_by_each_column(client, tenant, groups_admin, domain):
    make_group(tenant, groups_admin, name="b team")
    make_group(tenant, groups_admin, "security", name="A security")
    make_group(tenant, groups_admin, "distribution", name="C list", email=f"c@{domain}")
    sign_in(client, groups_admin)
    assert names(client.get("/groups/")) == ["A security", "b team", "C list"]
    by_kind = ["C list", "A security", "b team"]  # distribution, security, team
    assert names(client.get("/groups/", {"sort": "kind"})) == by_kind
    assert names(client.get("/groups/", {"sort": "-kind"})) == by_kind[::-1]
    assert names(client.get("/groups/", {"sort": "email"}))[0] == "A security"
    # A sort that is no column's is reported at the form, and the list is by name.
    response = client.get("/groups/", {"sort": "password"})
    assert response.status_code == 200
    assert names(response) == ["A security", "b team", "C list"]


def test_rows_show_type_address_and_members(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin, "security", name="Laptops <admins>")
    sign_in(client, groups_admin)
    page = client.get("/groups/").content.decode()
    assert (
        f'<td><a href="/groups/{group.pk}/">Laptops &lt;admins&gt;</a></td>'
        "<td>Security group</td><td>—</td><td>0</td>"
    ) in page
    assert f'value="{group.pk}" form="group-bulk"' in page
    assert 'aria-label="Select Laptops &lt;admins&gt;"' in page


def test_live_search_is_pushed_to_the_address_bar(client, groups_admin):
    sign_in(client, groups_admin)
    page = client.get("/groups/").content.decode()
    assert 'hx-get="/groups/"' in page and 'hx-push-url="true"' in page
    assert 'hx-target="#group-results"' in page and 'id="group-results"' in page


def test_htmx_request_gets_only_the_results_and_the_export_link(client, tenant, groups_admin):
    make_group(tenant, groups_admin, name="Sales")
    make_group(tenant, groups_admin, "security", name="Laptops")
    sign_in(client, groups_admin)
    response = client.get("/groups/", {"q": "lap", "page": "1"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<table" in body and "<html" not in body and 'role="search"' not in body
    assert names(response) == ["Laptops"]
    assert 'id="group-export" href="/groups/export/?q=lap" hx-swap-oob="true"' in body
    # Back and refresh (a history restore) get the whole page.
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    page = client.get("/groups/", {"q": "lap"}, headers=restore).content.decode()
    assert "<html" in page and 'value="lap"' in page and "hx-swap-oob" not in page


def test_empty_list_offers_the_first_group_to_those_who_may_add(client, tenant, groups_admin):
    sign_in(client, groups_admin)
    page = client.get("/groups/").content.decode()
    assert (
        '<td colspan="5" class="empty">No groups yet. '
        '<a href="/groups/add/?start=1">Add the first one</a></td>'
    ) in page
    page = client.get("/groups/", {"q": "nothing"}).content.decode()
    assert "No groups match this search or filter." in page and "Add the first one" not in page
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get("/groups/").content.decode()
    assert "No groups yet." in page and "Add the first one" not in page


def test_pages_of_50_with_a_total(client, tenant, groups_admin):
    Group.objects.bulk_create(
        Group(tenant=tenant, kind="security", name=f"Group {n:02}") for n in range(60)
    )
    sign_in(client, groups_admin)
    first = client.get("/groups/", {"sort": "-name"})
    assert len(names(first)) == 50 and names(first)[0] == "Group 59"
    body = first.content.decode()
    assert "60 items" in body and "Page 1 of 2" in body
    assert 'href="?sort=-name&amp;page=2"' in body
    assert names(client.get("/groups/", {"sort": "-name", "page": "2"}))[-1] == "Group 00"


def test_a_page_out_of_range_shows_the_last_and_a_bad_number_the_first(
    client, tenant, groups_admin
):
    Group.objects.bulk_create(
        Group(tenant=tenant, kind=kind, name=f"Group {n:02}")
        for n in range(60)
        for kind in ("security", "team")
    )
    sign_in(client, groups_admin)
    for page in ("3", "99", "0", "-1"):
        response = client.get("/groups/", {"kind": "security", "page": page})
        body = response.content.decode()
        assert "60 items" in body and "Page 2 of 2" in body
        assert names(response) == [f"Group {n:02}" for n in range(50, 60)]
    for page in ("x", "2.0", ""):
        body = client.get("/groups/", {"kind": "security", "page": page}).content.decode()
        assert "Page 1 of 2" in body
    body = client.get("/groups/", {"kind": "distribution", "page": "2"}).content.decode()
    assert "0 items" in body and "No groups match this search or filter." in body


@pytest.mark.parametrize("count", [3, 60])
def test_list_query_count_does_not_grow_with_groups(
    client, tenant, groups_admin, count, django_assert_num_queries, session_query
):
    groups = Group.objects.bulk_create(
        Group(tenant=tenant, kind="security", name=f"Group {n}") for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(tenant=tenant, group=group, user=groups_admin, role=Membership.Role.MEMBER)
        for group in groups
    )
    sign_in(client, groups_admin)
    # The session, the user with their roles, then the page with its total; a
    # search counts apart; a page out of range reads the total, then the last page.
    for params, headers, queries in (
        ({}, {}, 2),
        ({"kind": "security", "sort": "-members", "page": "2"}, {}, 2 if count > 50 else 4),
        ({"q": "group", "kind": "security", "sort": "-members", "page": "2"}, {}, 3),
        ({"q": "group 1"}, {"HX-Request": "true"}, 3),
    ):
        with django_assert_num_queries(session_query + queries):
            assert client.get("/groups/", params, headers=headers).status_code == 200
