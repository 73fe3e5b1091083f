"""Setup: every step done and not done from the organization's data, the score, who sees what."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Domain, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    REPORTS_READER,
    USER_ADMIN,
)
from api.services import api_client_create
from billing.models import License
from security_info.models import PasskeyDevice
from security_info.selectors import registration_figures
from setup import selectors
from setup.selectors import POINTS, earned
from tests.billing.factories import make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, make_alt_email, make_app, make_phone, sidebar, sign_in

pytestmark = pytest.mark.django_db

SETUP = "/setup/"
ACTIONS = "/setup/recommended-actions/"
ACCESS = "/setup/admin-access/"


def make_passkey(user, n=1):
    return PasskeyDevice.objects.create(
        user=user,
        name=f"Key {n}",
        confirmed=True,
        credential_id=f"key-{user.pk}-{n}".encode(),
        credential_key=f"key-{user.pk}-{n}".ljust(64, "0"),
        public_key=b"key",
        user_handle=b"handle",
    )


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def admin(tenant):
    return make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Adele Admin")


def step(tenant, key, user):
    facts = selectors.facts(tenant=tenant)
    return {s["key"]: s for s in selectors.setup_steps(user=user, facts=facts)}[key]


def action(tenant, key, user):
    facts = selectors.facts(tenant=tenant)
    result = selectors.recommended_actions(user=user, facts=facts)
    return {a["key"]: a for a in result["actions"]}[key]


# --- the steps -----------------------------------------------------------------------


def test_a_verified_custom_domain_is_done_and_the_initial_or_an_unverified_one_is_not(
    tenant, admin
):
    Domain.objects.create(tenant=tenant, name=f"pending{tenant.pk}.example")
    found = step(tenant, "domain", admin)
    assert (found["done"], found["figure"]) == (False, "Only the initial domain is verified")
    assert found["link"] == {"label": "Go to Domains", "url": "/settings/domains/"}
    Domain.objects.create(tenant=tenant, name=f"contoso{tenant.pk}.example", is_verified=True)
    found = step(tenant, "domain", admin)
    assert (found["done"], found["figure"]) == (True, "1 custom domain verified")


def test_people_are_added_once_there_is_more_than_the_first_admin(tenant, admin):
    assert step(tenant, "people", admin)["done"] is False
    assert step(tenant, "people", admin)["figure"] == "1 person in the organization"
    make_user(tenant)
    deleted = make_user(tenant)
    User.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    found = step(tenant, "people", admin)
    assert (found["done"], found["figure"]) == (True, "2 people in the organization")


def test_licenses_are_assigned_once_someone_holds_one(tenant, admin):
    person = make_user(tenant)
    subscription = make_subscription(tenant)
    assert step(tenant, "licenses", admin)["done"] is False
    assert step(tenant, "licenses", admin)["figure"] == "0 of 2 people have a license"
    License.objects.create(tenant=tenant, subscription=subscription, user=person)
    found = step(tenant, "licenses", admin)
    assert (found["done"], found["figure"]) == (True, "1 of 2 people have a license")


def test_a_second_global_admin_counts_only_when_they_can_sign_in(tenant, admin):
    blocked = make_user(tenant, roles=[GLOBAL_ADMIN], is_sign_in_blocked=True)
    found = step(tenant, "global_admins", admin)
    assert (found["done"], found["figure"]) == (False, "1 Global admin can sign in")
    User.objects.filter(pk=blocked.pk).update(is_sign_in_blocked=False)
    found = step(tenant, "global_admins", admin)
    assert (found["done"], found["figure"]) == (True, "2 Global admins can sign in")


def test_admin_methods_need_the_policy_and_two_methods_for_every_admin(tenant, admin):
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    make_phone(admin)
    make_alt_email(admin)
    make_app(helpdesk)
    found = step(tenant, "admin_methods", admin)
    assert found["done"] is False
    assert found["figure"] == "Not required for admins; 1 of 2 admins registered two methods"
    tenant.require_mfa_for_admins = True
    tenant.save()
    assert step(tenant, "admin_methods", admin)["done"] is False
    make_phone(helpdesk, "+31612345679")  # an app and a phone: two gates of a reset
    found = step(tenant, "admin_methods", admin)
    assert found["done"] is True
    assert found["figure"] == "Required for admins; 2 of 2 admins registered two methods"


def test_a_passkey_and_backup_codes_are_no_gates_of_a_reset(tenant, admin):
    tenant.require_mfa_for_admins = True
    tenant.save()
    make_phone(admin)
    make_passkey(admin)
    assert step(tenant, "admin_methods", admin)["done"] is False


def test_the_share_of_people_who_can_reset_follows_security_info(tenant, admin):
    users = [make_user(tenant) for _ in range(4)]
    found = step(tenant, "self_reset", admin)
    assert found["done"] is False
    assert found["figure"] == ("0 of 5 people can reset their own password (0%); the goal is 80%")
    for n, user in enumerate(users):
        make_alt_email(user, f"u{n}@example.org")
    found = step(tenant, "self_reset", admin)
    # Four users with one method each; the admin needs two and has none.
    assert found["figure"] == ("4 of 5 people can reset their own password (80%); the goal is 80%")
    assert found["done"] is True
    tenant.reset_gates_for_users = 2
    tenant.save()
    assert step(tenant, "self_reset", admin)["done"] is False


def test_the_profile_step_names_what_is_missing(tenant, admin):
    found = step(tenant, "profile", admin)
    assert found["done"] is False
    assert found["figure"] == "Not filled in: technical contact email, address, phone"
    tenant.technical_contact_email = "it@example.org"
    tenant.address = "Main street 1"
    tenant.save()
    assert step(tenant, "profile", admin)["figure"] == "Not filled in: phone"
    tenant.phone = "+31 20 123 4567"
    tenant.save()
    found = step(tenant, "profile", admin)
    assert (found["done"], found["figure"]) == (
        True,
        "Technical contact, address and phone filled in",
    )


def test_provisioning_needs_an_active_unexpired_api_client(tenant, admin):
    assert step(tenant, "provisioning", admin)["figure"] == "No active API client"
    client, _secret = api_client_create(
        tenant=tenant, acting_user=admin, name="HR sync", roles=[USER_ADMIN]
    )
    assert step(tenant, "provisioning", admin)["done"] is True
    client.expires_at = timezone.now() - timedelta(minutes=1)
    client.save()
    assert step(tenant, "provisioning", admin)["done"] is False
    client.expires_at = timezone.now() + timedelta(days=1)
    client.revoked_at = timezone.now()
    client.save()
    assert step(tenant, "provisioning", admin)["done"] is False


def test_the_steps_are_computed_per_organization(tenant, admin):
    other = make_tenant()
    make_user(other)
    make_user(other)
    Domain.objects.create(tenant=other, name=f"other{other.pk}.example", is_verified=True)
    assert step(tenant, "people", admin)["done"] is False
    assert step(tenant, "domain", admin)["done"] is False


# --- who sees what ---------------------------------------------------------------------


def test_global_admin_and_reader_see_every_step_and_other_admins_what_they_can_do(tenant):
    keys = [s.key for s in selectors.STEPS]
    facts = selectors.facts(tenant=tenant)

    def seen(role):
        user = make_user(tenant, roles=[role])
        return [s["key"] for s in selectors.setup_steps(user=user, facts=facts)]

    assert seen(GLOBAL_ADMIN) == keys
    assert seen(GLOBAL_READER) == keys
    assert seen(HELPDESK_ADMIN) == ["self_reset"]
    assert seen(USER_ADMIN) == ["people", "licenses", "self_reset"]
    assert seen(BILLING_ADMIN) == ["licenses"]
    assert seen(REPORTS_READER) == []


def test_a_step_links_only_to_a_page_the_viewer_may_open(tenant):
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    reader = make_user(tenant, roles=[GLOBAL_READER])
    # The reports are the reader's; a Helpdesk admin reaches Active users instead.
    assert step(tenant, "self_reset", reader)["link"]["url"] == "/reports/security-info/"
    assert step(tenant, "self_reset", helpdesk)["link"]["url"] == "/users/"


def test_a_user_without_an_admin_role_gets_403_and_no_setup_in_the_nav(client, tenant, admin):
    person = make_user(tenant)
    sign_in(client, person)
    for url in (SETUP, ACTIONS, ACCESS, ACCESS + "?format=csv"):
        assert_forbidden(client.get(url))
    assert "/setup/" not in sidebar(client.get("/my-account/", follow=True))


def test_helpdesk_sees_setup_but_not_the_score_or_admin_access(client, tenant):
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    sign_in(client, helpdesk)
    response = client.get(SETUP)
    assert response.status_code == 200
    nav = sidebar(response)
    assert 'href="/setup/"' in nav
    assert ACTIONS not in nav and ACCESS not in nav
    page = response.content.decode()
    assert 'data-testid="step-self_reset"' in page
    assert 'data-testid="step-domain"' not in page
    assert 'data-testid="setup-score"' not in page
    assert_forbidden(client.get(ACTIONS))
    assert_forbidden(client.get(ACCESS))


def test_an_admin_without_steps_sees_an_empty_state(client, tenant):
    sign_in(client, make_user(tenant, roles=[REPORTS_READER]))
    response = client.get(SETUP)
    assert 'data-testid="setup-empty"' in response.content.decode()


def test_the_nav_puts_setup_after_settings_and_before_reports(client, tenant, admin):
    sign_in(client, admin)
    nav = sidebar(client.get(SETUP))
    assert nav.index("/settings/") < nav.index("/setup/") < nav.index("/reports/")
    for url in (SETUP, ACTIONS, ACCESS):
        assert f'href="{url}"' in nav


def test_setup_page_shows_progress_steps_and_score(client, tenant, admin):
    sign_in(client, admin)
    page = client.get(SETUP).content.decode()
    facts = selectors.facts(tenant=tenant)
    steps = selectors.setup_steps(user=admin, facts=facts)
    done = sum(s["done"] for s in steps)
    assert f"{done} of {len(steps)}" in page
    score = selectors.recommended_actions(user=admin, facts=facts)["score"]
    assert f"{score} of 100" in page


def test_home_shows_the_viewers_progress(client, tenant, admin):
    sign_in(client, admin)
    page = client.get("/").content.decode()
    assert 'data-testid="home-setup"' in page
    facts = selectors.facts(tenant=tenant)
    progress = selectors.progress(selectors.setup_steps(user=admin, facts=facts))
    assert f"{progress['done']} of {progress['total']}" in page
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    sign_in(client, helpdesk)
    page = client.get("/").content.decode()
    assert 'data-testid="home-setup"' in page
    assert " of 1</p>" in page


def test_home_progress_follows_a_change(client, tenant, admin):
    sign_in(client, admin)
    before = client.get("/").content.decode()
    facts = selectors.facts(tenant=tenant)
    done = selectors.progress(selectors.setup_steps(user=admin, facts=facts))["done"]
    assert f"{done} of 8" in before
    make_user(tenant)  # people added
    after = client.get("/").content.decode()
    assert f"{done + 1} of 8" in after


# --- the score ---------------------------------------------------------------------------


def test_the_points_table_sums_to_100_and_every_action_has_its_points():
    assert sum(POINTS.values()) == 100
    assert [a.key for a in selectors.ACTIONS] == list(POINTS)


@pytest.mark.parametrize(
    ("points", "part", "whole", "expected"),
    [(30, 3, 4, 22), (30, 4, 4, 30), (30, 0, 4, 0), (20, 1, 3, 6), (20, 0, 0, 20), (10, 1, 1, 10)],
)
def test_points_earned_are_the_share_rounded_down(points, part, whole, expected):
    assert earned(points, part, whole) == expected


def test_the_score_of_an_organization_in_each_state(tenant, admin):
    # One Global admin without methods, signed in today; password expiry on.
    admin.last_login = timezone.now()
    admin.save()
    tenant.password_expiry_days = 90
    tenant.save()
    facts = selectors.facts(tenant=tenant)
    result = selectors.recommended_actions(user=admin, facts=facts)
    got = {a["key"]: a["earned"] for a in result["actions"]}
    assert got == {
        "phishing_resistant": 0,
        "admin_second_factor": 0,
        "password_expiry_off": 0,
        "no_stale_admins": 20,
        "global_admin_count": 0,
    }
    assert result["score"] == 20 and result["total"] == 100

    # A second and a third admin: one stale, two of three with a second factor.
    second = make_user(tenant, roles=[GLOBAL_ADMIN], last_login=timezone.now())
    stale = make_user(tenant, roles=[HELPDESK_ADMIN])
    User.objects.filter(pk=stale.pk).update(date_joined=timezone.now() - timedelta(days=91))
    make_app(admin)
    make_passkey(second)
    tenant.password_expiry_days = None
    tenant.require_phishing_resistant_for_admins = True
    tenant.save()
    result = selectors.recommended_actions(user=admin, facts=selectors.facts(tenant=tenant))
    got = {a["key"]: (a["earned"], a["state"]) for a in result["actions"]}
    assert got == {
        "phishing_resistant": (20, "Required; 1 of 3 admins have a passkey"),
        "admin_second_factor": (20, "2 of 3 admins have a second factor"),
        "password_expiry_off": (10, "Passwords never expire"),
        "no_stale_admins": (13, "1 of 3 admins have not signed in for 90 days"),
        "global_admin_count": (20, "2 Global admins can sign in"),
    }
    assert result["score"] == 20 + 20 + 10 + 13 + 20


def test_more_than_four_global_admins_lose_the_points(tenant, admin):
    for _ in range(4):
        make_user(tenant, roles=[GLOBAL_ADMIN])
    assert action(tenant, "global_admin_count", admin)["earned"] == 0


def test_an_admin_who_signed_in_long_ago_is_stale(tenant, admin):
    admin.last_login = timezone.now() - timedelta(days=90, minutes=1)
    admin.save()
    found = action(tenant, "no_stale_admins", admin)
    assert found["earned"] == 0
    assert found["fix"] == {"label": "Go to Admin access", "url": ACCESS}


def test_recommended_actions_page(client, tenant, admin):
    sign_in(client, admin)
    page = client.get(ACTIONS).content.decode()
    score = selectors.recommended_actions(user=admin, facts=selectors.facts(tenant=tenant))
    assert f"{score['score']} of 100" in page
    for key in POINTS:
        assert f'data-testid="action-{key}"' in page


def test_the_global_reader_sees_every_page_of_setup(client, tenant, admin):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    for url in (SETUP, ACTIONS, ACCESS):
        assert client.get(url).status_code == 200


# --- admin access ----------------------------------------------------------------------


def test_admin_access_lists_every_person_with_a_role_and_their_methods_masked(
    client, tenant, admin
):
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN, REPORTS_READER], display_name="Hal Help")
    plain = make_user(tenant, display_name="Nobody Special")
    make_phone(admin, "+31612345678")
    make_alt_email(admin, "adele@example.org")
    sign_in(client, admin)
    page = client.get(ACCESS).content.decode()
    assert "Adele Admin" in page and "Hal Help" in page
    assert "Nobody Special" not in page
    assert f'data-testid="admin-{plain.pk}"' not in page
    assert "+31612345678" not in page and "adele@example.org" not in page
    rows = {row["pk"]: row for row in selectors.admin_rows(tenant=tenant)}
    assert rows[admin.pk]["can_self_reset"] is True
    assert rows[helpdesk.pk]["can_self_reset"] is False
    assert [role.code for role in rows[helpdesk.pk]["roles"]] == [HELPDESK_ADMIN, REPORTS_READER]
    assert [m["key"] for m in rows[admin.pk]["methods"]] == ["phone", "email"]


def test_admin_access_csv_is_audited_and_defused(client, tenant, admin):
    make_user(tenant, roles=[HELPDESK_ADMIN], display_name="=HYPERLINK(1)")
    make_phone(admin, "+31612345678")
    make_alt_email(admin, "adele@example.org")
    admin.last_login = timezone.now()
    admin.save()
    sign_in(client, admin)
    response = client.get(ACCESS + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Display name",
        "Sign-in name",
        "Roles",
        "Methods",
        "Can reset their own password",
        "Last sign-in",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Adele Admin", "'=HYPERLINK(1)"}
    adele = by_name["Adele Admin"]
    assert adele[1] == admin.username
    assert adele[2] == "Global admin"
    assert adele[3].startswith("Mobile phone: ") and "; Alternate email: " in adele[3]
    assert "+31612345678" not in adele[3] and "adele@example.org" not in adele[3]
    assert adele[4] == "Yes"
    assert adele[5].startswith(str(timezone.localdate(admin.last_login)))
    assert by_name["'=HYPERLINK(1)"][4:] == ["No", ""]
    event = AuditEvent.objects.get(action="setup.admin_access.export")
    assert (event.actor_id, event.tenant_id, event.new_values) == (
        admin.pk,
        tenant.pk,
        {"admins": 2},
    )


def test_admin_access_shows_no_other_organizations_admins(client, tenant, admin):
    other = make_tenant()
    stranger = make_user(other, roles=[GLOBAL_ADMIN], display_name="Stranger Danger")
    sign_in(client, admin)
    assert "Stranger Danger" not in client.get(ACCESS).content.decode()
    assert stranger.pk not in {row["pk"] for row in selectors.admin_rows(tenant=tenant)}


# --- query counts ----------------------------------------------------------------------


def _many(tenant, n):
    for i in range(n):
        user = make_user(tenant, roles=[HELPDESK_ADMIN] if i % 2 else [])
        make_phone(user, f"+316123456{i:02d}")
        make_alt_email(user, f"person{i}@example.org")


@pytest.mark.parametrize("url", [SETUP, ACTIONS, ACCESS])
def test_setup_pages_read_a_constant_number_of_queries(
    client, tenant, admin, url, django_assert_max_num_queries, settings
):
    settings.PORTAL_PAGE_CACHE_SECONDS = 0  # rendered every time
    sign_in(client, admin)
    _many(tenant, 3)
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200
    _many(tenant, 20)
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200


def test_the_facts_are_two_queries_whatever_the_size(tenant, admin, django_assert_num_queries):
    _many(tenant, 2)
    with django_assert_num_queries(2):
        selectors.facts(tenant=tenant)
    _many(tenant, 15)
    with django_assert_num_queries(2):
        selectors.facts(tenant=tenant)


def test_the_csv_export_reads_a_constant_number_of_queries(
    client, tenant, admin, django_assert_max_num_queries
):
    sign_in(client, admin)
    _many(tenant, 12)
    with django_assert_max_num_queries(8):
        response = client.get(ACCESS + "?format=csv")
        assert len(b"".join(response.streaming_content).splitlines()) == 1 + 1 + 6


def test_the_facts_agree_with_security_infos_registration_figures(tenant, admin):
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    users = [make_user(tenant) for _ in range(3)]
    make_phone(admin)
    make_app(admin)
    make_alt_email(helpdesk)
    make_alt_email(users[0], "a@example.org")
    make_app(users[1])
    facts = selectors.facts(tenant=tenant)
    (_a, admins), (_u, others) = registration_figures(tenant=tenant)
    assert facts.admins == admins["total"] == 2
    assert facts.admins_two_methods == admins["total"] - admins["stuck"] == 1
    assert facts.users == admins["total"] + others["total"] == 5
    assert facts.self_reset_people == facts.users - admins["stuck"] - others["stuck"] == 3
