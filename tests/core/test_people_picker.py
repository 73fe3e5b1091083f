"""The people picker: its widget, its search step without JavaScript and its search endpoint."""

import pytest
from django import forms
from django.http import QueryDict

from accounts.models import User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from core.people_picker import MATCH_LIMIT, PeoplePicker, people_matching, people_search
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, assert_redirects_to_signin, sign_in

pytestmark = pytest.mark.django_db

SEARCH = "/users/people/search/"


@pytest.fixture
def tenant():
    return make_tenant("Contoso", "contoso.example")


@pytest.fixture
def admin(tenant):
    return make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")


def picker_form(tenant, *, multiple=True):
    field_class = forms.ModelMultipleChoiceField if multiple else forms.ModelChoiceField
    people = User.objects.for_tenant(tenant).active()

    class PickForm(forms.Form):
        users = field_class(
            label="People",
            queryset=people,
            widget=PeoplePicker(source="group_people", search_url="users:people_search"),
        )

    return PickForm


def names(response):
    return [person["name"] for person in response.json()["results"]]


# --- The widget ---


def test_the_picker_renders_the_chosen_people_and_a_search_box(tenant):
    pat = make_user(tenant, "pat", display_name="Pat Patel")
    stranger = make_user(make_tenant(), "pat", display_name="Pat Stranger")
    form = picker_form(tenant)(initial={"users": [pat.pk, stranger.pk, "x"]})
    html = str(form["users"])
    assert 'data-people-picker data-search-url="/users/people/search/"' in html
    assert 'data-source="group_people"' in html and 'data-multiple="true"' in html
    # The chosen: a ticked box posts the id; a hidden copy carries it through a search.
    assert (
        f'type="checkbox" name="users" value="{pat.pk}" id="id_users-chosen-{pat.pk}" checked'
        in (html)
    )
    assert f'type="hidden" name="users" value="{pat.pk}" form="id_users-search"' in html
    assert "Pat Stranger" not in html and f'value="{stranger.pk}"' not in html
    # The search box is the field's (its label names it) and posts to the GET form only.
    assert 'type="search" id="id_users" name="people_q"' in html
    assert 'form="id_users-search"' in html and 'role="listbox"' in html
    assert "required" not in html


def test_one_person_is_chosen_with_radios(tenant):
    pat = make_user(tenant, "pat", display_name="Pat Patel")
    form = picker_form(tenant, multiple=False)(initial={"users": pat.pk})
    html = str(form["users"])
    assert 'data-multiple="false"' in html
    assert f'type="radio" name="users" value="{pat.pk}"' in html


def test_the_search_step_lists_matches_to_tick_and_keeps_the_chosen(tenant):
    pat = make_user(tenant, "pat", display_name="Pat Patel")
    patty = make_user(tenant, "patty", display_name="Patty Smith")
    make_user(tenant, "sam", display_name="Sam Jones")
    make_user(make_tenant(), "patrick", display_name="Patrick Other")
    form = people_search(
        picker_form(tenant)(), QueryDict(f"people_q=++pat++&users={pat.pk}&users=oops")
    )
    html = str(form["users"])
    assert "Matches for “pat”" in html
    assert f'id="id_users-chosen-{pat.pk}" checked' in html
    assert f'type="checkbox" name="users" value="{patty.pk}" id="id_users-match-{patty.pk}"' in html
    assert f'id="id_users-match-{pat.pk}"' not in html  # already chosen
    assert "Sam Jones" not in html and "Patrick Other" not in html
    assert 'value="pat"' in html  # the search box keeps its text


def test_a_search_matching_nobody_says_so(tenant):
    form = people_search(picker_form(tenant)(), QueryDict("people_q=zz"))
    assert "Nobody matches." in str(form["users"])


def test_matches_come_from_the_queryset_by_display_or_sign_in_name(tenant):
    pat = make_user(tenant, "pat", display_name="Patricia")
    sam = make_user(tenant, "sam.k", display_name="Samuel")
    people = User.objects.for_tenant(tenant).active()
    assert list(people_matching(people, "PATRI")) == [pat]
    assert list(people_matching(people, "sam.k")) == [sam]
    assert list(people_matching(people, "  ")) == []
    assert list(people_matching(people.exclude(pk=sam.pk), "sam")) == []


def test_a_posted_id_outside_the_queryset_is_a_form_error(tenant):
    pat = make_user(tenant, "pat")
    stranger = make_user(make_tenant(), "stranger")
    form_class = picker_form(tenant)
    assert form_class({"users": [pat.pk]}).is_valid()
    form = form_class({"users": [pat.pk, stranger.pk]})
    assert not form.is_valid()
    assert form.errors.as_data()["users"][0].code == "invalid_choice"


