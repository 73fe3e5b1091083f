"""Add a user: a three-step wizard at one URL; nothing is created before the finish."""

import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from accounts.models import AuditEvent, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, sign_in

pytestmark = pytest.mark.django_db

URL = "/users/add/"
STEP = "users_add-current_step"  # formtools' management form
STORAGE = "wizard_users_add"  # formtools' session key


def basics(domain_name, **changes):
    data = {
        "first_name": "Adele",
        "last_name": "Vance",
        "display_name": "",
        "local_part": "adele",
        "domain": domain_name,
        "mode": "generate",
        "password": "",
        "require_change": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def details(**changes):
    data = {
        "roles": [],
        "job_title": "Buyer",
        "department": "Sales",
        "office": "",
        "business_phone": "",
        "usage_location": "NL",
    }
    data.update(changes)
    return data


def post_step(client, step, data=None):
    """Send one step's answers as the wizard's page does."""
    return client.post(URL, {STEP: step, **(data or {})})


def go_to(client, step):
    """Press a step of the step list (or Back)."""
    return client.post(URL, {"wizard_goto_step": step})


def current_step(response):
    return response.context["step"]


def through_details(client, domain, basics_changes=None, details_changes=None):
    client.get(URL)
    first = post_step(client, "basics", basics(domain, **(basics_changes or {})))
    assert current_step(first) == "details", first.context["form"].errors
    second = post_step(client, "details", details(**(details_changes or {})))
    assert current_step(second) == "review", second.context["form"].errors
    return second


def new_password(response):
    return re.search(r'data-testid="new-password">([^<]+)<', response.content.decode())[1]


def test_three_steps_create_the_user_and_show_the_password_once(client, admin, domain):
    sign_in(client, admin)
    assert "Add a user" in client.get("/users/").content.decode()
    start = client.get(URL)
    assert current_step(start) == "basics"
    review = through_details(client, domain, details_changes={"roles": [HELPDESK_ADMIN]})
    page = review.content.decode()
    assert f"adele@{domain}" in page and "Adele Vance" in page and "Helpdesk admin" in page
    assert "Generated, shown once on the next page" in page and "Netherlands" in page
    assert not User.objects.filter(username=f"adele@{domain}").exists()

    done = post_step(client, "review")
    password = new_password(done)
    user = User.objects.get(username=f"adele@{domain}")
    assert (user.display_name, user.job_title, user.usage_location.code) == (
        "Adele Vance",
        "Buyer",
        "NL",
    )
    assert user.must_change_password and user.role_codes == {HELPDESK_ADMIN}
    assert authenticate(None, username=user.username, password=password) == user
    assert AuditEvent.objects.filter(action="user.create", target_id=str(user.pk)).exists()
    # The wizard is over: its answers are gone.
    assert not client.session[STORAGE]["step_data"]


def test_every_step_shows_the_step_list(client, admin, domain):
    sign_in(client, admin)
    labels = ("Basics", "Licenses, roles and profile", "Review and finish")
    pages = [client.get(URL)]
    pages.append(post_step(client, "basics", basics(domain)))
    pages.append(post_step(client, "details", details()))
    for response, current in zip(pages, labels, strict=True):
        page = response.content.decode()
        assert all(label in page for label in labels)
        assert f'<span aria-current="step">{current}</span>' in page
    # The steps already answered are buttons that go back to them.
    assert 'name="wizard_goto_step" value="basics"' in pages[2].content.decode()
    assert 'name="wizard_goto_step" value="details"' in pages[2].content.decode()
    assert 'name="wizard_goto_step"' not in pages[0].content.decode()


def test_finishing_again_creates_nothing(client, admin, domain):
    sign_in(client, admin)
    through_details(client, domain)
    new_password(post_step(client, "review"))
    again = post_step(client, "review")
    assert again.status_code == 200 and current_step(again) == "basics"
    assert 'data-testid="new-password"' not in again.content.decode()
    assert User.objects.filter(username__startswith="adele@").count() == 1
    assert AuditEvent.objects.filter(action="user.create").count() == 1


def test_a_typed_password_is_checked_at_the_first_step_and_never_kept_readable(
    client, admin, domain
):
    sign_in(client, admin)
    client.get(URL)
    weak = post_step(client, "basics", basics(domain, mode="type", password="adele-vance"))
    assert current_step(weak) == "basics"
    assert "too similar" in weak.content.decode() or "too short" in weak.content.decode()

    good = "Orchard-Lantern-Quiet-42"
    post_step(client, "basics", basics(domain, mode="type", password=good, require_change=None))
    stored = client.session[STORAGE]
    assert "basics" in stored["step_data"] and good not in str(stored)
    review = post_step(client, "details", details())
    assert "The one you typed" in review.content.decode()
    assert good not in review.content.decode()
    post_step(client, "review")
    user = User.objects.get(username=f"adele@{domain}")
    assert authenticate(None, username=user.username, password=good) == user
    assert not user.must_change_password


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"local_part": "megan"}, "is taken. Choose another sign-in name."),
        ({"domain": "elsewhere.example"}, "Select a valid choice."),
        ({"local_part": "bad name"}, "without spaces or @"),
        ({"first_name": "", "last_name": ""}, "Enter a display name, or a first or last name."),
        ({"mode": "type", "password": ""}, "Type a password."),
        ({"mode": "type", "password": "short"}, "too short"),
        ({"mode": "generate", "password": "Orchard-Lantern-Quiet-42"}, "Let me type one"),
    ],
)
def test_bad_basics_are_reported_at_the_field(client, admin, domain, changes, message):
    sign_in(client, admin)
    client.get(URL)
    response = post_step(client, "basics", basics(domain, **changes))
    assert response.status_code == 200 and current_step(response) == "basics"
    assert message in response.content.decode()
    assert not client.session[STORAGE]["step_data"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"usage_location": "XX"}, "Select a valid choice."),
        ({"roles": ["no_such_role"]}, "Select a valid choice."),
        ({"job_title": "x" * 300}, "Ensure this value has at most"),
    ],
)
def test_bad_details_are_reported_at_the_field(client, admin, domain, changes, message):
    sign_in(client, admin)
    client.get(URL)
    post_step(client, "basics", basics(domain))
    response = post_step(client, "details", details(**changes))
    assert response.status_code == 200 and current_step(response) == "details"
    assert message in response.content.decode()
    assert "details" not in client.session[STORAGE]["step_data"]


