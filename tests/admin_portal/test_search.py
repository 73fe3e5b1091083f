"""The top bar's search: users and groups of the reader's own organization, by role."""

import pytest
from django.urls import reverse

from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, REPORTS_READER
from groups.models import Group
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_redirects_to_signin, sign_in

pytestmark = pytest.mark.django_db

URL = reverse("search")


@pytest.fixture
def contoso():
    tenant = make_tenant("Contoso", "contoso.example")
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    make_user(tenant, "adele", display_name="Adele Vance")
    Group.objects.create(tenant=tenant, kind="security", name="Adele's project")
    Group.objects.create(tenant=tenant, kind="security", name="Finance")
    return tenant, admin


def test_admin_finds_users_and_groups_by_name(client, contoso, django_assert_max_num_queries):
    _, admin = contoso
    sign_in(client, admin)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"q": "adel"})
    assert response.status_code == 200
    users = [row.display_name for row in response.context["areas"][0]["rows"]]
    groups = [row.name for row in response.context["areas"][1]["rows"]]
    assert users == ["Adele Vance"]
    assert groups == ["Adele's project"]
    assert 'value="adel"' in response.content.decode()


def test_a_sign_in_name_finds_its_user(client, contoso):
    _, admin = contoso
    sign_in(client, admin)
    response = client.get(URL, {"q": "adele@contoso"})
    assert [row.username for row in response.context["areas"][0]["rows"]] == [
        "adele@contoso.example"
    ]


def test_no_match_says_what_to_try(client, contoso):
    _, admin = contoso
    sign_in(client, admin)
    response = client.get(URL, {"q": "zzzz"})
    content = response.content.decode()
    assert "No user matches" in content and "No group matches" in content


def test_an_empty_search_shows_no_results(client, contoso):
    _, admin = contoso
    sign_in(client, admin)
    response = client.get(URL, {"q": "  "})
    assert response.context["areas"] == []


def test_a_long_search_is_cut_to_the_field_length(client, contoso):
    _, admin = contoso
    sign_in(client, admin)
    response = client.get(URL, {"q": "a" * 500})
    assert response.status_code == 200
    assert response.context["query"] == "a" * 100


def test_more_than_a_page_links_to_the_full_list(client, contoso):
    tenant, admin = contoso
    for n in range(10):
        make_user(tenant, f"adeline{n}", display_name=f"Adeline {n}")
    sign_in(client, admin)
    response = client.get(URL, {"q": "ade"})
    assert response.context["areas"][0]["more"] is True
    assert f"{reverse('users:user_list')}?q=ade" in response.content.decode()


def test_other_organizations_are_never_found(client, contoso):
    _, admin = contoso
    other = make_tenant("Fabrikam", "fabrikam.example")
    make_user(other, "adelaide", display_name="Adelaide Other")
    Group.objects.create(tenant=other, kind="security", name="Adele's other project")
    sign_in(client, admin)
    response = client.get(URL, {"q": "adel"})
    content = response.content.decode()
    assert "Adelaide Other" not in content and "other project" not in content


def test_a_role_that_reads_neither_users_nor_groups_gets_403(client, contoso):
    tenant, _ = contoso
    billing = make_user(tenant, "billing", roles=[BILLING_ADMIN])
    sign_in(client, billing)
    assert_forbidden(client.get(URL, {"q": "adel"}))
    # And the top bar offers no search to that role.
    assert 'id="id_top_search"' not in client.get(reverse("accounts:home")).content.decode()


def test_the_top_bar_offers_the_search_to_those_who_may_use_it(client, contoso):
    _, admin = contoso
    sign_in(client, admin)
    assert 'id="id_top_search"' in client.get(reverse("accounts:home")).content.decode()


def test_a_reports_reader_is_refused(client, contoso):
    tenant, _ = contoso
    reader = make_user(tenant, "reports", roles=[REPORTS_READER])
    sign_in(client, reader)
    assert_forbidden(client.get(URL))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert_redirects_to_signin(client.get(URL, {"q": "x"}), f"{URL}?q=x")
