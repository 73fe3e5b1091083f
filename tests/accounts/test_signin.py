"""Sign-in at /signin/: the password step, the second step, failures and redirects."""

import re
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from hypothesis import example, given
from hypothesis import strategies as st

from accounts import signin
from accounts.models import AuditEvent, Tenant, normalize_domain
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_operator, make_tenant, make_user

pytestmark = pytest.mark.django_db

SESSION_COOKIE = settings.SESSION_COOKIE_NAME
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def make_admin(tenant=None, local=None, **fields):
    fields.setdefault("display_name", "Ada Admin")
    return make_user(tenant or make_tenant(), local, roles=[GLOBAL_ADMIN], **fields)


def make_member(tenant=None, local=None, **fields):
    fields.setdefault("display_name", "Mia Member")
    return make_user(tenant or make_tenant(), local, **fields)


def post_signin(client, username, password=PASSWORD, **data):
    return client.post("/signin/", {"username": username, "password": password, **data})


def is_signed_in(client):
    """Return whether the client's session opens the admin center."""
    response = client.get("/")
    return not (response.status_code == 302 and response["Location"].startswith("/signin/"))


def events(action):
    return AuditEvent.objects.filter(action=action)


# --- Good credentials -------------------------------------------------------


def test_admin_signs_in_and_lands_on_home(client):
    admin = make_admin()

    response = post_signin(client, admin.username)

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user == admin


def test_user_without_role_lands_on_my_account_through_home(client):
    member = make_member()

    response = post_signin(client, member.username)

    assert response.status_code == 302
    assert response["Location"] == "/"
    landing = client.get("/")
    assert landing.status_code == 302
    assert landing["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_operator_lands_on_operators_site(client):
    operator = make_operator()

    response = post_signin(client, operator.username)

    assert response.status_code == 302
    assert response["Location"] == "/operators/"


def test_sign_in_gives_a_new_session_key(client):
    admin = make_admin()
    session = client.session  # an anonymous session, as a fixation attacker would plant
    session["planted"] = True
    session.save()
    before = client.cookies[SESSION_COOKIE].value

    post_signin(client, admin.username)

    after = client.cookies[SESSION_COOKIE].value
    assert after != before
    assert not SessionStore().exists(before)
    assert is_signed_in(client)


def test_successful_sign_in_is_audited_with_ip_and_user_agent(client):
    admin = make_admin()

    client.post(
        "/signin/",
        {"username": admin.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        headers={"user-agent": "TestBrowser/1.0"},
    )

    event = events("signin.success").get()
    assert event.actor == admin
    assert event.tenant == admin.tenant
    assert event.target_id == str(admin.pk)
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == "TestBrowser/1.0"
    assert event.new_values == {"second_factor": False}


@pytest.mark.parametrize(
    "typed",
    ["ADMIN@Org.example", "  Admin@ORG.EXAMPLE  ", "\uff41dmin@org.example"],
    ids=["upper", "padded", "full-width"],
)
def test_sign_in_name_is_case_insensitive(client, typed):
    tenant = make_tenant(domain="org.example")
    admin = make_admin(tenant, "admin")

    response = post_signin(client, typed)

    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == admin


def test_signed_in_user_opening_signin_page_goes_to_landing(client):
    admin = make_admin()
    post_signin(client, admin.username)

    response = client.get("/signin/")

    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Failures all look the same --------------------------------------------


def _wrong_password(client):
    return make_admin().username, "Not-The-Password-1"


def _unknown_user(client):
    make_tenant(domain="known.example")
    return "nobody@known.example", PASSWORD


def _blocked_user_wrong_password(client):
    # Only the right password of a blocked account hears that it is blocked.
    return make_admin(is_sign_in_blocked=True).username, "Not-The-Password-1"


def _deleted_user(client):
    return make_admin(deleted_at=timezone.now()).username, PASSWORD


def _suspended_tenant(client):
    return make_admin(make_tenant(status=Tenant.Status.SUSPENDED)).username, PASSWORD


def _inactive_user(client):
    return make_admin(is_active=False).username, PASSWORD


FAILURES = {
    "wrong-password": _wrong_password,
    "unknown-user": _unknown_user,
    "blocked-user-wrong-password": _blocked_user_wrong_password,
    "deleted-user": _deleted_user,
    "suspended-tenant": _suspended_tenant,
    "inactive-user": _inactive_user,
}


@pytest.mark.parametrize("case", FAILURES)
def test_refused_sign_in_shows_generic_error_and_is_audited(client, case):
    username, password = FAILURES[case](client)

    response = post_signin(client, username, password)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(signin.FAILED)]
    assert escape(str(signin.FAILED)) in response.content.decode()
    assert not is_signed_in(client)
    event = events("signin.failure").get()
    assert event.target_label == username
    assert event.ip_address == "127.0.0.1"
    assert not events("signin.success").exists()


def _normalized_page(response, username):
    """Return the page with what legitimately differs (typed name, CSRF token) masked."""
    html = response.content.decode()
    html = html.replace(escape(username), "USERNAME")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)