# --- The search endpoint ---


def test_the_search_returns_matching_people_of_the_source(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat Patel")
    make_user(tenant, "sam", display_name="Sam Jones")
    sign_in(client, admin)
    response = client.get(SEARCH, {"source": "roles", "q": "pat"})
    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": pat.pk, "name": "Pat Patel", "username": "pat@contoso.example"}]
    }
    assert "no-store" in response["Cache-Control"]
    assert names(client.get(SEARCH, {"source": "roles", "q": "contoso.example"})) == [
        "Megan Bowen",
        "Pat Patel",
        "Sam Jones",
    ]
    assert names(client.get(SEARCH, {"source": "roles", "q": ""})) == []


def test_the_search_returns_at_most_ten_people(client, tenant, admin):
    for n in range(MATCH_LIMIT + 5):
        make_user(tenant, f"alex{n}", display_name=f"Alex {n:02d}")
    sign_in(client, admin)
    assert len(names(client.get(SEARCH, {"source": "early_release", "q": "alex"}))) == 10


def test_another_organizations_people_are_never_returned(client, tenant, admin):
    other = make_tenant("Fabrikam", "fabrikam.example")
    make_user(other, "pat", display_name="Pat Fabrikam")
    sign_in(client, admin)
    for source in ("roles", "group_people", "group_owners", "early_release", "licenses"):
        assert names(client.get(SEARCH, {"source": source, "q": "pat"})) == []
        assert names(client.get(SEARCH, {"source": source, "q": "fabrikam"})) == []


def test_people_outside_the_source_are_never_returned(client, tenant, admin):
    make_user(tenant, "gone", display_name="Gone Gus", deleted_at="2026-01-01T00:00Z")
    sign_in(client, admin)
    for source in ("roles", "group_people", "group_owners", "early_release", "licenses"):
        assert names(client.get(SEARCH, {"source": source, "q": "gus"})) == []


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            HELPDESK_ADMIN,
            [],
            ["roles", "group_people", "group_owners", "early_release", "licenses"],
        ),
        (GLOBAL_READER, [], ["roles", "group_people", "group_owners", "early_release"]),
        (GROUPS_ADMIN, ["group_people", "group_owners"], ["roles", "early_release", "licenses"]),
        (BILLING_ADMIN, ["licenses"], ["roles", "group_people", "early_release"]),
        (USER_ADMIN, ["roles"], ["early_release"]),
    ],
)
def test_the_search_needs_the_permission_of_the_pickers_page(
    client, tenant, role, allowed, refused
):
    make_user(tenant, "pat", display_name="Pat Patel")
    sign_in(client, make_user(tenant, roles=[role]))
    for source in allowed:
        assert names(client.get(SEARCH, {"source": source, "q": "pat"})) == ["Pat Patel"]
    for source in refused:
        assert_forbidden(client.get(SEARCH, {"source": source, "q": "pat"}))


def test_an_unknown_source_is_not_found_and_signing_in_comes_first(client, tenant, admin):
    assert_redirects_to_signin(client.get(f"{SEARCH}?source=roles"), f"{SEARCH}?source=roles")
    sign_in(client, admin)
    assert_not_found(client.get(SEARCH, {"source": "everyone", "q": "a"}))
    assert_not_found(client.get(SEARCH, {"q": "a"}))


def test_the_search_costs_a_bounded_number_of_queries(
    client, tenant, admin, django_assert_max_num_queries
):
    for n in range(30):
        make_user(tenant, f"alex{n}", display_name=f"Alex {n:02d}")
    sign_in(client, admin)
    with django_assert_max_num_queries(6):
        response = client.get(SEARCH, {"source": "roles", "q": "alex"})
    assert len(response.json()["results"]) == MATCH_LIMIT


# --- On its pages ---


def test_the_roles_page_answers_a_search_on_the_card_that_asked(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat Patel")
    sign_in(client, admin)
    page = client.get("/users/roles/", {"role": HELPDESK_ADMIN, "people_q": "pat"}).content.decode()
    assert f'type="radio" name="user" value="{pat.pk}" id="assign-helpdesk_admin-user-match' in page
    assert f'id="assign-{GROUPS_ADMIN}-user-match-{pat.pk}"' not in page
    assert page.count('data-testid="people-picker-matches"') == 1
    assert 'form id="assign-helpdesk_admin-user-search" method="get"' in page
    assert 'name="role" value="helpdesk_admin"' in page
