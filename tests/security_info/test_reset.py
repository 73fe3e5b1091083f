"""Self-service password reset: gates, no enumeration, binding and limits."""

import copy
import re
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from security_info import reset, sms
from tests.factories import PASSWORD, make_user
from tests.helpers import (
    last_mail_code,
    last_sms_code,
    make_alt_email,
    make_app,
    make_phone,
    run_together,
    sign_in,
    totp_code,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-Passphrase-9"
EMAIL = "someone@example.org"


def start(client, username, method="email", to=EMAIL):
    """Enter the name, then choose the first gate's method and where its code goes."""
    response = client.post("/password/reset/", {"username": username})
    if response.status_code != 302:
        return response
    assert response.url == "/password/reset/method/"
    data = {"method": method}
    if method == "email":
        data["email"] = to
    elif method == "phone":
        data["phone"] = to
    return client.post("/password/reset/method/", data)


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

    assert start(client, user.username, to="Me@Example.org").url == "/password/reset/verify/"
    assert mail.outbox[-1].to == ["me@example.org"]
    page = client.get("/password/reset/verify/").content.decode()
    assert "M•••@example.org" in page  # where it went, from what was typed
    assert verify(client, last_mail_code()).url == "/password/reset/new/"
    assert new_password(client).url == "/signin/"

    assert authenticate(None, username=user.username, password=NEW_PASSWORD)
    assert other_browser.get("/account/").status_code == 302  # signed out
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"password_reset.start", "password_reset.gate_passed", "password.reset_self"} <= actions


def test_user_resets_by_text_message_to_the_number_typed_nationally(client, tenant):
    user = make_user(tenant)
    make_phone(user, "+31612345678")

    response = start(client, user.username, method="phone", to="06 12 34 56 78")

    assert response.url == "/password/reset/verify/"
    assert [m.to for m in sms.outbox] == ["+31612345678"]
    assert "••78" in client.get("/password/reset/verify/").content.decode()
    assert verify(client, last_sms_code()).url == "/password/reset/new/"


def test_user_resets_with_the_authenticator_app(client, tenant):
    user = make_user(tenant)
    device = make_app(user)

    assert start(client, user.username, method="app").url == "/password/reset/verify/"
    assert verify(client, totp_code(device)).url == "/password/reset/new/"


def test_a_destination_that_is_not_the_accounts_gets_nothing_and_passes_no_gate(client, tenant):
    user = make_user(tenant)
    make_alt_email(user, "me@example.org")
    make_phone(user, "+31612345678")

    start(client, user.username, to="someone-else@example.org")
    start(Client(), user.username, method="phone", to="+31 6 87654321")

    assert mail.outbox == [] and sms.outbox == []
    assert verify(client, "000000").status_code == 200
    events = AuditEvent.objects.filter(action="password_reset.start")
    assert sorted(event.new_values["method"] for event in events) == ["email", "phone"]
    assert not any(event.new_values["can_continue"] for event in events)


def test_admin_needs_two_different_gates_and_sees_hints_only_after_the_first(
    client, tenant, django_capture_on_commit_callbacks
):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    other_admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    make_alt_email(admin, "boss@example.org")
    make_phone(admin, "+31612345678")

    start(client, admin.username, to="boss@example.org")
    page = client.get("/password/reset/verify/").content.decode()
    assert "••78" not in page
    assert verify(client, last_mail_code()).url == "/password/reset/next/"
    # One gate is not enough.
    assert new_password(client).url == "/password/reset/"
    hints = client.get("/password/reset/next/").content.decode()
    assert "+31 6 ••••••78" in hints
    assert "boss@example.org" not in hints  # the used method is not offered again
    client.post("/password/reset/next/", {"method": "phone"})
    assert "+31 6 ••••••78" in client.get("/password/reset/verify/").content.decode()
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
    start(client, admin.username, to="boss@example.org")
    verify(client, last_mail_code())
    client.post("/password/reset/next/", {"method": "app"})
    assert verify(client, totp_code(device)).url == "/password/reset/new/"


def test_admin_with_one_method_passes_the_gate_and_learns_who_can_help(client, tenant):
    make_user(tenant, roles=[GLOBAL_ADMIN], display_name="Gina Global")
    admin = make_user(tenant, roles=[HELPDESK_ADMIN])
    device = make_app(admin)

    start(client, admin.username, method="app")
    response = verify(client, totp_code(device))

    # The right app code is right: the account simply has too few methods.
    assert response.url == "/password/reset/next/"
    page = client.get("/password/reset/next/").content.decode()
    assert 'data-testid="too-few-methods"' in page
    assert "Gina Global" in page
    assert new_password(client).url == "/password/reset/"


