"""A user's page: edit profile, change sign-in name (live check), manage roles."""

import pytest

from accounts.models import AuditEvent, Domain, RoleAssignment, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in
from users import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _more_domains(tenant):
    """Give the organization a verified and an unverified domain beside its initial one."""
    Domain.objects.create(tenant=tenant, name=f"sales-{tenant.pk}.example", is_verified=True)
    Domain.objects.create(tenant=tenant, name=f"pending-{tenant.pk}.example", is_verified=False)


def profile(**changes):
    data = {
        "first_name": "Pat",
        "last_name": "Person",
        "display_name": "Pat Person",
        "job_title": "",
        "department": "",
        "office": "",
        "business_phone": "",
        "usage_location": "",
        "preferred_language": "",
    }
    data.update(changes)
    return data


def test_edit_profile_saves_and_audits_old_and_new(client, tenant, admin):
    pat = make_user(tenant, "pat", first_name="Pat", last_name="Person", display_name="Pat Person")
    sign_in(client, admin)
    assert 'name="job_title"' in client.get(f"/users/{pat.pk}/edit/").content.decode()
    response = client.post(
        f"/users/{pat.pk}/edit/", profile(job_title="Buyer", usage_location="NL")
    )
    assert response.url == f"/users/{pat.pk}/"
    pat.refresh_from_db()
    assert (pat.job_title, pat.usage_location.code) == ("Buyer", "NL")
    event = AuditEvent.objects.get(action="user.change")
    assert event.old_values == {"job_title": "", "usage_location": ""}
    assert event.new_values == {"job_title": "Buyer", "usage_location": "NL"}


def test_edit_profile_reports_bad_input_at_the_field(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    response = client.post(
        f"/users/{pat.pk}/edit/",
        profile(display_name="", job_title="x" * 200, usage_location="XX"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page
    assert "Ensure this value has at most 150 characters" in page
    assert "Select a valid choice." in page
    assert not AuditEvent.objects.filter(action="user.change").exists()


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER])
def test_roles_without_change_users_cannot_edit(client, tenant, role):
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get(f"/users/{pat.pk}/edit/"))
    assert_forbidden(client.post(f"/users/{pat.pk}/edit/", profile()))
    assert_forbidden(client.get(f"/users/{pat.pk}/sign-in-name/"))


def test_user_admin_cannot_edit_a_global_admin(client, tenant, admin):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert_forbidden(client.post(f"/users/{admin.pk}/edit/", profile()))
    assert_forbidden(
        client.post(
            f"/users/{admin.pk}/sign-in-name/",
            {"local_part": "boss", "domain": tenant.domain_set.first().name},
        )
    )