def test_refused_sign_ins_are_indistinguishable(client):
    pages = {}
    for case, make_case in FAILURES.items():
        username, password = make_case(client)
        response = post_signin(client, username, password)
        pages[case] = (response.status_code, _normalized_page(response, username))

    reference = pages["wrong-password"]
    assert reference[0] == 200
    for case, page in pages.items():
        assert page == reference, f"{case} differs from a wrong password"


def test_a_blocked_account_with_the_right_password_is_told_it_is_blocked(client):
    admin = make_admin(is_sign_in_blocked=True)

    response = post_signin(client, admin.username, PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(signin.BLOCKED)]
    assert not is_signed_in(client)
    assert events("signin.failure").get().target_id == str(admin.pk)


def test_failure_of_a_known_user_is_audited_in_their_tenant(client):
    admin = make_admin()

    post_signin(client, admin.username, "Not-The-Password-1")

    event = events("signin.failure").get()
    assert event.tenant == admin.tenant
    assert event.target_id == str(admin.pk)
    assert event.actor is None


def test_failure_of_an_unknown_name_is_audited_without_tenant(client):
    post_signin(client, "ghost@nowhere.example", "whatever-password")

    event = events("signin.failure").get()
    assert event.tenant is None
    assert event.target_id == ""
    assert event.target_label == "ghost@nowhere.example"


