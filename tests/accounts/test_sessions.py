"""Sessions: they end on block, delete, suspension, sign-out, idleness and age."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from accounts.models import AuditEvent, Tenant, User
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SESSION_COOKIE = settings.SESSION_COOKIE_NAME
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
NEW_PASSWORD = "Brand-New-Secret-77"


def sign_in(client, user, password=PASSWORD):
    response = client.post("/signin/", {"username": user.username, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return response


def assert_sent_to_signin(response):
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")


# --- Sessions end when the account may no longer sign in --------------------


def block(user):
    User.objects.filter(pk=user.pk).update(is_sign_in_blocked=True)


def delete(user):
    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now())


def deactivate(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def suspend_tenant(user):
    services.tenant_set_status(tenant=user.tenant, status=Tenant.Status.SUSPENDED, acting_user=None)


ENDINGS = {"block": block, "delete": delete, "deactivate": deactivate, "suspend": suspend_tenant}


@pytest.fixture(params=["force_login", "sign_in"])
def signed_in(request, admin):
    """A client signed in as ``admin``, by force_login or through the sign-in form."""
    client = Client()
    if request.param == "force_login":
        client.force_login(admin)
    else:
        sign_in(client, admin)
    assert client.get("/").status_code == 200
    return client


@pytest.mark.parametrize("end", ENDINGS)
def test_existing_session_ends_at_once(signed_in, admin, end):
    ENDINGS[end](admin)

    assert_sent_to_signin(signed_in.get("/"))
    assert_sent_to_signin(signed_in.get("/account/"))


@pytest.mark.parametrize("end", ["block", "suspend"])
def test_ended_session_stays_ended_when_block_is_lifted(signed_in, admin, end):
    ENDINGS[end](admin)
    assert_sent_to_signin(signed_in.get("/"))

    User.objects.filter(pk=admin.pk).update(is_sign_in_blocked=False)
    Tenant.objects.filter(pk=admin.tenant_id).update(status=Tenant.Status.ACTIVE)

    assert_sent_to_signin(signed_in.get("/"))


def test_blocking_one_user_leaves_others_signed_in(admin):
    colleague = make_user(admin.tenant, roles=[GLOBAL_ADMIN], display_name="Carl Colleague")
    client = Client()
    sign_in(client, colleague)

    block(admin)

    assert client.get("/").status_code == 200


def test_password_change_elsewhere_ends_other_sessions(admin):
    other_device = Client()
    sign_in(other_device, admin)
    admin.set_password(NEW_PASSWORD)
    admin.save()

    assert_sent_to_signin(other_device.get("/"))


# --- Sign-out --------------------------------------------------------------


def test_sign_out_needs_post(client, admin):
    sign_in(client, admin)

    response = client.get("/signout/")

    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_sign_out_ends_the_session_and_is_audited(client, admin):
    sign_in(client, admin)
    session_key = client.cookies[SESSION_COOKIE].value

    response = client.post("/signout/", headers={"user-agent": "TestBrowser/1.0"})

    assert response.status_code == 302
    assert response["Location"] == "/signin/"
    assert not SessionStore().exists(session_key)
    assert_sent_to_signin(client.get("/"))
    event = AuditEvent.objects.get(action="signout")
    assert event.actor == admin
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "TestBrowser/1.0"


def test_signed_out_session_cookie_cannot_be_replayed(admin):
    client = Client()
    sign_in(client, admin)
    stolen = client.cookies[SESSION_COOKIE].value
    client.post("/signout/")

    thief = Client()
    thief.cookies[SESSION_COOKIE] = stolen

    assert_sent_to_signin(thief.get("/"))


def test_anonymous_sign_out_writes_no_audit_event(client):
    response = client.post("/signout/")

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="signout").exists()


# --- Idle timeout and absolute lifetime -----------------------------------------


def set_clock(client, **values):
    session = client.session
    session.update(values)
    session.save()


def test_sign_in_starts_the_session_clock(client, admin):
    before = int(time.time())
    sign_in(client, admin)
    after = int(time.time())

    session = client.session
    assert before <= session[SIGNED_IN_AT] <= after
    assert before <= session[LAST_SEEN] <= after


def test_force_login_session_gets_a_clock(client, admin):
    before = int(time.time())
    client.force_login(admin)

    assert client.get("/").status_code == 200
    assert before <= client.session[SIGNED_IN_AT] <= time.time()


def test_idle_session_ends(client, admin):
    sign_in(client, admin)
    now = int(time.time())
    set_clock(client, **{LAST_SEEN: now - settings.PORTAL_SESSION_IDLE_SECONDS - 1})

    response = client.get("/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/audit/"
    assert_sent_to_signin(client.get("/"))


def test_activity_keeps_session_alive(client, admin):
    sign_in(client, admin)
    now = int(time.time())
    set_clock(client, **{LAST_SEEN: now - settings.PORTAL_SESSION_IDLE_SECONDS + 120})

    assert client.get("/").status_code == 200

    assert client.session[LAST_SEEN] >= now


def test_session_ends_after_its_maximum_lifetime_despite_activity(client, admin):
    sign_in(client, admin)
    now = int(time.time())
    set_clock(client, **{SIGNED_IN_AT: now - settings.PORTAL_SESSION_MAX_SECONDS - 1})
    set_clock(client, **{LAST_SEEN: now})

    assert_sent_to_signin(client.get("/"))
    assert_sent_to_signin(client.get("/account/"))


def test_session_just_inside_its_lifetime_continues(client, admin):
    sign_in(client, admin)
    now = int(time.time())
    set_clock(
        client,
        **{SIGNED_IN_AT: now - settings.PORTAL_SESSION_MAX_SECONDS + 60, LAST_SEEN: now},
    )

    assert client.get("/").status_code == 200


@pytest.mark.parametrize("idle_seconds, max_seconds", [(5, 10**6), (10**6, 5)])
def test_session_limits_follow_settings(client, admin, settings, idle_seconds, max_seconds):
    settings.PORTAL_SESSION_IDLE_SECONDS = idle_seconds
    settings.PORTAL_SESSION_MAX_SECONDS = max_seconds
    sign_in(client, admin)
    now = int(time.time())
    assert client.get("/").status_code == 200

    set_clock(client, **{SIGNED_IN_AT: now - 10, LAST_SEEN: now - 10})

    assert_sent_to_signin(client.get("/"))


# --- Must change password ------------------------------------------------------


@pytest.fixture
def must_change(admin):
    User.objects.filter(pk=admin.pk).update(must_change_password=True)
    admin.refresh_from_db()
    return admin


@pytest.mark.parametrize("path", ["/", "/account/", "/audit/", "/operators/"])
def test_must_change_password_is_sent_to_password_change(client, must_change, path):
    sign_in(client, must_change)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/account/password/"


def test_must_change_password_can_open_password_page_and_sign_out(client, must_change):
    sign_in(client, must_change)

    page = client.get("/account/password/")
    assert page.status_code == 200
    assert "You must choose a new password" in page.content.decode()

    assert client.post("/signout/").status_code == 302
    assert_sent_to_signin(client.get("/"))


def change_password(client, old=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_changing_password_clears_the_flag_and_is_audited(client, must_change):
    sign_in(client, must_change)

    response = change_password(client)

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    must_change.refresh_from_db()
    assert not must_change.must_change_password
    assert must_change.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="password.change")
    assert event.actor == must_change
    assert event.target_id == str(must_change.pk)
    # The session survives its own password change, and the portal opens again.
    assert client.get("/").status_code == 200


def test_wrong_old_password_gives_field_error(client, must_change):
    sign_in(client, must_change)

    response = change_password(client, old="Not-The-Password-1")

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"old_password"}
    must_change.refresh_from_db()
    assert must_change.must_change_password
    assert must_change.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="password.change").exists()
    assert client.get("/").status_code == 302


def test_new_password_signs_in_and_old_does_not(client, must_change):
    sign_in(client, must_change)
    change_password(client)
    client.post("/signout/")

    refused = client.post("/signin/", {"username": must_change.username, "password": PASSWORD})
    assert refused.status_code == 200

    sign_in(client, must_change, NEW_PASSWORD)
    assert client.get("/").status_code == 200


def test_sign_out_of_an_expired_session_just_signs_out(client, admin):
    sign_in(client, admin)
    set_clock(client, **{LAST_SEEN: int(time.time()) - settings.PORTAL_SESSION_IDLE_SECONDS - 1})

    response = client.post("/signout/")

    assert response.status_code == 302
    assert response["Location"] == "/signin/"
    assert sign_in(client, admin)["Location"] == "/"


def test_sign_in_over_an_expired_session_signs_in(client, admin):
    sign_in(client, admin)
    set_clock(client, **{LAST_SEEN: int(time.time()) - settings.PORTAL_SESSION_IDLE_SECONDS - 1})

    response = client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
