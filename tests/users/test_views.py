"""A user's page: account, masked authentication methods for those allowed, activity."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import AuditEvent
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from security_info.models import AltEmailDevice, PhoneDevice
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, assert_redirects_to_signin, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def person(tenant):
    user = make_user(tenant, display_name="Pat Person")
    PhoneDevice.objects.create(user=user, name="Phone", number="+31612345678", confirmed=True)
    AltEmailDevice.all_objects.create(
        user=user, name="Email", email="pat@example.org", confirmed=True
    )
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    return user


def url(user):
    return f"/users/{user.pk}/"


def test_helpdesk_admin_sees_a_users_methods_masked(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    response = client.get(url(person))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="user-methods"' in page
    assert "+31 6 ••••••78" in page
    assert "p•••@example.org" in page
    assert "+31612345678" not in page and "pat@example.org" not in page


def test_helpdesk_admin_does_not_see_the_methods_of_a_global_admin(client, tenant):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    response = client.get(url(target))
    assert response.status_code == 200
    assert b'data-testid="user-methods"' not in response.content


def test_helpdesk_admin_cannot_remove_a_global_admins_method(client, tenant):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    PhoneDevice.objects.create(user=target, name="Phone", number="+31612345678", confirmed=True)
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert_forbidden(client.post(url(target), {"action": "phone"}))
    assert PhoneDevice.objects.filter(user=target).exists()


def test_role_without_user_access_gets_403(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[BILLING_ADMIN]))
    assert_forbidden(client.get(url(person)))


def test_anonymous_is_sent_to_sign_in(client, person):
    assert_redirects_to_signin(client.get(url(person)), url(person))


def test_other_tenants_user_is_not_found(client, person):
    sign_in(client, make_user(make_tenant(), roles=[GLOBAL_ADMIN]))
    assert_not_found(client.get(url(person)))
    assert_not_found(client.post(url(person), {"action": "phone"}))
    assert PhoneDevice.objects.filter(user=person).exists()


def test_user_admin_removes_a_lost_phone_with_an_audit_event(client, tenant, person):
    admin = make_user(tenant, roles=[USER_ADMIN])
    sign_in(client, admin)
    response = client.post(url(person), {"action": "phone"}, follow=True)
    assert "The method was removed." in response.content.decode()
    assert not PhoneDevice.objects.filter(user=person).exists()
    event = AuditEvent.objects.get(action="security_info.phone.delete")
    assert event.actor_id == admin.pk and event.target_id == str(person.pk)
    assert event.old_values == {"number": "+31 6 ••••••78"}


def test_unknown_action_changes_nothing(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    response = client.post(url(person), {"action": "everything"}, follow=True)
    assert "Choose what to remove." in response.content.decode()
    assert PhoneDevice.objects.filter(user=person).exists()


def test_required_reregistration_clears_methods_and_holds_the_user_at_security_info(
    client, tenant, person
):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    client.post(url(person), {"action": "reregister"})
    person.refresh_from_db()
    assert person.must_register_methods
    assert not PhoneDevice.objects.filter(user=person).exists()
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not AltEmailDevice.all_objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(action="security_info.reregistration.require").count() == 1

    client.logout()
    sign_in(client, person)
    assert client.get("/account/password/").status_code == 200
    response = client.get("/")
    assert response.url in ("/security-info/", "/account/")
    page = client.get("/security-info/").content.decode()
    assert 'data-testid="must-register"' in page


def test_activity_lists_events_about_the_user(client, tenant, person):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    client.post(url(person), {"action": "email"})
    page = client.get(url(person)).content.decode()
    assert 'data-testid="user-activity"' in page
    assert "Alternate email removed" in page


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, GLOBAL_READER])
def test_audit_log_readers_see_a_users_activity(client, tenant, person, role):
    audit_record(action="signin.success", tenant=tenant, actor=person, target=person)
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get(url(person)).content.decode()
    assert 'data-testid="user-activity"' in page and "Signed in" in page


@pytest.mark.parametrize("role", [GROUPS_ADMIN, HELPDESK_ADMIN, USER_ADMIN])
def test_admins_who_may_not_read_the_audit_log_do_not_see_a_users_activity(
    client, tenant, person, role
):
    audit_record(action="signin.success", tenant=tenant, actor=person, target=person)
    audit_record(action="security_info.phone.change", tenant=tenant, actor=person, target=person)
    sign_in(client, make_user(tenant, roles=[role]))
    response = client.get(url(person))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="user-activity"' not in page
    assert "Signed in" not in page and "Mobile phone changed" not in page
    assert "activity" not in response.context
    # Not in the htmx answer either (the same view, asked by htmx).
    partial = client.get(url(person), headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="user-activity"' not in partial and "Signed in" not in partial


def test_a_user_of_another_organization_shows_no_activity_but_not_found(client, tenant, person):
    sign_in(client, make_user(make_tenant(), roles=[GLOBAL_ADMIN]))
    assert_not_found(client.get(url(person)))


def test_users_page_stays_within_the_query_budget(
    client, tenant, person, django_assert_max_num_queries
):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    client.get(url(person))
    with django_assert_max_num_queries(12):
        assert client.get(url(person)).status_code == 200


def test_registering_a_sign_in_method_again_lifts_the_demand(client, tenant, person):
    from security_info import services
    from tests.helpers import totp_code

    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    client.post(url(person), {"action": "reregister"})
    person.refresh_from_db()
    device = services.authenticator_start(user=person)
    services.authenticator_confirm(user=person, device_id=device.pk, code=totp_code(device))
    person.refresh_from_db()
    assert not person.must_register_methods


def test_helpdesk_issues_a_temporary_pass_shown_once(client, tenant, person):
    from security_info.models import TemporaryPassDevice

    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    response = client.post(url(person), {"action": "temporary_pass", "hours": "4"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = response.context["token"]
    assert TemporaryPassDevice.objects.get(user=person).verify_token(token)
    assert token not in client.get(url(person)).content.decode()


def test_helpdesk_cannot_issue_a_pass_to_an_admin(client, tenant):
    from security_info.models import TemporaryPassDevice

    target = make_user(tenant, roles=[HELPDESK_ADMIN])
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert b"Issue temporary access pass" not in client.get(url(target)).content
    # A crafted request (the page offers no button): the service's refusal is a 403.
    assert_forbidden(client.post(url(target), {"action": "temporary_pass", "hours": "1"}))
    assert not TemporaryPassDevice.objects.filter(user=target).exists()


def test_temporary_pass_with_bad_hours_is_refused(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    response = client.post(url(person), {"action": "temporary_pass", "hours": "99"}, follow=True)
    assert "1 to 8 hours" in response.content.decode()
