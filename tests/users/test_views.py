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
def person(tenant):
    user = make_user(tenant, display_name="Pat Person")
    PhoneDevice.objects.create(user=user, name="Phone", number="+31612345678", confirmed=True)
    AltEmailDevice.all_objects.create(
        user=user, name="Email", email="pat@example.org", confirmed=True
    )
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    return user


def url(user, action=""):
    return f"/users/{user.pk}/{action}"


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
    assert_forbidden(client.post(url(target, "methods/remove/"), {"method": "phone"}))
    assert_forbidden(client.get(url(target, "methods/remove/")))
    assert PhoneDevice.objects.filter(user=target).exists()


def test_role_without_user_access_gets_403(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[BILLING_ADMIN]))
    assert_forbidden(client.get(url(person)))


def test_anonymous_is_sent_to_sign_in(client, person):
    assert_redirects_to_signin(client.get(url(person)), url(person))


def test_other_tenants_user_is_not_found(client, person):
    sign_in(client, make_user(make_tenant(), roles=[GLOBAL_ADMIN]))
    events = AuditEvent.objects.count()
    assert_not_found(client.get(url(person)))
    for action in ("methods/remove/", "reregister/", "sign-out/", "temporary-pass/", "block/"):
        assert_not_found(client.get(url(person, action)))
        assert_not_found(client.post(url(person, action), {"method": "phone", "hours": "1"}))
    person.refresh_from_db()
    assert PhoneDevice.objects.filter(user=person).exists()
    assert not person.is_sign_in_blocked and not person.must_register_methods
    assert AuditEvent.objects.count() == events


def test_user_admin_removes_a_lost_phone_with_an_audit_event(client, tenant, person):
    admin = make_user(tenant, roles=[USER_ADMIN])
    sign_in(client, admin)
    response = client.post(url(person, "methods/remove/"), {"method": "phone"}, follow=True)
    assert "The method was removed." in response.content.decode()
    assert not PhoneDevice.objects.filter(user=person).exists()
    event = AuditEvent.objects.get(action="security_info.phone.delete")
    assert event.actor_id == admin.pk and event.target_id == str(person.pk)
    assert event.old_values == {"number": "+31 6 ••••••78"}