def test_a_name_taken_before_the_finish_sends_back_to_the_first_step(client, tenant, admin, domain):
    sign_in(client, admin)
    through_details(client, domain)
    make_user(tenant, "adele")  # someone else was quicker
    response = post_step(client, "review")
    assert current_step(response) == "basics"
    assert "is taken. Choose another sign-in name." in response.content.decode()
    assert User.objects.filter(username=f"adele@{domain}").count() == 1

    # The other answers are kept: a new name is enough to finish.
    post_step(client, "basics", basics(domain, local_part="adele.vance"))
    assert current_step(post_step(client, "details", details())) == "review"
    new_password(post_step(client, "review"))
    assert User.objects.get(username=f"adele.vance@{domain}").job_title == "Buyer"


def test_steps_cannot_be_skipped(client, admin, domain):
    sign_in(client, admin)
    client.get(URL)
    details_first = post_step(client, "details", details())
    assert current_step(details_first) == "basics"
    finish_first = post_step(client, "review")
    assert current_step(finish_first) == "basics"
    assert go_to(client, "review").context["step"] == "basics"
    assert User.objects.count() == 1


def test_an_unknown_step_is_a_bad_request(client, admin):
    sign_in(client, admin)
    client.get(URL)
    assert post_step(client, "nonsense").status_code == 400
    assert client.post(URL, {"first_name": "Adele"}).status_code == 400  # no step marker
    assert User.objects.count() == 1


def test_going_back_keeps_the_answers(client, admin, domain):
    sign_in(client, admin)
    through_details(client, domain, details_changes={"roles": [HELPDESK_ADMIN]})

    back = go_to(client, "details")
    assert current_step(back) == "details"
    page = back.content.decode()
    assert 'value="Buyer"' in page and 'value="Sales"' in page
    assert re.search(r'value="helpdesk_admin"[^>]*checked', page)

    first = go_to(client, "basics")
    assert current_step(first) == "basics"
    page = first.content.decode()
    assert 'value="Adele"' in page and 'value="Vance"' in page and 'value="adele"' in page
    assert not first.context["form"].errors

    # A change at the first step keeps the later answers.
    post_step(client, "basics", basics(domain, first_name="Adela"))
    review = go_to(client, "review")
    assert current_step(review) == "review"
    assert "Adela Vance" in review.content.decode() and "Buyer" in review.content.decode()


def test_a_typed_password_survives_going_back_to_later_steps(client, admin, domain):
    good = "Orchard-Lantern-Quiet-42"
    sign_in(client, admin)
    through_details(client, domain, basics_changes={"mode": "type", "password": good})
    go_to(client, "details")
    assert current_step(post_step(client, "details", details(job_title="Lead"))) == "review"
    post_step(client, "review")
    user = User.objects.get(username=f"adele@{domain}")
    assert authenticate(None, username=user.username, password=good) == user
    assert user.job_title == "Lead"


def test_two_admins_do_not_share_a_wizard(tenant, admin, domain):
    megan = sign_in(Client(), admin)
    other = sign_in(Client(), make_user(tenant, "alex", roles=[USER_ADMIN]))
    megan.get(URL)
    through_details(megan, domain)

    start = other.get(URL)
    assert current_step(start) == "basics" and "Adele" not in start.content.decode()
    # The other admin's finish is not Megan's: nothing of hers is created.
    assert current_step(post_step(other, "review")) == "basics"
    assert go_to(other, "review").context["step"] == "basics"
    assert not User.objects.filter(username=f"adele@{domain}").exists()

    new_password(post_step(megan, "review"))
    assert User.objects.get(username=f"adele@{domain}").job_title == "Buyer"


