"""Add a user: a three-step wizard; nothing is created before the finish."""

import re

import pytest
from django.contrib.auth import authenticate

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


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def domain(tenant):
    return tenant.domain_set.get().name


@pytest.fixture
def admin(tenant):
    return make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")


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


def test_three_steps_create_the_user_and_show_the_password_once(client, admin, domain):
    sign_in(client, admin)
    assert "Add a user" in client.get("/users/").content.decode()
    client.get("/users/add/?start=1")
    assert client.post("/users/add/", basics(domain)).url == "/users/add/details/"
    assert client.post("/users/add/details/", details(roles=[HELPDESK_ADMIN])).url == (
        "/users/add/review/"
    )
    review = client.get("/users/add/review/").content.decode()
    assert f"adele@{domain}" in review and "Adele Vance" in review and "Helpdesk admin" in review
    assert not User.objects.filter(username=f"adele@{domain}").exists()

    done = client.post("/users/add/review/")
    password = re.search(r'data-testid="new-password">([^<]+)<', done.content.decode())[1]
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
    assert client.get("/users/add/review/").url == "/users/add/"


def test_a_typed_password_is_checked_at_the_first_step_and_kept_only_hashed(client, admin, domain):
    sign_in(client, admin)
    weak = client.post("/users/add/", basics(domain, mode="type", password="adele-vance"))
    assert weak.status_code == 200
    assert "too similar" in weak.content.decode() or "too short" in weak.content.decode()

    good = "Orchard-Lantern-Quiet-42"
    client.post("/users/add/", basics(domain, mode="type", password=good, require_change=None))
    stored = client.session["users_add"]["basics"]
    assert good not in str(stored) and stored["password_hash"].startswith("md5$")
    client.post("/users/add/details/", details())
    client.post("/users/add/review/")
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
    ],
)
def test_bad_basics_are_reported_at_the_field(client, admin, domain, changes, message):
    sign_in(client, admin)
    response = client.post("/users/add/", basics(domain, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "users_add" not in client.session


def test_a_name_taken_before_the_finish_is_reported_on_the_review(client, tenant, admin, domain):
    sign_in(client, admin)
    client.post("/users/add/", basics(domain))
    client.post("/users/add/details/", details())
    make_user(tenant, "adele")  # someone else was quicker
    response = client.post("/users/add/review/")
    assert "is taken" in response.content.decode()
    assert User.objects.filter(username=f"adele@{domain}").count() == 1


def test_steps_cannot_be_skipped(client, admin):
    sign_in(client, admin)
    client.get("/users/add/?start=1")
    assert client.get("/users/add/details/").url == "/users/add/"
    assert client.post("/users/add/review/").url == "/users/add/"
    assert User.objects.count() == 1


def test_user_admin_is_offered_only_the_limited_roles_and_cannot_craft_others(
    client, tenant, domain
):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    client.post("/users/add/", basics(domain))
    page = client.get("/users/add/details/").content.decode()
    assert 'value="helpdesk_admin"' in page and 'value="global_admin"' not in page
    response = client.post("/users/add/details/", details(roles=[BILLING_ADMIN]))
    assert "Select a valid choice." in response.content.decode()
    assert not User.objects.filter(username=f"adele@{domain}").exists()


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER])
def test_roles_that_cannot_add_users_get_403(client, tenant, domain, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get("/users/add/"))
    assert_forbidden(client.post("/users/add/", basics(domain)))
    assert "Add a user" not in client.get("/users/").content.decode()


def test_only_the_own_organizations_domains_are_offered(client, admin, domain):
    other = make_tenant()
    sign_in(client, admin)
    page = client.get("/users/add/").content.decode()
    assert domain in page and other.domain_set.get().name not in page


def test_the_wizard_hands_out_licenses_and_refuses_when_none_are_left(
    client, tenant, admin, domain
):
    from billing.models import License
    from tests.billing.factories import make_product, make_subscription

    subscription = make_subscription(tenant, make_product(name="Basic"), quantity=1)
    sign_in(client, admin)
    client.post("/users/add/", basics(domain))
    page = client.get("/users/add/details/").content.decode()
    assert "Basic (1 free)" in page
    client.post("/users/add/details/", details(licenses=[subscription.pk]))
    assert "Basic" in client.get("/users/add/review/").content.decode()
    client.post("/users/add/review/")
    adele = User.objects.get(username=f"adele@{domain}")
    assert License.objects.filter(user=adele, subscription=subscription).exists()

    client.post("/users/add/", basics(domain, local_part="alex"))
    client.post("/users/add/details/", details(licenses=[subscription.pk]))
    response = client.post("/users/add/review/")
    assert "No licenses left" in response.content.decode()
    assert not User.objects.filter(username=f"alex@{domain}").exists()
