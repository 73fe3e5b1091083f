"""Whatever arrives in the query string of a list page, search or filter, the answer is the
page (200), a redirect to a clean URL or a 400: never a server error.

Long values, NUL characters, odd Unicode and unknown choices are what a crafted link
or a fuzzer sends; on PostgreSQL a NUL in a query parameter used to reach the database.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.roles import GLOBAL_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# Each list page with the parameters it reads.
PAGES = {
    "/users/": ["q", "status", "role", "license", "sort", "page"],
    "/users/deleted/": ["q", "page"],
    "/groups/": ["q", "kind", "sort", "page"],
    "/groups/deleted/": ["q", "page"],
    "/audit/": ["actor", "action", "date_from", "date_to", "page"],
    "/audit/export/": ["actor", "action", "date_from", "date_to"],
    "/search/": ["q"],
    "/billing/bills/": ["date_from", "date_to", "page"],
    "/settings/releases/": ["q"],
    "/health/messages/": ["category", "page"],
    "/resources/": ["q"],
}

# Printable and control characters of every plane, but not lone surrogates (which
# no URL can carry).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
long_text = st.integers(min_value=101, max_value=120_000).map(lambda n: "é" * (n // 2) + "a" * n)
values = st.one_of(any_text, long_text, st.just("\x00"), st.just("2024-02-30"), st.just("-1"))


@pytest.fixture
def tolerant_client(db):
    """An admin's client of its own (not pytest-django's): Hypothesis runs it many times.

    A server error comes back as a 500 response, not raised, so the test sees it.
    """
    tenant = make_tenant()
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    make_user(tenant, "someone", display_name="Someone Else")
    client = sign_in(Client(), admin)
    client.raise_request_exception = False
    return client


def _assert_answered(client, path, query):
    response = client.get(path, query)
    assert response.status_code in (200, 302, 400), (path, query, response.status_code)
    if response.status_code == 302:
        assert not response["Location"].startswith("/signin"), response["Location"]
    if response.streaming:
        b"".join(response.streaming_content)  # a broken export breaks off while streaming


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_value_of_100000_characters_is_never_a_server_error(tolerant_client, path):
    for name in PAGES[path]:
        _assert_answered(tolerant_client, path, {name: "a" * 100_000})


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_nul_character_is_never_a_server_error(tolerant_client, path):
    for name in PAGES[path]:
        _assert_answered(tolerant_client, path, {name: "ab\x00cd"})


@pytest.mark.parametrize("path", sorted(PAGES))
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_query_string_gives_the_page_or_a_400(tolerant_client, path, data):
    names = st.sampled_from([*PAGES[path], "unknown"])
    query = data.draw(st.dictionaries(names, values, max_size=4))
    _assert_answered(tolerant_client, path, query)
