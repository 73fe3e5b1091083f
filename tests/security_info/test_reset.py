"""Self-service password reset: gates, no enumeration, binding and limits."""

import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from security_info import reset
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import (
    last_mail_code,
    last_sms_code,
    make_alt_email,
    make_app,
    make_phone,
    sign_in,
    totp_code,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-Passphrase-9"


@pytest.fixture
def tenant():
    return make_tenant()


def start(client, username):
    return client.post("/password/reset/", {"username": username})


def verify(client, code):
    return client.post("/password/reset/verify/", {"code": code})


def new_password(client, password=NEW_PASSWORD):
    return client.post(
        "/password/reset/new/", {"new_password1": password, "new_password2": password}
    )


def _page(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_user_resets_with_one_gate_and_old_sessions_end(client, tenant):
    user = make_user(tenant)
    make_alt_email(user, "me@example.org")
    other_browser = sign_in(Client(), user)

    assert start(client, user.username).url == "/password/reset/verify/"
    assert mail.outbox[-1].to == ["me@example.org"]
    assert verify(client, last_mail_code()).url == "/password/reset/new/"
    assert new_password(client).url == "/signin/"

    assert authenticate(None, username=user.username, password=NEW_PASSWORD)
    assert other_browser.get("/account/").status_code == 302  # signed out
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"password_reset.start", "password_reset.gate_passed", "password.reset_self"} <= actions


def test_admin_needs_two_different_gates_and_sees_hints_only_after_the_first(
    client, tenant, django_capture_on_commit_callbacks
):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    other_admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    make_alt_email(admin, "boss@example.org")
    make_phone(admin, "+31612345678")

    start(client, admin.username)
    page = client.get("/password/reset/verify/").content.decode()
    assert "b•••@example.org" not in page and "••78" not in page
    assert verify(client, last_mail_code()).url == "/password/reset/next/"
    # One gate is not enough.
    assert new_password(client).url == "/password/reset/"
    hints = client.get("/password/reset/next/").content.decode()
    assert "+31 6 ••••••78" in hints
    assert "boss@example.org" not in hints  # the used method is not offered again
    client.post("/password/reset/next/", {"method": "phone"})
    assert verify(client, last_sms_code()).url == "/password/reset/new/"
    with django_capture_on_commit_callbacks(execute=True):
        new_password(client)

    assert authenticate(None, username=admin.username, password=NEW_PASSWORD)
    assert any("boss@example.org" in m.to for m in mail.outbox)  # the user's own notice
    told = [m for m in mail.outbox if other_admin.username in m.to]
    assert told, "the other Global admins are told"


def test_admin_second_gate_can_be_the_authenticator_app(client, tenant):
    admin = make_user(tenant, roles=[HELPDESK_ADMIN])
    make_alt_email(admin, "boss@example.org")
    device = make_app(admin)
    start(client, admin.username)
    verify(client, last_mail_code())
    client.post("/password/reset/next/", {"method": "app"})
    assert verify(client, totp_code(device)).url == "/password/reset/new/"


@pytest.mark.parametrize("case", ["unknown", "admin_with_one_method", "no_methods", "blocked"])
def test_accounts_that_cannot_be_reset_look_exactly_like_one_that_can(client, tenant, case):
    real = make_user(tenant)
    make_alt_email(real, "real@example.org")
    if case == "unknown":
        name = f"nobody@{tenant.domain_set.get().name}"
    elif case == "admin_with_one_method":
        admin = make_user(tenant, roles=[GLOBAL_ADMIN])
        make_alt_email(admin, "solo@example.org")
        name = admin.username
    elif case == "no_methods":
        name = make_user(tenant).username
    else:
        blocked = make_user(tenant, is_sign_in_blocked=True)
        make_alt_email(blocked, "blocked@example.org")
        name = blocked.username

    other = Client()
    first, second = start(client, real.username), start(other, name)
    assert (first.status_code, first.url) == (second.status_code, second.url)
    assert _page(client.get("/password/reset/verify/")) == _page(
        other.get("/password/reset/verify/")
    )
    sent = len(mail.outbox)
    assert sent == 1  # only the real account got a code
    # No code ever passes the gate of an account that cannot be reset.
    assert verify(other, "000000").status_code == 200
    assert new_password(other).url == "/password/reset/"


def test_new_password_step_cannot_be_reached_or_posted_without_the_gates(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    assert client.get("/password/reset/new/").url == "/password/reset/"
    assert new_password(client).url == "/password/reset/"
    start(client, user.username)
    assert client.get("/password/reset/new/").url == "/password/reset/"
    assert new_password(client).url == "/password/reset/"
    assert authenticate(None, username=user.username, password=PASSWORD)


def test_code_is_tied_to_the_flow_and_browser(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    thief = Client()
    start(thief, f"nobody@{tenant.domain_set.get().name}")
    assert verify(thief, code).status_code == 200  # refused in another flow
    assert verify(client, code).url == "/password/reset/new/"


def test_code_expires_after_ten_minutes(client, tenant, monkeypatch):
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    real_time = reset.time.time
    monkeypatch.setattr(reset.time, "time", lambda: real_time() + reset.CODE_SECONDS + 1)
    assert verify(client, code).status_code == 200


def test_five_wrong_codes_end_the_flow(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    for _ in range(reset.MAX_WRONG_CODES - 1):
        assert verify(client, "999999" if code != "999999" else "888888").status_code == 200
    response = verify(client, "999999" if code != "999999" else "888888")
    assert response.url == "/password/reset/"
    assert verify(client, code).url == "/password/reset/"  # the flow is gone


def test_sixth_attempt_in_a_day_is_blocked_and_logged(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    for _ in range(reset.MAX_ATTEMPTS):
        start(Client(), user.username)
    sent = len(mail.outbox)
    start(client, user.username)
    assert len(mail.outbox) == sent
    assert AuditEvent.objects.filter(action="password_reset.blocked").count() == 1


def test_foreign_host_header_is_refused_and_sends_nothing(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    response = client.post(
        "/password/reset/", {"username": user.username}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400
    assert mail.outbox == []


def test_weak_new_password_is_refused_with_the_reason(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    verify(client, last_mail_code())
    response = new_password(client, "password")
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert authenticate(None, username=user.username, password=PASSWORD)


def test_signin_page_links_to_the_reset(client):
    assert 'href="/password/reset/"' in client.get("/signin/").content.decode()


def test_a_code_passes_once_even_when_two_requests_hold_the_same_flow(client, tenant):
    # Two requests that loaded the session before either saved it hold the same
    # flow state; the shared cache lets only the first of them pass the gate.
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    twin = Client()
    twin.get("/signin/")  # a session of its own
    session = twin.session
    session[reset.SESSION_KEY] = client.session[reset.SESSION_KEY]
    session.save()
    assert verify(client, code).url == "/password/reset/new/"
    assert verify(twin, code).status_code == 200  # refused


def test_organization_can_require_two_gates_for_users(client, tenant):
    tenant.reset_gates_for_users = 2
    tenant.save()
    one_method = make_user(tenant)
    make_alt_email(one_method, "one@example.org")
    # With one method the account looks like any other, and no code goes out.
    start(client, one_method.username)
    assert mail.outbox == []

    two_methods = make_user(tenant)
    make_alt_email(two_methods, "two@example.org")
    make_phone(two_methods, "+31612345679")
    browser = Client()
    start(browser, two_methods.username)
    assert verify(browser, last_mail_code()).url == "/password/reset/next/"
    browser.post("/password/reset/next/", {"method": "phone"})
    assert verify(browser, last_sms_code()).url == "/password/reset/new/"
    assert new_password(browser).url == "/signin/"
    assert authenticate(None, username=two_methods.username, password=NEW_PASSWORD)


def test_one_gate_setting_never_lowers_the_two_gates_of_an_admin(client, tenant):
    assert tenant.reset_gates_for_users == 1
    admin = make_user(tenant, roles=[HELPDESK_ADMIN])
    make_alt_email(admin, "desk@example.org")
    make_phone(admin, "+31612345678")
    start(client, admin.username)
    assert verify(client, last_mail_code()).url == "/password/reset/next/"
    assert new_password(client).url == "/password/reset/"