# --- Redirect after sign-in -------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/audit/",
        "/\\evil.example/",
        "javascript:alert(1)",
    ],
)
def test_sign_in_ignores_next_url_to_another_host(client, next_url):
    admin = make_admin()

    response = post_signin(client, admin.username, next=next_url)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_follows_next_url_on_this_site(client):
    admin = make_admin()

    response = post_signin(client, admin.username, next="/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200


# --- Second factor ----------------------------------------------------------

TOKEN = "12345678"


@pytest.fixture
def mfa_user():
    user = make_admin()
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    device.token_set.create(token=TOKEN)
    return SimpleNamespace(user=user, device=device)


def post_code(client, device, token, url="/signin/verify/"):
    return client.post(url, {"otp_device": device.persistent_id, "otp_token": token})


def test_password_step_of_user_with_device_asks_for_code(client, mfa_user):
    response = post_signin(client, mfa_user.user.username)

    assert response.status_code == 302
    assert response["Location"] == "/signin/verify/"
    assert not is_signed_in(client)
    assert not events("signin.success").exists()
    page = client.get("/signin/verify/")
    assert page.status_code == 200
    assert mfa_user.user.username in page.content.decode()


def test_unconfirmed_device_is_not_asked_for(client):
    user = make_admin()
    StaticDevice.objects.create(user=user, name="half-enrolled", confirmed=False)

    response = post_signin(client, user.username)

    assert response["Location"] == "/"
    assert is_signed_in(client)


def test_wrong_code_shows_error_and_is_audited(client, mfa_user):
    post_signin(client, mfa_user.user.username)

    response = post_code(client, mfa_user.device, "87654321")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="error-summary"' in response.content.decode()
    event = events("signin.mfa_failure").get()
    assert event.target_id == str(mfa_user.user.pk)
    assert not is_signed_in(client)


def test_right_code_signs_in_with_verified_device(client, mfa_user):
    post_signin(client, mfa_user.user.username)

    response = post_code(client, mfa_user.device, TOKEN)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[DEVICE_ID_SESSION_KEY] == mfa_user.device.persistent_id
    home = client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user == mfa_user.user
    assert home.wsgi_request.user.is_verified()
    assert events("signin.success").get().new_values == {"second_factor": True}


def test_right_code_after_wrong_code_signs_in(client, mfa_user, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # django-otp's own delay is tested there
    post_signin(client, mfa_user.user.username)
    post_code(client, mfa_user.device, "87654321")

    response = post_code(client, mfa_user.device, TOKEN)

    assert response["Location"] == "/"
    assert client.get("/").wsgi_request.user.is_verified()


def test_second_step_changes_session_key_again(client, mfa_user):
    post_signin(client, mfa_user.user.username)
    pending_key = client.cookies[SESSION_COOKIE].value

    post_code(client, mfa_user.device, TOKEN)

    assert client.cookies[SESSION_COOKIE].value != pending_key
    assert not SessionStore().exists(pending_key)


def test_backup_code_cannot_be_used_twice(client, mfa_user, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    post_signin(client, mfa_user.user.username)
    post_code(client, mfa_user.device, TOKEN)
    client.post("/signout/")

    post_signin(client, mfa_user.user.username)
    response = post_code(client, mfa_user.device, TOKEN)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not is_signed_in(client)
    assert not mfa_user.device.token_set.exists()


def test_verify_without_password_step_redirects_to_signin(client, mfa_user):
    response = client.get("/signin/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/"

    response = post_code(client, mfa_user.device, TOKEN)
    assert response["Location"] == "/signin/"
    assert mfa_user.device.token_set.count() == 1


def test_pending_second_step_expires(client, mfa_user, monkeypatch):
    post_signin(client, mfa_user.user.username)
    later = signin.time.time() + signin.PENDING_SECONDS + 1
    monkeypatch.setattr(signin, "time", SimpleNamespace(time=lambda: later))

    response = post_code(client, mfa_user.device, TOKEN)

    assert response.status_code == 302
    assert response["Location"] == "/signin/"
    assert not is_signed_in(client)
    assert mfa_user.device.token_set.count() == 1


def test_pending_second_step_ends_when_user_is_blocked(client, mfa_user):
    post_signin(client, mfa_user.user.username)
    type(mfa_user.user).objects.filter(pk=mfa_user.user.pk).update(is_sign_in_blocked=True)

    response = post_code(client, mfa_user.device, TOKEN)

    assert response["Location"] == "/signin/"
    assert not is_signed_in(client)


def test_next_url_survives_second_step(client, mfa_user):
    response = post_signin(client, mfa_user.user.username, next="/audit/")
    verify_url = response["Location"]
    assert verify_url == "/signin/verify/?next=%2Faudit%2F"

    response = post_code(client, mfa_user.device, TOKEN, url=verify_url)

    assert response["Location"] == "/audit/"


def test_second_step_ignores_next_url_to_another_host(client, mfa_user):
    response = post_signin(client, mfa_user.user.username, next="https://evil.example/")

    response = post_code(client, mfa_user.device, TOKEN, url=response["Location"])

    assert response["Location"] == "/"


# --- Domain names (sign-in names end in one) --------------------------------


def _assert_normalized_domain(text):
    try:
        name = normalize_domain(text)
    except ValidationError:
        return
    assert name.isascii()
    assert name == name.lower()
    assert normalize_domain(name) == name


@given(st.text())
def test_normalize_domain_rejects_or_returns_idempotent_ascii(text):
    _assert_normalized_domain(text)


@given(st.text(alphabet="ab1.\u3002\uff0e\uff61", max_size=12))
@example("contoso.example\u3002")
@example("contoso\u3002")
def test_normalize_domain_with_unicode_full_stops(text):
    _assert_normalized_domain(text)