@pytest.mark.parametrize(
    "case", ["unknown", "admin_with_one_method", "no_methods", "blocked", "other_address"]
)
def test_accounts_that_cannot_be_reset_look_exactly_like_one_that_can(client, tenant, case):
    real = make_user(tenant)
    make_alt_email(real, EMAIL)
    if case == "unknown":
        name = f"nobody@{tenant.domain_set.get().name}"
    elif case == "admin_with_one_method":
        admin = make_user(tenant, roles=[GLOBAL_ADMIN])
        make_alt_email(admin, "solo@example.org")
        name = admin.username
    elif case == "no_methods":
        name = make_user(tenant).username
    elif case == "blocked":
        blocked = make_user(tenant, is_sign_in_blocked=True)
        make_alt_email(blocked, EMAIL)
        name = blocked.username
    else:
        elsewhere = make_user(tenant)
        make_alt_email(elsewhere, "elsewhere@example.org")
        name = elsewhere.username

    other = Client()
    first, second = start(client, real.username), start(other, name)
    assert (first.status_code, first.url) == (second.status_code, second.url)
    mine = _page(client.get("/password/reset/verify/")).replace(real.username, "NAME")
    theirs = _page(other.get("/password/reset/verify/")).replace(name, "NAME")
    assert mine == theirs
    assert len(mail.outbox) == 1  # only the real account got a code
    # No code ever passes the first gate of an account that cannot be reset with it.
    assert verify(other, "000000").status_code == 200
    assert new_password(other).url == "/password/reset/"


def test_the_name_and_method_steps_do_the_same_work_for_any_name(client, tenant):
    """No timing oracle: the requests never look the name up; a background job does."""
    real = make_user(tenant)
    make_alt_email(real, EMAIL)
    names = [real.username, f"nobody@{tenant.domain_set.get().name}"]

    traces = []
    with mock.patch("core.jobs.enqueue") as enqueue:
        for name in names:
            browser = Client()
            browser.get("/password/reset/")
            with CaptureQueriesContext(connection) as queries:
                start(browser, name)
            # The statements, without their values (session keys differ).
            traces.append(
                [re.sub(r"'[^']*'|\"s\d+_x\d+\"", "?", q["sql"]) for q in queries.captured_queries]
            )

    assert traces[0] == traces[1]
    assert not any("accounts_user" in sql for sql in traces[0])
    assert [call.args[0].name for call in enqueue.call_args_list] == [
        "security_info.tasks.send_password_reset_code"
    ] * 2
    assert mail.outbox == []


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


def _a_wrong(code):
    return "999999" if code != "999999" else "888888"


def test_five_wrong_codes_end_the_flow(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    for _ in range(reset.MAX_WRONG_CODES - 1):
        response = verify(client, _a_wrong(code))
        assert response.status_code == 200
        assert "not right" in response.content.decode()
    response = verify(client, _a_wrong(code))
    assert response.url == "/password/reset/"
    assert verify(client, code).url == "/password/reset/"  # the flow is gone


def test_wrong_codes_are_counted_in_the_shared_cache_not_the_session(client, tenant):
    """Requests that share a stale session still share one count (the session is no lock)."""
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    twins = []
    for _ in range(reset.MAX_WRONG_CODES):
        twin = Client()
        twin.get("/signin/")
        session = twin.session
        session[reset.SESSION_KEY] = client.session[reset.SESSION_KEY]
        session.save()
        twins.append(twin)

    for twin in twins:
        verify(twin, _a_wrong(code))

    assert verify(client, code).url == "/password/reset/"  # five wrong codes ended it


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel requests writing audit events need PostgreSQL",
)
def test_ten_wrong_codes_at_once_get_no_more_checks_than_the_limit(tenant, monkeypatch):
    user = make_user(tenant)
    make_alt_email(user)
    browser = Client()
    start(browser, user.username)
    code = last_mail_code()
    session_cookie = browser.cookies["portal_session"].value
    checked = []
    real_compare = reset.hmac.compare_digest

    def counted_compare(a, b):
        checked.append(1)
        return real_compare(a, b)

    monkeypatch.setattr(reset.hmac, "compare_digest", counted_compare)

    def guess():
        twin = Client()
        twin.cookies["portal_session"] = session_cookie
        return verify(twin, _a_wrong(code)).status_code

    run_together(*[guess] * 10)

    assert len(checked) <= reset.MAX_WRONG_CODES
    # The right code afterwards no longer opens the new-password page.
    assert verify(browser, code).url == "/password/reset/"