def test_unknown_method_changes_nothing(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    for body in ({"method": "everything"}, {}):
        response = client.post(url(person, "methods/remove/"), body)
        assert response.status_code == 200
        assert "Choose what to remove." in response.content.decode()
    assert PhoneDevice.objects.filter(user=person).exists()
    assert not AuditEvent.objects.filter(action__startswith="security_info").exists()


def test_the_user_page_answers_no_post(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert client.post(url(person), {"action": "phone"}).status_code == 405
    assert PhoneDevice.objects.filter(user=person).exists()


def test_required_reregistration_clears_methods_and_holds_the_user_at_security_info(
    client, tenant, person
):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    page = client.get(url(person, "reregister/"))
    assert page.status_code == 200 and "Require re-registration" in page.content.decode()
    assert PhoneDevice.objects.filter(user=person).exists()  # asking changes nothing
    client.post(url(person, "reregister/"))
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
    client.post(url(person, "methods/remove/"), {"method": "email"})
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


def test_a_users_page_rendered_afresh_makes_one_query_per_section(
    client, settings, tenant, person, django_assert_num_queries
):
    # The session (none when sessions live in the cache), the signed-in user with
    # their roles, the person with theirs, then one each: licenses, groups,
    # authentication methods, activity.
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    client.get(url(person))
    with django_assert_num_queries(6 if settings.SESSION_ENGINE.endswith(".cache") else 7):
        response = client.get(url(person), headers={"Cache-Control": "no-cache"})
    assert response.status_code == 200
    for section in ("user-licenses", "user-groups", "user-methods", "user-activity"):
        assert f'data-testid="{section}"' in response.content.decode()


def test_registering_a_sign_in_method_again_lifts_the_demand(client, tenant, person):
    from security_info import services
    from tests.helpers import totp_code

    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    client.post(url(person, "reregister/"))
    person.refresh_from_db()
    device = services.authenticator_start(user=person)
    services.authenticator_confirm(user=person, device_id=device.pk, code=totp_code(device))
    person.refresh_from_db()
    assert not person.must_register_methods


def test_helpdesk_issues_a_temporary_pass_shown_once(client, tenant, person):
    from security_info.models import TemporaryPassDevice

    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    response = client.post(url(person, "temporary-pass/"), {"hours": "4"})
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
    assert_forbidden(client.post(url(target, "temporary-pass/"), {"hours": "1"}))
    assert not TemporaryPassDevice.objects.filter(user=target).exists()


def test_temporary_pass_with_bad_hours_is_refused(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    from security_info.models import TemporaryPassDevice

    for body in ({"hours": "99"}, {"hours": "x"}, {}):
        response = client.post(url(person, "temporary-pass/"), body)
        assert response.status_code == 200
        assert "1 to 8 hours" in response.content.decode()
    assert not TemporaryPassDevice.objects.filter(user=person).exists()


def test_helpdesk_signs_a_user_out_of_every_session(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    page = client.get(url(person))
    assert f'action="/users/{person.pk}/sign-out/"' in page.content.decode()
    confirm = client.get(url(person, "sign-out/"))
    assert confirm.status_code == 200 and "signed out everywhere" in confirm.content.decode()
    response = client.post(url(person, "sign-out/"), follow=True)
    assert "Pat Person was signed out of all sessions." in response.content.decode()
    assert AuditEvent.objects.filter(target_id=str(person.pk), action="user.sessions_end").exists()


@pytest.mark.parametrize("action", ["sign-out/", "reregister/", "methods/remove/"])
def test_methods_actions_refuse_who_may_not_reset_the_password(client, tenant, action):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    PhoneDevice.objects.create(user=target, name="Phone", number="+31612345678", confirmed=True)
    for role in (HELPDESK_ADMIN, BILLING_ADMIN, GLOBAL_READER):
        client.logout()
        sign_in(client, make_user(tenant, roles=[role]))
        assert_forbidden(client.get(url(target, action)))
        assert_forbidden(client.post(url(target, action), {"method": "phone"}))
    target.refresh_from_db()
    assert PhoneDevice.objects.filter(user=target).exists() and not target.must_register_methods


@pytest.mark.parametrize(
    "action", ["sign-out/", "reregister/", "methods/remove/", "temporary-pass/", "block/"]
)
def test_actions_on_a_deleted_user_are_not_found(client, tenant, person, action):
    from users.services import users_delete

    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    users_delete(tenant=tenant, acting_user=admin, users=[person])
    sign_in(client, admin)
    assert_not_found(client.get(url(person, action)))
    assert_not_found(client.post(url(person, action), {"method": "phone", "hours": "1"}))


def test_block_sign_in_is_confirmed_first(client, tenant, person):
    admin = make_user(tenant, roles=[USER_ADMIN])
    sign_in(client, admin)
    page = client.get(url(person)).content.decode()
    assert f'href="/users/{person.pk}/block/"' in page
    confirm = client.get(url(person, "block/"))
    assert confirm.status_code == 200
    assert "sign in until you allow it again" in confirm.content.decode()
    person.refresh_from_db()
    assert not person.is_sign_in_blocked  # asking changes nothing

    response = client.post(url(person, "block/"))
    assert response.url == url(person)
    person.refresh_from_db()
    assert person.is_sign_in_blocked
    event = AuditEvent.objects.get(action="user.block")
    assert event.actor_id == admin.pk and event.target_id == str(person.pk)


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER, BILLING_ADMIN])
def test_block_sign_in_needs_a_user_admin(client, tenant, person, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get(url(person, "block/")))
    assert_forbidden(client.post(url(person, "block/")))
    person.refresh_from_db()
    assert not person.is_sign_in_blocked


def test_a_user_admin_cannot_block_a_global_admin(client, tenant):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert_forbidden(client.post(url(target, "block/")))
    target.refresh_from_db()
    assert not target.is_sign_in_blocked


def test_the_method_removal_page_offers_each_method(client, tenant, person):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    page = client.get(url(person, "methods/remove/")).content.decode()
    assert 'value="phone"' in page and 'value="backup_codes"' in page
    assert PhoneDevice.objects.filter(user=person).exists()


def _group(tenant, name, **fields):
    from groups.models import Group

    return Group.objects.create(tenant=tenant, kind="security", name=name, **fields)


def _memberships(user):
    from groups.models import Membership

    return set(Membership.objects.filter(user=user).values_list("group__name", "role"))


def test_groups_admin_adds_a_user_to_groups_and_takes_them_out(client, tenant, person):
    laptops, printers = _group(tenant, "Laptops"), _group(tenant, "Printers")
    sign_in(client, make_user(tenant, roles=[GROUPS_ADMIN]))
    page = client.get(url(person, "groups/"), {"q": "lap"}).content.decode()
    assert f'action="/users/{person.pk}/groups/join/"' in page and "Laptops" in page
    response = client.post(
        url(person, "groups/join/"), {"groups": [laptops.pk, printers.pk], "role": "owner"}
    )
    assert response.url == url(person)
    assert _memberships(person) == {("Laptops", "owner"), ("Printers", "owner")}
    client.post(url(person, "groups/join/"), {"groups": [laptops.pk]})  # member by default
    assert ("Laptops", "member") in _memberships(person)
    page = client.get(url(person)).content.decode()
    assert f'action="/users/{person.pk}/groups/leave/"' in page
    response = client.post(url(person, "groups/leave/"), {"groups": [laptops.pk]}, follow=True)
    assert "The groups were saved." in response.content.decode()
    assert _memberships(person) == {("Laptops", "owner"), ("Printers", "owner")}
    assert AuditEvent.objects.filter(action="group.owner.add").count() == 2


@pytest.mark.parametrize("action", ["groups/join/", "groups/leave/"])
def test_groups_change_with_bad_input_changes_nothing(client, tenant, person, action):
    laptops = _group(tenant, "Laptops")
    sign_in(client, make_user(tenant, roles=[GROUPS_ADMIN]))
    for body, text in (
        ({}, "Choose at least one group."),
        ({"groups": [laptops.pk], "role": "emperor"}, "Select a valid choice"),
    ):
        response = client.post(url(person, action), body)
        assert response.status_code == 200 and text in response.content.decode()
    assert_not_found(client.post(url(person, action), {"groups": ["x"]}))
    assert _memberships(person) == set()
    assert not AuditEvent.objects.filter(action__startswith="group.").exists()


def test_a_refusal_on_one_group_adds_the_user_to_none(client, tenant, person):
    laptops = _group(tenant, "Laptops")
    by_rule = _group(
        tenant, "Sales", membership_rule={"field": "department", "op": "equals", "value": "S"}
    )
    sign_in(client, make_user(tenant, roles=[GROUPS_ADMIN]))
    response = client.post(url(person, "groups/join/"), {"groups": [laptops.pk, by_rule.pk]})
    assert response.status_code == 200
    assert "follow its rule" in response.content.decode()
    assert _memberships(person) == set()


@pytest.mark.parametrize("action", ["groups/", "groups/join/", "groups/leave/"])
def test_groups_pages_need_a_groups_admin(client, tenant, person, action):
    laptops = _group(tenant, "Laptops")
    for role in (HELPDESK_ADMIN, GLOBAL_READER, BILLING_ADMIN):
        client.logout()
        sign_in(client, make_user(tenant, roles=[role]))
        assert_forbidden(client.get(url(person, action)))
        assert_forbidden(client.post(url(person, action), {"groups": [laptops.pk]}))
    assert _memberships(person) == set()


@pytest.mark.parametrize("action", ["groups/", "groups/join/", "groups/leave/"])
def test_groups_of_another_organizations_user_or_group_are_not_found(
    client, tenant, person, action
):
    laptops = _group(tenant, "Laptops")
    other = make_tenant()
    foreign = _group(other, "Foreign")
    sign_in(client, make_user(other, roles=[GLOBAL_ADMIN]))
    assert_not_found(client.get(url(person, action)))
    if action != "groups/":
        assert_not_found(client.post(url(person, action), {"groups": [foreign.pk]}))
    client.logout()
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    if action != "groups/":
        assert_not_found(client.post(url(person, action), {"groups": [laptops.pk, foreign.pk]}))
    assert _memberships(person) == set()
    assert not AuditEvent.objects.filter(action__startswith="group.").exists()


def test_groups_of_a_deleted_user_are_not_found(client, tenant, person):
    from users.services import users_delete

    laptops = _group(tenant, "Laptops")
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    users_delete(tenant=tenant, acting_user=admin, users=[person])
    sign_in(client, admin)
    assert_not_found(client.get(url(person, "groups/")))
    for action in ("groups/join/", "groups/leave/"):
        assert_not_found(client.get(url(person, action)))
        assert_not_found(client.post(url(person, action), {"groups": [laptops.pk]}))
    assert _memberships(person) == set()