def test_user_admin_is_offered_only_the_limited_roles_and_cannot_craft_others(
    client, tenant, domain
):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    client.get(URL)
    page = post_step(client, "basics", basics(domain)).content.decode()
    assert 'value="helpdesk_admin"' in page and 'value="global_admin"' not in page
    response = post_step(client, "details", details(roles=[BILLING_ADMIN]))
    assert current_step(response) == "details"
    assert "Select a valid choice." in response.content.decode()
    assert not User.objects.filter(username=f"adele@{domain}").exists()


def test_roles_the_admin_may_no_longer_give_are_refused_at_the_finish(
    client, tenant, admin, domain, monkeypatch
):
    sign_in(client, admin)
    through_details(client, domain, details_changes={"roles": [GLOBAL_ADMIN]})
    monkeypatch.setattr("users.views.add.can_assign_role", lambda actor, code: False)
    response = post_step(client, "review")
    assert current_step(response) == "details"
    assert "Select a valid choice." in response.content.decode()
    assert not User.objects.filter(username=f"adele@{domain}").exists()


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER])
def test_roles_that_cannot_add_users_get_403(client, tenant, domain, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get(URL))
    assert_forbidden(post_step(client, "basics", basics(domain)))
    assert_forbidden(post_step(client, "review"))
    assert_forbidden(go_to(client, "details"))
    assert "Add a user" not in client.get("/users/").content.decode()
    assert STORAGE not in client.session


def test_a_refusal_of_the_service_answers_403(client, admin, domain, monkeypatch):
    from core.exceptions import Forbidden

    def refuse(**kwargs):
        raise Forbidden("You can't add users.")

    sign_in(client, admin)
    through_details(client, domain)
    monkeypatch.setattr("users.services.user_create", refuse)
    assert_forbidden(post_step(client, "review"))
    assert not User.objects.filter(username=f"adele@{domain}").exists()


def test_only_the_own_organizations_domains_are_offered(client, admin, domain):
    other = make_tenant()
    sign_in(client, admin)
    page = client.get(URL).content.decode()
    assert domain in page and other.domain_set.get().name not in page


def test_the_wizard_hands_out_licenses_and_refuses_when_none_are_left(
    client, tenant, admin, domain
):
    from billing.models import License
    from tests.billing.factories import make_product, make_subscription

    subscription = make_subscription(tenant, make_product(name="Basic"), quantity=1)
    sign_in(client, admin)
    client.get(URL)
    page = post_step(client, "basics", basics(domain)).content.decode()
    assert "Basic (1 free)" in page
    review = post_step(client, "details", details(licenses=[subscription.pk]))
    assert "Basic" in review.content.decode()
    new_password(post_step(client, "review"))
    adele = User.objects.get(username=f"adele@{domain}")
    assert License.objects.filter(user=adele, subscription=subscription).exists()

    through_details(
        client,
        domain,
        basics_changes={"local_part": "alex"},
        details_changes={"licenses": [subscription.pk]},
    )
    response = post_step(client, "review")
    assert current_step(response) == "review"
    assert "No licenses left" in response.content.decode()
    assert 'form="wizard-steps" class="link-button" name="wizard_goto_step" value="basics">' in (
        response.content.decode()
    )
    assert not User.objects.filter(username=f"alex@{domain}").exists()
    # The answers stay: without the license, the same wizard finishes.
    go_to(client, "details")
    post_step(client, "details", details())
    new_password(post_step(client, "review"))
    assert User.objects.filter(username=f"alex@{domain}").exists()


def test_licenses_are_offered_only_to_admins_who_may_assign_them(
    client, tenant, admin, domain, monkeypatch
):
    from accounts.roles import CHANGE_LICENSES
    from billing.models import License
    from tests.billing.factories import make_product, make_subscription

    subscription = make_subscription(tenant, make_product(name="Basic"), quantity=5)
    has_perm = User.has_perm
    monkeypatch.setattr(
        User,
        "has_perm",
        lambda self, perm, obj=None: perm != CHANGE_LICENSES and has_perm(self, perm, obj),
    )
    sign_in(client, admin)
    client.get(URL)
    page = post_step(client, "basics", basics(domain)).content.decode()
    assert "Basic (5 free)" not in page
    post_step(client, "details", details(licenses=[subscription.pk]))
    new_password(post_step(client, "review"))
    adele = User.objects.get(username=f"adele@{domain}")
    assert not License.objects.filter(user=adele).exists()


def test_each_step_stays_within_the_query_budget(
    client, admin, domain, django_assert_max_num_queries
):
    sign_in(client, admin)
    with django_assert_max_num_queries(12):
        client.get(URL)
    with django_assert_max_num_queries(12):
        post_step(client, "basics", basics(domain))
    with django_assert_max_num_queries(12):
        assert current_step(post_step(client, "details", details())) == "review"


def test_the_first_step_checks_the_sign_in_name_live_with_the_fields_it_sends(
    client, admin, domain
):
    sign_in(client, admin)
    page = client.get(URL).content.decode()
    assert 'hx-get="/users/check-name/"' in page
    assert 'name="local_part"' in page and 'name="domain"' in page  # what the check reads
    check = client.get("/users/check-name/", {"local_part": "adele", "domain": domain})
    assert f"adele@{domain} is available." in check.content.decode()
