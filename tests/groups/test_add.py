"""Adding a group: the wizard's steps (type, name, owners, settings, review), the address check."""

import pytest
from django.utils import translation
from django.utils.html import escape

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_READER, HELPDESK_ADMIN
from groups.models import Group, Membership, Privacy
from resources.models import Resource
from tests.factories import make_tenant, make_user
from tests.groups.factories import WIZARD_STEP
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db


def step(client, name, data=None):
    """POST ``data`` as the answer to the wizard's step ``name``."""
    return client.post(f"/groups/add/{name}/", {WIZARD_STEP: name, **(data or {})})


def start(client, kind="team", name="Marketing"):
    client.get("/groups/add/?start=1")
    assert step(client, "type", {"kind": kind}).url == "/groups/add/basics/"
    assert step(client, "basics", {"name": name, "description": "Campaigns"}).url == (
        "/groups/add/owners/"
    )


def test_the_wizard_creates_a_team_group(client, tenant, groups_admin, domain):
    owner = make_user(tenant, "olivia", display_name="Olivia Owner")
    sign_in(client, groups_admin)
    start(client)
    # No owner: refused at the step.
    response = step(client, "owners")
    assert response.status_code == 200 and "at least one owner" in response.content.decode()
    # The picker's search step without JavaScript lists the matches to tick.
    page = client.get("/groups/add/owners/", {"people_q": "oliv"}).content.decode()
    assert f'name="owners" value="{owner.pk}" id="id_owners-match-{owner.pk}"' in page
    assert step(client, "owners", {"owners": [owner.pk]}).url == "/groups/add/settings/"
    page = client.get("/groups/add/owners/").content.decode()
    assert f'name="owners" value="{owner.pk}" id="id_owners-chosen-{owner.pk}" checked' in page
    taken = step(client, "settings", {"local_part": "ga", "domain": domain, "privacy": "public"})
    assert "in use by a user or a group" in taken.content.decode()
    response = step(
        client, "settings", {"local_part": "marketing", "domain": domain, "privacy": "public"}
    )
    assert response.url == "/groups/add/review/"
    review = client.get("/groups/add/review/").content.decode()
    assert "Marketing" in review and "Olivia Owner" in review and f"marketing@{domain}" in review
    assert not Group.objects.exists()
    response = step(client, "review")
    group = Group.objects.get()
    assert response.url == f"/groups/{group.pk}/"
    assert (group.name, group.email, group.privacy) == (
        "Marketing",
        f"marketing@{domain}",
        "public",
    )
    assert list(
        Membership.objects.filter(group=group, role="owner").values_list("user", flat=True)
    ) == [owner.pk]
    assert AuditEvent.objects.filter(action="group.create").count() == 1
    # The wizard starts afresh.
    assert client.get("/groups/add/").url == "/groups/add/type/"


def test_a_security_group_needs_no_owner_and_no_address(client, groups_admin):
    sign_in(client, groups_admin)
    start(client, "security", "Laptops")
    assert step(client, "owners").url == "/groups/add/settings/"
    assert step(client, "settings").url == "/groups/add/review/"
    step(client, "review")
    group = Group.objects.get()
    assert (group.kind, group.email) == ("security", "")


def test_the_owners_search_keeps_the_people_chosen_so_far(client, tenant, groups_admin):
    olivia = make_user(tenant, "olivia", display_name="Olivia")
    oscar = make_user(tenant, "oscar", display_name="Oscar")
    stranger = make_user(make_tenant(), "ostranger", display_name="Ostrich Stranger")
    sign_in(client, groups_admin)
    start(client)
    query = {"people_q": "os", "owners": [olivia.pk, stranger.pk]}
    page = client.get("/groups/add/owners/", query).content.decode()
    assert f'value="{olivia.pk}" id="id_owners-chosen-{olivia.pk}" checked' in page
    assert f'id="id_owners-match-{oscar.pk}"' in page
    assert "Ostrich Stranger" not in page and f'value="{stranger.pk}"' not in page


def test_a_new_answer_on_the_owners_step_replaces_the_old_one(client, tenant, groups_admin):
    olivia = make_user(tenant, "olivia", display_name="Olivia")
    oscar = make_user(tenant, "oscar", display_name="Oscar")
    sign_in(client, groups_admin)
    start(client, "security", "Laptops")
    step(client, "owners", {"owners": [olivia.pk]})
    step(client, "owners", {"owners": [oscar.pk]})
    page = client.get("/groups/add/owners/").content.decode()
    assert f'id="id_owners-chosen-{oscar.pk}" checked' in page
    assert f'id="id_owners-chosen-{olivia.pk}"' not in page


def test_a_foreign_or_bad_owner_is_404_and_picks_nobody(client, tenant, groups_admin):
    stranger = make_user(make_tenant())
    sign_in(client, groups_admin)
    start(client)
    for bad in (stranger.pk, "x", 999999):
        assert_not_found(step(client, "owners", {"owners": [groups_admin.pk, bad]}))
    assert f'name="owners" value="{stranger.pk}"' not in (
        client.get("/groups/add/owners/").content.decode()
    )
    assert client.get("/groups/add/settings/").url == "/groups/add/owners/"