def test_rename_to_a_free_name_on_a_verified_domain(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/sign-in-name/").content.decode()
    assert f"sales-{tenant.pk}.example" in page and f"pending-{tenant.pk}.example" not in page
    response = client.post(
        f"/users/{pat.pk}/sign-in-name/",
        {"local_part": "Pat.Sales", "domain": f"sales-{tenant.pk}.example"},
    )
    assert response.url == f"/users/{pat.pk}/"
    pat.refresh_from_db()
    assert pat.username == f"pat.sales@sales-{tenant.pk}.example"
    event = AuditEvent.objects.get(action="user.rename")
    assert event.new_values == {"username": pat.username}


@pytest.mark.parametrize(
    ("local", "domain_kind", "message"),
    [
        ("megan", "initial", "is taken"),
        ("pat", "unverified", "Select a valid choice."),
        ("pat", "foreign", "Select a valid choice."),
        ("two words", "initial", "without spaces or @"),
        ("a@b", "initial", "without spaces or @"),
        (".dot", "initial", "without spaces or @"),
    ],
)
def test_rename_refuses_bad_or_taken_names(client, tenant, admin, local, domain_kind, message):
    pat = make_user(tenant, "pat")
    other = make_tenant()
    domain = {
        "initial": tenant.domain_set.get(is_initial=True).name,
        "unverified": f"pending-{tenant.pk}.example",
        "foreign": other.domain_set.get().name,
    }[domain_kind]
    sign_in(client, admin)
    response = client.post(
        f"/users/{pat.pk}/sign-in-name/", {"local_part": local, "domain": domain}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(pk=pat.pk).username == pat.username


def test_live_check_says_free_taken_or_incomplete(client, tenant, admin):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    domain = tenant.domain_set.get(is_initial=True).name
    free = client.get("/users/check-name/", {"local_part": "new.person", "domain": domain})
    assert "is available" in free.content.decode() and "<html" not in free.content.decode()
    taken = client.get("/users/check-name/", {"local_part": "megan", "domain": domain})
    assert f"megan@{domain} is taken." in taken.content.decode()
    assert "Enter a username" in client.get("/users/check-name/").content.decode()


def test_live_check_needs_a_role_that_adds_or_changes_users(client, tenant):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert_forbidden(client.get("/users/check-name/", {"local_part": "x", "domain": "y"}))


def test_global_admin_gives_and_takes_roles(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/roles/").content.decode()
    assert 'value="global_admin"' in page and "disabled" not in page
    client.post(f"/users/{pat.pk}/roles/", {"roles": [HELPDESK_ADMIN, BILLING_ADMIN]})
    assert User.objects.get(pk=pat.pk).role_codes == {HELPDESK_ADMIN, BILLING_ADMIN}
    client.post(f"/users/{pat.pk}/roles/", {"roles": [BILLING_ADMIN]})
    assert User.objects.get(pk=pat.pk).role_codes == {BILLING_ADMIN}
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["role.assign", "role.assign", "role.remove"]


def test_user_admin_changes_only_limited_roles(client, tenant):
    pat = make_user(tenant, "pat", roles=[BILLING_ADMIN])
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    page = client.get(f"/users/{pat.pk}/roles/").content.decode()
    assert 'value="billing_admin" id="role-billing_admin" checked disabled' in page
    # The held privileged role is kept by a hidden field; a limited one is added.
    client.post(f"/users/{pat.pk}/roles/", {"roles": [BILLING_ADMIN, HELPDESK_ADMIN]})
    assert User.objects.get(pk=pat.pk).role_codes == {BILLING_ADMIN, HELPDESK_ADMIN}
    # Crafted: dropping the privileged role is refused.
    assert_forbidden(client.post(f"/users/{pat.pk}/roles/", {"roles": [HELPDESK_ADMIN]}))
    assert_forbidden(
        client.post(f"/users/{pat.pk}/roles/", {"roles": [BILLING_ADMIN, GLOBAL_ADMIN]})
    )
    assert User.objects.get(pk=pat.pk).role_codes == {BILLING_ADMIN, HELPDESK_ADMIN}


def test_the_last_global_admin_keeps_the_role(client, tenant, admin):
    sign_in(client, admin)
    response = client.post(f"/users/{admin.pk}/roles/", {"roles": [USER_ADMIN]})
    assert response.status_code == 200  # the roles page again, with the reason
    assert "at least one Global admin" in response.content.decode()
    assert GLOBAL_ADMIN in User.objects.get(pk=admin.pk).role_codes
    assert not RoleAssignment.objects.filter(user=admin, role=USER_ADMIN).exists()


def test_your_own_global_admin_role_stays_while_the_other_one_is_blocked(client, tenant, admin):
    blocked = make_user(tenant, "blocked", roles=[GLOBAL_ADMIN], is_sign_in_blocked=True)
    sign_in(client, admin)
    response = client.post(f"/users/{admin.pk}/roles/", {"roles": [USER_ADMIN]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "An organization needs at least one Global admin who can sign in." in page
    assert User.objects.get(pk=admin.pk).role_codes == {GLOBAL_ADMIN}
    # Taking the role from the blocked one is fine: the admin still signs in.
    client.post(f"/users/{blocked.pk}/roles/", {"roles": []})
    assert User.objects.get(pk=blocked.pk).role_codes == set()


def test_unknown_role_is_refused_at_the_form(client, tenant, admin):
    pat = make_user(tenant, "pat", roles=[HELPDESK_ADMIN])
    sign_in(client, admin)
    response = client.post(f"/users/{pat.pk}/roles/", {"roles": ["emperor", BILLING_ADMIN]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert User.objects.get(pk=pat.pk).role_codes == {HELPDESK_ADMIN}
    assert not AuditEvent.objects.filter(action__startswith="role.").exists()


def test_roles_of_another_organizations_user_are_not_found(client, tenant, admin):
    stranger = make_user(make_tenant(), "stranger")
    sign_in(client, admin)
    assert_not_found(client.get(f"/users/{stranger.pk}/roles/"))
    assert_not_found(client.post(f"/users/{stranger.pk}/roles/", {"roles": [BILLING_ADMIN]}))
    assert User.objects.get(pk=stranger.pk).role_codes == set()


def test_helpdesk_cannot_open_roles(client, tenant):
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert_forbidden(client.get(f"/users/{pat.pk}/roles/"))


def test_deleted_users_cannot_be_edited(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    assert_not_found(client.get(f"/users/{pat.pk}/edit/"))
    assert_not_found(client.get(f"/users/{pat.pk}/roles/"))


def test_licenses_on_a_users_page(client, tenant, admin):
    from billing.models import License
    from tests.billing.factories import make_product, make_subscription

    basic = make_subscription(tenant, make_product(name="Basic"), quantity=1)
    premium = make_subscription(tenant, make_product(name="Premium"), quantity=1)
    pat, sam = make_user(tenant, "pat"), make_user(tenant, "sam")
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert 'data-testid="user-licenses"' in page and "Basic" in page and "Premium" in page
    client.post(f"/users/{pat.pk}/licenses/", {"subscriptions": [basic.pk, premium.pk]})
    assert set(License.objects.filter(user=pat).values_list("subscription_id", flat=True)) == {
        basic.pk,
        premium.pk,
    }
    # The last Basic license is taken: Sam's change is refused as a whole.
    response = client.post(f"/users/{sam.pk}/licenses/", {"subscriptions": [basic.pk]})
    assert response.status_code == 200 and "No licenses left" in response.content.decode()
    assert not License.objects.filter(user=sam).exists()
    client.post(f"/users/{pat.pk}/licenses/", {"subscriptions": [premium.pk]})
    assert list(License.objects.filter(user=pat).values_list("subscription_id", flat=True)) == [
        premium.pk
    ]
    other = make_subscription(make_tenant(), quantity=1)
    assert_not_found(client.post(f"/users/{pat.pk}/licenses/", {"subscriptions": [other.pk]}))
    assert_not_found(client.post(f"/users/{pat.pk}/licenses/", {"subscriptions": ["x"]}))
    stranger = make_user(make_tenant(), "stranger")
    assert_not_found(client.get(f"/users/{stranger.pk}/licenses/"))
    assert_not_found(client.post(f"/users/{stranger.pk}/licenses/", {"subscriptions": []}))
    assert list(License.objects.filter(user=pat).values_list("subscription_id", flat=True)) == [
        premium.pk
    ]


def test_helpdesk_cannot_change_licenses(client, tenant):
    from tests.billing.factories import make_subscription

    subscription = make_subscription(tenant)
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert 'data-testid="user-licenses"' not in client.get(f"/users/{pat.pk}/").content.decode()
    assert_forbidden(
        client.post(f"/users/{pat.pk}/licenses/", {"subscriptions": [subscription.pk]})
    )


@pytest.mark.parametrize("action", ["edit/", "sign-in-name/", "contact/"])
def test_another_organizations_user_cannot_be_edited_or_renamed(client, tenant, admin, action):
    stranger = make_user(make_tenant(), "stranger", display_name="Stranger")
    sign_in(client, admin)
    url = f"/users/{stranger.pk}/{action}"
    domain = tenant.domain_set.get(is_default=True).name
    body = {**profile(display_name="Changed"), "local_part": "changed", "domain": domain}
    assert_not_found(client.get(url))
    assert_not_found(client.post(url, body))
    stranger.refresh_from_db()
    assert stranger.display_name == "Stranger" and stranger.username.startswith("stranger@")
    assert not AuditEvent.objects.filter(target_id=str(stranger.pk)).exists()


def test_a_deleted_user_cannot_be_renamed(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    assert_not_found(client.get(f"/users/{pat.pk}/sign-in-name/"))
    domain = tenant.domain_set.get(is_default=True).name
    assert_not_found(
        client.post(f"/users/{pat.pk}/sign-in-name/", {"local_part": "new", "domain": domain})
    )
