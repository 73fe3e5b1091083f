"""Settings > Security & privacy: read by readers, changed only by a Global admin, audited."""

import pytest

from accounts.models import AuditEvent, Tenant
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import (
    assert_forbidden,
    assert_not_found,
    assert_redirects_to_signin,
    sidebar,
    sign_in,
)

pytestmark = pytest.mark.django_db

URL = "/settings/security/"


def form_data(**changes):
    data = {
        "require_mfa_for_admins": "on",
        "reset_gates_for_users": "1",
        "password_expiry": "never",
        "password_expiry_days": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_global_admin_changes_the_policy_and_it_is_audited(client, tenant):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    response = client.post(
        URL,
        form_data(
            require_mfa_for_admins=None,
            reset_gates_for_users="2",
            password_expiry="after",
            password_expiry_days="180",
        ),
    )
    assert response.url == URL
    tenant.refresh_from_db()
    assert (
        tenant.require_mfa_for_admins,
        tenant.reset_gates_for_users,
        tenant.password_expiry_days,
    ) == (False, 2, 180)
    event = AuditEvent.objects.get(action="tenant.security.change")
    assert event.actor == admin and event.tenant == tenant
    # Only what changed (the tests' organizations start without the MFA policy).
    assert event.old_values == {"reset_gates_for_users": 1, "password_expiry_days": None}
    assert event.new_values == {"reset_gates_for_users": 2, "password_expiry_days": 180}
    assert "Your security settings were saved." in client.get(URL).content.decode()


def test_saving_without_changes_records_nothing(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    client.post(URL, form_data(require_mfa_for_admins=None))
    assert not AuditEvent.objects.filter(action="tenant.security.change").exists()


def test_the_form_shows_the_current_policy(client):
    tenant = make_tenant(password_expiry_days=60, reset_gates_for_users=2)
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = client.get(URL).content.decode()
    assert 'name="password_expiry_days" value="60"' in page
    assert 'value="after" id="id_password_expiry_1" required checked' in page
    assert 'value="2" id="id_reset_gates_for_users_1" required checked' in page


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("", "Enter the number of days, from 14 to 730."),
        ("13", "greater than or equal to 14"),
        ("731", "less than or equal to 730"),
        ("ninety", "Enter a whole number."),
    ],
)
def test_bad_expiry_days_are_refused_at_the_field(client, tenant, days, message):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    response = client.post(URL, form_data(password_expiry="after", password_expiry_days=days))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).password_expiry_days is None


def test_days_are_ignored_when_passwords_never_expire(client):
    tenant = make_tenant(password_expiry_days=90)
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    client.post(URL, form_data(require_mfa_for_admins=None, password_expiry_days="5"))
    tenant.refresh_from_db()
    assert tenant.password_expiry_days is None


def test_a_bad_gate_count_is_refused(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    response = client.post(URL, form_data(reset_gates_for_users="3"))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.reset_gates_for_users == 1


def test_global_reader_reads_but_cannot_change(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get(URL).content.decode()
    assert 'data-testid="read-only"' in page and 'type="submit"' not in page.split("<form")[-1]
    assert_forbidden(client.post(URL, form_data(reset_gates_for_users="2")))
    tenant.refresh_from_db()
    assert tenant.reset_gates_for_users == 1


@pytest.mark.parametrize("role", [USER_ADMIN, HELPDESK_ADMIN, None])
def test_other_roles_neither_see_nor_open_the_page(client, tenant, role):
    user = make_user(tenant, roles=[role] if role else [])
    sign_in(client, user)
    assert_forbidden(client.get(URL))
    assert_forbidden(client.post(URL, form_data(reset_gates_for_users="2")))
    if role:
        assert URL not in sidebar(client.get("/"))


def test_global_admin_finds_it_in_the_nav(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    assert URL in sidebar(client.get("/"))


def test_a_change_touches_only_the_admins_own_organization(client, tenant):
    other = make_tenant()
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    client.post(URL, form_data(reset_gates_for_users="2"))
    other.refresh_from_db()
    assert other.reset_gates_for_users == 1


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert_redirects_to_signin(client.get(URL), URL)


def test_session_limits_of_the_organization_apply(client, tenant):
    import time

    from accounts.middleware import LAST_SEEN

    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    client.post(
        URL,
        form_data(require_mfa_for_admins=None, session_idle_minutes="10", session_max_hours="8"),
    )
    tenant.refresh_from_db()
    assert (tenant.session_idle_minutes, tenant.session_max_hours) == (10, 8)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 11 * 60
    session.save()
    assert client.get("/").status_code == 302  # signed out after 10 idle minutes


def test_bad_session_limits_are_refused(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    response = client.post(URL, form_data(session_idle_minutes="1", session_max_hours="9999"))
    page = response.content.decode()
    assert "greater than or equal to 5" in page and "less than or equal to 720" in page


def test_release_preferences_for_selected_users(client, tenant):
    from accounts.models import User

    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    pat, sam = (
        make_user(tenant, "pat", display_name="Pat"),
        make_user(tenant, "sam", display_name="Sam"),
    )
    sign_in(client, admin)
    page = client.get("/settings/releases/", {"people_q": "pa"}).content.decode()
    assert f'name="add" value="{pat.pk}" id="id_add-match-{pat.pk}"' in page
    client.post("/settings/releases/", {"release_track": "early_selected", "add": [pat.pk, sam.pk]})
    tenant.refresh_from_db()
    assert tenant.release_track == "early_selected"
    assert set(User.objects.filter(early_release=True).values_list("pk", flat=True)) == {
        pat.pk,
        sam.pk,
    }
    client.post("/settings/releases/", {"release_track": "early_selected", "remove": [sam.pk]})
    assert list(User.objects.filter(early_release=True).values_list("pk", flat=True)) == [pat.pk]
    client.post("/settings/releases/", {"release_track": "standard"})
    assert not User.objects.filter(early_release=True).exists()
    assert AuditEvent.objects.filter(action="tenant.release.change").count() == 3
    stranger = make_user(make_tenant())
    assert_not_found(
        client.post(
            "/settings/releases/", {"release_track": "early_selected", "add": [stranger.pk]}
        )
    )


def test_readers_cannot_change_release_preferences(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get("/settings/releases/", {"people_q": "a"})
    assert page.status_code == 200 and "data-people-picker" not in page.content.decode()
    assert_forbidden(client.post("/settings/releases/", {"release_track": "early_all"}))


def test_switching_the_second_factor_policy_off_takes_effect_at_once(client):
    tenant = make_tenant(require_mfa_for_admins=True)
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    # No second factor yet: the policy keeps the admin center closed.
    assert client.get("/").url == "/security-info/"
    boss = make_user(tenant, roles=[GLOBAL_ADMIN])
    from org_settings import services

    services.tenant_security_update(
        tenant=tenant,
        acting_user=boss,
        require_mfa_for_admins=False,
        reset_gates_for_users=1,
        password_expiry_days=None,
    )
    assert client.get("/").status_code == 200