def test_a_new_type_asks_for_the_settings_again(client, tenant, groups_admin, domain):
    sign_in(client, groups_admin)
    start(client, "distribution", "News")
    step(client, "owners")
    step(client, "settings", {"local_part": "news", "domain": domain})
    step(client, "type", {"kind": "security"})
    assert client.get("/groups/add/review/").url == "/groups/add/settings/"


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("type", {}, "This field is required."),
        ("type", {"kind": "spaceship"}, "Select a valid choice."),
        ("basics", {"name": ""}, "This field is required."),
        ("basics", {"name": "x" * 121}, "at most 120 characters"),
    ],
)
def test_bad_answers_are_shown_at_the_step(client, groups_admin, name, data, error):
    sign_in(client, groups_admin)
    client.get("/groups/add/?start=1")
    if name == "basics":
        step(client, "type", {"kind": "security"})
    response = step(client, name, data)
    assert response.status_code == 200 and error in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"local_part": "team", "domain": "not-ours.example", "privacy": "public"},
        {"local_part": "", "privacy": "public"},
        {"local_part": "team", "privacy": ""},
    ],
)
def test_bad_settings_are_shown_at_the_step(client, tenant, groups_admin, domain, data):
    sign_in(client, groups_admin)
    start(client)
    step(client, "owners", {"owners": [groups_admin.pk]})
    response = step(client, "settings", {"domain": domain, **data})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert client.get("/groups/add/review/").url == "/groups/add/settings/"


def test_an_address_taken_before_the_finish_is_reported(client, tenant, groups_admin, domain):
    sign_in(client, groups_admin)
    start(client, "distribution", "News")
    step(client, "owners")
    step(client, "settings", {"local_part": "news", "domain": domain})
    Resource.objects.create(tenant=tenant, kind="room", name="Room", email=f"news@{domain}")
    response = step(client, "review")
    assert response.url == "/groups/add/settings/"
    assert not Group.objects.exists()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_wizards_review_shows_the_privacy_in_words(
    client, tenant, groups_admin, domain, language
):
    owner = make_user(tenant, "olivia", display_name="Olivia Owner")
    groups_admin.preferred_language = language
    groups_admin.save(update_fields=["preferred_language"])
    sign_in(client, groups_admin)
    start(client, name="Board")
    step(client, "owners", {"owners": [owner.pk]})
    step(client, "settings", {"local_part": "board", "domain": domain, "privacy": "private"})

    with translation.override(language):
        label = str(Privacy.PRIVATE.label)
    page = client.get("/groups/add/review/").content.decode()

    review = page[page.index('data-testid="group-add-review"') :]
    assert f"<dd>{escape(label)}</dd>" in review
    assert "<dd>private</dd>" not in review


def test_wizard_steps_cannot_be_skipped(client, groups_admin):
    sign_in(client, groups_admin)
    client.get("/groups/add/?start=1")
    assert client.get("/groups/add/review/").url == "/groups/add/type/"
    assert client.get("/groups/add/settings/").url == "/groups/add/type/"
    assert_not_found(client.get("/groups/add/nonsense/"))
    assert_not_found(client.get("/groups/add/done/"))
    assert_not_found(step(client, "done"))
    assert_not_found(client.post("/groups/add/type/", {WIZARD_STEP: "nonsense", "kind": "team"}))
    # A crafted last step finds the missing answers and creates nothing.
    assert 'data-testid="group-add-type"' in step(client, "review").content.decode()
    step(client, "type", {"kind": "security"})
    assert step(client, "review").url == "/groups/add/basics/"
    assert not Group.objects.exists()


def test_the_step_list_links_the_answered_steps(client, groups_admin):
    sign_in(client, groups_admin)
    client.get("/groups/add/?start=1")
    step(client, "type", {"kind": "security"})
    page = client.get("/groups/add/basics/").content.decode()
    assert 'href="/groups/add/type/"' in page and 'aria-current="step"' in page
    assert 'href="/groups/add/owners/"' not in page


def test_the_address_check_says_free_taken_or_invalid(client, tenant, groups_admin, domain):
    sign_in(client, groups_admin)
    check = "/groups/check-address/"
    assert (
        "is available"
        in client.get(check, {"local_part": "new", "domain": domain}).content.decode()
    )
    assert "is taken" in client.get(check, {"local_part": "ga", "domain": domain}).content.decode()
    assert "Enter the address" in client.get(check, {"local_part": "x"}).content.decode()


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_readers_cannot_add_groups(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get("/groups/add/"))
    assert_forbidden(client.get("/groups/add/type/"))
    assert_forbidden(client.post("/groups/add/type/", {WIZARD_STEP: "type", "kind": "team"}))
    assert_forbidden(client.post("/groups/add/owners/", {WIZARD_STEP: "owners", "owners": []}))
    assert_forbidden(client.get("/groups/check-address/"))
    assert not Group.objects.exists()
