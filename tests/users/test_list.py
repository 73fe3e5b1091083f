"""Active users: search, filters, sort, pages, totals, and the same answers for every role."""

import pytest

from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from tests.factories import make_tenant, make_user
from tests.helpers import (
    assert_forbidden,
    assert_redirects_to_signin,
    make_alt_email,
    sidebar,
    sign_in,
)

pytestmark = pytest.mark.django_db

URL = "/users/"


def names(response):
    """Return the display names in the list's rows, in order."""
    import re

    body = response.content.decode()
    table = body[body.index("<tbody>") : body.index("</tbody>")]
    return re.findall(r'<td><a href="/users/\d+/">([^<]*)</a></td>', table)


def test_lists_active_users_with_roles_and_status(client, tenant, admin):
    make_user(tenant, "adele", display_name="Adele Vance", is_sign_in_blocked=True)
    make_user(tenant, "gone", display_name="Gone Person", deleted_at="2026-01-01T00:00Z")
    make_user(make_tenant(), "stranger", display_name="Other Org")
    sign_in(client, admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["Adele Vance", "Megan Bowen"]
    page = response.content.decode()
    assert "Global admin" in page and "Blocked" in page
    assert "2 items" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ade", ["Adele Vance"]),  # contains, from 3 characters
        ("vance", ["Adele Vance"]),
        ("lee", ["Lee Gu"]),  # sign-in name
        ("backup.mailbox", ["Lee Gu"]),  # alternate email
        ("ga", []),  # under 3 characters: start of a name only
        ("me", ["Megan Bowen"]),
        ("  MEGAN   ", ["Megan Bowen"]),
        ("zzz", []),
    ],
)
def test_search_by_name_sign_in_name_and_alternate_email(client, tenant, admin, query, expected):
    make_user(tenant, "adele", display_name="Adele Vance")
    lee = make_user(tenant, "lee", display_name="Lee Gu")
    make_alt_email(lee, "backup.mailbox@example.org")
    sign_in(client, admin)
    response = client.get(URL, {"q": query})
    assert names(response) == expected
    if not expected:
        assert "No users match this search or these filters." in response.content.decode()


def test_unverified_alternate_email_is_not_searched(client, tenant, admin):
    lee = make_user(tenant, "lee", display_name="Lee Gu")
    make_alt_email(lee, "hidden.box@example.org", confirmed=False)
    sign_in(client, admin)
    assert names(client.get(URL, {"q": "hidden.box"})) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "blocked"}, ["Blocked Bob"]),
        ({"status": "allowed"}, ["Desk Dana", "Megan Bowen", "Plain Pat"]),
        ({"role": "none"}, ["Blocked Bob", "Plain Pat"]),
        ({"role": "any"}, ["Desk Dana", "Megan Bowen"]),
        ({"role": HELPDESK_ADMIN}, ["Desk Dana"]),
        ({"role": HELPDESK_ADMIN, "q": "meg"}, []),
    ],
)
def test_filters(client, tenant, admin, params, expected):
    make_user(tenant, "bob", display_name="Blocked Bob", is_sign_in_blocked=True)
    make_user(tenant, "dana", display_name="Desk Dana", roles=[HELPDESK_ADMIN])
    make_user(tenant, "pat", display_name="Plain Pat")
    sign_in(client, admin)
    response = client.get(URL, params)
    assert names(response) == expected
    assert f"{len(expected)} item" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Anna A", "Bert B", "Megan Bowen"]),
        ("-name", ["Megan Bowen", "Bert B", "Anna A"]),
        ("username", ["Anna A", "Bert B", "Megan Bowen"]),
        ("-username", ["Megan Bowen", "Bert B", "Anna A"]),
        ("roles", ["Megan Bowen", "Anna A", "Bert B"]),
        ("status", ["Anna A", "Megan Bowen", "Bert B"]),
        # Yes/no columns: one side, then the other, each in name order.
        ("-status", ["Bert B", "Anna A", "Megan Bowen"]),
        ("-roles", ["Anna A", "Bert B", "Megan Bowen"]),
    ],
)
def test_sort_by_every_column(client, tenant, admin, sort, expected):
    make_user(tenant, "anna", display_name="Anna A")
    make_user(tenant, "bert", display_name="Bert B", is_sign_in_blocked=True)
    sign_in(client, admin)
    assert names(client.get(URL, {"sort": sort})) == expected