def test_guesses_past_the_limit_answer_429_untried(client, tenant, monkeypatch):
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    state = reset.cache.get(reset._state_key(client.session[reset.SESSION_KEY]))
    # As if five guesses of a burst were under way in other requests.
    for _ in range(reset.MAX_WRONG_CODES):
        reset.count(reset._wrong_key(state), reset.FLOW_SECONDS)
    monkeypatch.setattr(reset.hmac, "compare_digest", lambda *a: pytest.fail("checked"))

    response = verify(client, code)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_sixth_attempt_in_a_day_is_blocked_and_logged(client, tenant):
    user = make_user(tenant)
    make_alt_email(user)
    for _ in range(reset.MAX_ATTEMPTS):
        start(Client(), user.username)
    sent = len(mail.outbox)
    start(client, user.username)
    assert len(mail.outbox) == sent
    assert AuditEvent.objects.filter(action="password_reset.blocked").count() == 1


def test_one_address_asking_for_codes_too_often_meets_a_429(client, tenant, settings):
    settings.PORTAL_RESET_ADDRESS_ATTEMPTS = 3
    people = [make_user(tenant) for _ in range(4)]
    for person in people:
        make_alt_email(person, f"{person.pk}@example.org")

    statuses = [
        start(Client(), person.username, to=f"{person.pk}@example.org").status_code
        for person in people
    ]

    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    [event] = AuditEvent.objects.filter(action="password_reset.throttled")
    assert event.tenant is None and event.ip_address == "127.0.0.1"
    other_address = Client(REMOTE_ADDR="198.51.100.4")
    assert start(other_address, people[3].username, to=f"{people[3].pk}@example.org").url == (
        "/password/reset/verify/"
    )


def test_method_step_needs_a_destination_and_says_so_at_the_field(client, tenant):
    client.post("/password/reset/", {"username": "anna@example.org"})

    for data, field, message in [
        ({}, "method", "Choose how to get a code."),
        ({"method": "email"}, "email", "Enter your alternate email address."),
        ({"method": "email", "email": "anna"}, "email", "Enter the whole address"),
        ({"method": "phone"}, "phone", "Enter your mobile phone number."),
        ({"method": "phone", "phone": "0612"}, "phone", "Enter the whole number"),
        ({"method": "fax"}, "method", "Select a valid choice."),
    ]:
        response = client.post("/password/reset/method/", data)
        assert response.status_code == 200
        assert message in str(response.context["form"].errors[field])


def test_method_step_without_a_flow_goes_back_to_the_start(client):
    assert client.get("/password/reset/method/").url == "/password/reset/"
    assert client.post("/password/reset/method/", {"method": "app"}).url == "/password/reset/"


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


def test_a_code_passes_once_even_when_two_requests_loaded_the_flow_at_once(
    client, tenant, monkeypatch
):
    # Two requests that read the flow before either saved it hold the same state;
    # the shared cache lets only the first of them pass the gate.
    user = make_user(tenant)
    make_alt_email(user)
    start(client, user.username)
    code = last_mail_code()
    request = RequestFactory().post("/password/reset/verify/")
    request.session = client.session
    stale = reset.flow(request)
    monkeypatch.setattr(reset, "flow", lambda _request: copy.deepcopy(stale))

    assert reset.check(request, code=code) == reset.CheckResult.DONE
    assert reset.check(request, code=code) == reset.CheckResult.WRONG


def test_organization_can_require_two_gates_for_users(client, tenant):
    tenant.reset_gates_for_users = 2
    tenant.save()
    one_method = make_user(tenant)
    make_alt_email(one_method, "one@example.org")
    # With one method the first gate works, then the person is told to ask for help.
    start(client, one_method.username, to="one@example.org")
    assert verify(client, last_mail_code()).url == "/password/reset/next/"
    assert "too-few-methods" in client.get("/password/reset/next/").content.decode()

    two_methods = make_user(tenant)
    make_alt_email(two_methods, "two@example.org")
    make_phone(two_methods, "+31612345679")
    browser = Client()
    start(browser, two_methods.username, to="two@example.org")
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
    start(client, admin.username, to="desk@example.org")
    assert verify(client, last_mail_code()).url == "/password/reset/next/"
    assert new_password(client).url == "/password/reset/"


def test_second_gate_choice_must_be_one_offered(client, tenant):
    admin = make_user(tenant, roles=[HELPDESK_ADMIN])
    make_alt_email(admin, "desk@example.org")
    make_phone(admin, "+31612345678")
    start(client, admin.username, to="desk@example.org")
    verify(client, last_mail_code())

    for choice in ({"method": "email"}, {"method": "nonsense"}, {}):
        response = client.post("/password/reset/next/", choice, follow=True)
        assert "Choose one of the methods." in response.content.decode()
