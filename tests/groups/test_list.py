"""Active groups: who sees the list, search, filter, sort, export, query budget."""

import pytest

from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
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
def test_readers_read_groups_and_see_no_changes(client, tenant, admin, role):
    make_group(tenant, admin)
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get("/groups/").content.decode()
    assert "Sales" in page and "Add a group" not in page and "data-needs-selection" not in page


@pytest.mark.parametrize("role", [BILLING_ADMIN, None])
def test_others_get_403(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    assert_forbidden(client.get("/groups/"))
    assert_forbidden(client.get("/groups/export/"))


def test_list_search_filter_sort_and_export(client, tenant, admin, domain):
    make_group(tenant, admin, name="Sales")
    make_group(tenant, admin, "security", name="Laptops")
    make_group(tenant, admin, "distribution", name="Newsletter", email=f"news@{domain}")
    sign_in(client, admin)
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


def test_bad_filters_are_a_bad_request_for_the_export(client, admin):
    sign_in(client, admin)
    assert client.get("/groups/export/", {"kind": "spaceship"}).status_code == 400
    assert client.get("/groups/", {"kind": "spaceship"}).status_code == 200


def test_another_organizations_groups_are_not_listed(client, admin, foreign_group):
    sign_in(client, admin)
    assert "Foreign" not in client.get("/groups/").content.decode()
    assert "Foreign" not in b"".join(client.get("/groups/export/").streaming_content).decode()


def test_list_query_count_is_bounded(client, tenant, admin, django_assert_max_num_queries):
    for n in range(30):
        make_group(tenant, admin, "security", name=f"Group {n}")
    sign_in(client, admin)
    with django_assert_max_num_queries(12):
        client.get("/groups/")