def test_yes_no_sorts_page_across_both_sides(client, tenant, admin):
    for n in range(60):
        make_user(tenant, f"u{n:02}", display_name=f"User {n:02}", is_sign_in_blocked=n < 55)
    sign_in(client, admin)
    first = names(client.get(URL, {"sort": "status"}))
    second = names(client.get(URL, {"sort": "status", "page": "2"}))
    assert first[:6] == ["Megan Bowen"] + [f"User {n}" for n in range(55, 60)]
    assert first[6:] == [f"User {n:02}" for n in range(44)]
    assert second == [f"User {n:02}" for n in range(44, 55)]
    # Blocked first; a page past the end shows the last one.
    last = names(client.get(URL, {"sort": "-status", "page": "9"}))
    assert last == [f"User {n}" for n in range(50, 55)] + first[:6]


def test_sort_heading_links_keep_the_search_and_reverse(client, tenant, admin):
    sign_in(client, admin)
    page = client.get(URL, {"q": "meg", "sort": "name", "page": "1"}).content.decode()
    assert 'aria-sort="ascending"><a href="?q=meg&amp;sort=-name"' in page
    assert '<a href="?q=meg&amp;sort=username"' in page


def test_bad_sort_and_filter_values_are_reported_not_crashing(client, tenant, admin):
    sign_in(client, admin)
    response = client.get(URL, {"sort": "password", "status": "maybe", "per_page": "9999"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert names(response) == ["Megan Bowen"]


def test_pages_of_50_100_or_200_with_a_total(client, tenant, admin):
    for n in range(120):
        make_user(tenant, f"u{n:03}", display_name=f"User {n:03}")
    sign_in(client, admin)
    first = client.get(URL)
    assert len(names(first)) == 50
    assert "121 items" in first.content.decode() and "Page 1 of 3" in first.content.decode()
    last = client.get(URL, {"page": "3"})
    assert names(last)[-1] == "User 119"
    assert len(names(client.get(URL, {"per_page": "100"}))) == 100
    assert len(names(client.get(URL, {"per_page": "200"}))) == 121
    assert len(names(client.get(URL, {"per_page": "7"}))) == 50
    # Pages beyond the end show the last page rather than an error.
    assert names(client.get(URL, {"page": "99"})) == names(last)


def test_unfiltered_total_is_refreshed_after_any_change(client, tenant, admin):
    """The cached total follows the organization's version: any write renews it."""
    sign_in(client, admin)
    assert "1 item" in client.get(URL).content.decode()
    make_user(tenant, "new", display_name="New Person")  # outside any service
    assert "2 items" in client.get(URL).content.decode()


def test_htmx_request_gets_only_the_results(client, tenant, admin):
    sign_in(client, admin)
    response = client.get(URL, {"q": "meg"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<table" in body and "<html" not in body and 'id="bulk-form"' in body
    assert names(response) == ["Megan Bowen"]


@pytest.mark.parametrize(
    "role", [GLOBAL_ADMIN, GLOBAL_READER, USER_ADMIN, HELPDESK_ADMIN, GROUPS_ADMIN]
)
def test_roles_that_view_users_see_the_list(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert client.get(URL).status_code == 200
    assert URL in sidebar(client.get("/"))


@pytest.mark.parametrize("role", [BILLING_ADMIN, None])
def test_others_get_403_and_no_nav_item(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    assert_forbidden(client.get(URL))
    assert_forbidden(client.get(URL + "export/"))


def test_actions_are_shown_by_permission(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get(URL).content.decode()
    assert 'formaction="/users/bulk/block/"' not in page
    assert 'formaction="/users/bulk/reset-password/"' not in page
    assert 'formaction="/users/bulk/export/"' in page
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    page = client.get(URL).content.decode()
    assert 'formaction="/users/bulk/reset-password/"' in page
    assert 'formaction="/users/bulk/block/"' not in page


def test_anonymous_is_sent_to_sign_in(client):
    assert_redirects_to_signin(client.get(URL), URL)


@pytest.mark.parametrize("rows", [10, 2000])
def test_query_count_does_not_grow_with_users(
    client, settings, tenant, admin, rows, django_assert_num_queries, django_assert_max_num_queries
):
    from accounts.models import RoleAssignment, User

    users = User.objects.bulk_create(
        User(
            tenant=tenant, username=f"u{n}@{tenant.domain_set.get().name}", display_name=f"User {n}"
        )
        for n in range(rows)
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(tenant=tenant, user=user, role=HELPDESK_ADMIN) for user in users[::7]
    )
    sign_in(client, admin)
    client.get(URL)  # warms the cached total
    # The session (unless the cache keeps it), the user with their roles, and
    # the page with its roles and licenses in one read (the subscriptions and
    # the Global admin count are kept with the cached total).
    expected = 2 if settings.SESSION_ENGINE.endswith(".cache") else 3
    with django_assert_num_queries(expected):
        response = client.get(URL, {"per_page": "200"})
    assert len(names(response)) == min(rows + 1, 200)
    # Live search gets the results alone: no command bar, no filter bar.
    with django_assert_num_queries(expected):
        response = client.get(URL, {"per_page": "200"}, headers={"HX-Request": "true"})
    assert len(names(response)) == min(rows + 1, 200)
    for params in (
        {"q": "user", "role": "none", "sort": "-status"},
        {"sort": "roles", "page": "3"},
        {"status": "allowed", "sort": "-username"},
    ):
        # The page budget: at most 12 queries, whatever the number of users.
        with django_assert_max_num_queries(12):
            assert client.get(URL, params).status_code == 200


def test_licenses_column_filter_and_bulk_assignment(client, tenant, admin):
    from billing.models import License
    from tests.billing.factories import make_subscription

    subscription = make_subscription(tenant, quantity=2)
    pat = make_user(tenant, "pat", display_name="Pat")
    sam = make_user(tenant, "sam", display_name="Sam")
    kim = make_user(tenant, "kim", display_name="Kim")
    sign_in(client, admin)
    page = client.get(URL).content.decode()
    assert 'formaction="/users/bulk/assign-license/"' in page
    assert subscription.product.name in page
    response = client.post(
        "/users/bulk/assign-license/",
        {"subscription": subscription.pk, "ids": [pat.pk, sam.pk]},
    )
    assert (
        f"{subscription.product.name} assigned to 2 users."
        in client.get(response.url).content.decode()
    )
    assert set(License.objects.values_list("user_id", flat=True)) == {pat.pk, sam.pk}
    assert names(client.get(URL, {"license": "licensed"})) == ["Pat", "Sam"]
    assert names(client.get(URL, {"license": "unlicensed"})) == ["Kim", "Megan Bowen"]
    full = client.post(
        "/users/bulk/assign-license/", {"subscription": subscription.pk, "ids": [kim.pk]}
    )
    assert "No licenses left — buy more." in client.get(full.url).content.decode()
    listed = client.get(URL).content.decode()
    assert f"<td>{subscription.product.name}</td>" in listed


def test_the_kept_facts_follow_a_change_of_the_organization(client, tenant, admin):
    from tests.billing.factories import make_subscription

    subscription = make_subscription(tenant, quantity=2)
    pat = make_user(tenant, "pat", display_name="Pat")
    sign_in(client, admin)
    assert f"{subscription.product.name} (2 free)" in client.get(URL).content.decode()
    client.post("/users/bulk/assign-license/", {"subscription": subscription.pk, "ids": [pat.pk]})
    page = client.get(URL).content.decode()
    assert f"{subscription.product.name} (1 free)" in page
    assert f"<td>{subscription.product.name}</td>" in page
    second = make_subscription(tenant, quantity=3)
    assert f"{second.product.name} (3 free)" in client.get(URL).content.decode()


def test_helpdesk_cannot_assign_licenses(client, tenant):
    from tests.billing.factories import make_subscription

    subscription = make_subscription(tenant)
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert "/users/bulk/assign-license/" not in client.get(URL).content.decode()
    assert_forbidden(
        client.post(
            "/users/bulk/assign-license/", {"subscription": subscription.pk, "ids": [pat.pk]}
        )
    )


def test_row_details_and_facts_match_the_separate_reads(tenant, admin):
    from billing import selectors as billing_selectors
    from billing.models import License
    from tests.billing.factories import make_subscription
    from users import selectors

    second = make_user(tenant, "second", roles=[GLOBAL_ADMIN, USER_ADMIN], display_name="B")
    make_user(tenant, "blocked", roles=[GLOBAL_ADMIN], is_sign_in_blocked=True)
    make_user(tenant, "gone", roles=[GLOBAL_ADMIN], deleted_at="2026-01-01T00:00Z")
    helper = make_user(tenant, "helper", roles=[HELPDESK_ADMIN])
    plain = make_user(tenant, "plain")
    make_user(make_tenant(), "stranger", roles=[GLOBAL_ADMIN])
    for subscription in (make_subscription(tenant), make_subscription(tenant)):
        License.objects.create(tenant=tenant, subscription=subscription, user=second)
    ids = [second.pk, helper.pk, plain.pk]
    facts = selectors.user_list_facts(tenant=tenant)
    rows = [selectors.UserRow(pk, "", "", False) for pk in ids]
    selectors.user_row_details(tenant=tenant, rows=rows, facts=facts)
    roles = selectors.roles_by_user(tenant=tenant, user_ids=ids)
    licenses = billing_selectors.product_names_by_user(tenant=tenant, user_ids=ids)
    for row in rows:
        assert row.role_names == ", ".join(roles.get(row.pk, ()))
        assert row.license_names == ", ".join(licenses.get(row.pk, ()))
    assert rows[0].role_names == "Global admin, User admin"
    assert rows[0].license_names.count(", ") == 1
    assert facts.global_admins == selectors.global_admin_count(tenant=tenant) == 2


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "blocked", "sort": "-username"},
        {"status": "allowed", "page": "2"},
        {"role": "any", "sort": "-name"},
        {"role": "none", "page": "2"},
        {"role": HELPDESK_ADMIN, "sort": "username"},
        {"license": "licensed"},
        {"license": "unlicensed", "sort": "-name", "page": "2"},
        {"q": "us"},
        {"q": "user 1", "sort": "-username"},
        {"q": "backup"},
        {"sort": "roles", "page": "2"},
        {"sort": "status", "page": "3"},  # the sides of a yes/no sort, each by name
        {"page": "99"},
        {"q": "user", "page": "99"},
    ],
)
def test_prepared_pages_match_the_filters_queryset(tenant, admin, params):
    from accounts.models import RoleAssignment, User
    from billing.models import License
    from tests.billing.factories import make_subscription
    from users import selectors

    domain = tenant.domain_set.get().name
    users = User.objects.bulk_create(
        User(
            tenant=tenant,
            username=f"user{n}@{domain}",
            display_name=f"User {n}",
            is_sign_in_blocked=n % 9 == 0,
        )
        for n in range(30)
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(tenant=tenant, user=user, role=HELPDESK_ADMIN) for user in users[::4]
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(tenant=tenant, user=user, role=USER_ADMIN) for user in users[::6]
    )
    subscription = make_subscription(tenant, quantity=50)
    License.objects.bulk_create(
        License(tenant=tenant, subscription=subscription, user=user) for user in users[::3]
    )
    make_alt_email(users[7], "backup.mailbox@example.org")
    make_user(make_tenant(), "stranger", roles=[HELPDESK_ADMIN], display_name="User 99")

    user_filter = selectors.user_list_filter(tenant=tenant, params=params)
    page = selectors.user_page(
        tenant=tenant, user_filter=user_filter, page=params.get("page"), per_page=7
    )
    queryset, _filter = selectors.user_list(tenant=tenant, params=params)
    expected = list(
        queryset.order_by(*selectors.sort_expressions(user_filter.sort_key)).values_list(
            "pk", flat=True
        )
    )
    last = max((len(expected) - 1) // 7 + 1, 1)
    number = min(selectors._page_number(params.get("page")), last)
    assert page.number == number
    assert page.paginator.count == len(expected)
    assert [row.pk for row in page] == expected[(number - 1) * 7 : number * 7]
    roles = selectors.roles_by_user(tenant=tenant, user_ids=None)
    for row in page:
        assert row.role_names == ", ".join(roles.get(row.pk, ()))
