"""Sign-in lockout: failures per sign-in name and client address, and the client address."""

import ipaddress

import pytest
from django.http import HttpRequest
from django.test import override_settings
from django_otp.plugins.otp_static.models import StaticDevice
from hypothesis import example, given
from hypothesis import strategies as st

from accounts import lockout, signin
from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = pytest.mark.django_db

WRONG = "Not-The-Password-1"
LOCKED = str(signin.LOCKED)
FAILED = str(signin.FAILED)


@pytest.fixture
def admin():
    tenant = make_tenant(domain="org.example")
    return make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Ada Admin")


def attempt(client, username, password=WRONG, **extra):
    """Post the sign-in form; return the form's error, or None when it signed in."""
    response = client.post("/signin/", {"username": username, "password": password}, **extra)
    if response.status_code == 302:
        assert response["Location"] == "/"
        return None
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    return errors[0]


def fail_until_locked(client, username, **extra):
    results = [attempt(client, username, **extra) for _ in range(5)]
    assert results == [FAILED] * 4 + [LOCKED]


def count(action):
    return AuditEvent.objects.filter(action=action).count()


def test_lockout_attempts_setting_is_five(settings):
    assert settings.PORTAL_LOCKOUT_ATTEMPTS == 5


def test_five_failures_lock_out_even_the_right_password(client, admin):
    fail_until_locked(client, admin.username)

    assert attempt(client, admin.username, PASSWORD) == LOCKED
    assert client.get("/").status_code == 302
    assert count("signin.success") == 0


def test_lockout_is_audited_once(client, admin):
    fail_until_locked(client, admin.username)
    attempt(client, admin.username)
    attempt(client, admin.username, PASSWORD)

    assert count("signin.lockout") == 1
    event = AuditEvent.objects.get(action="signin.lockout")
    assert event.tenant == admin.tenant
    assert event.target_id == str(admin.pk)
    assert event.ip_address == "127.0.0.1"
    assert count("signin.failure") == 5


def test_lockout_does_not_lock_the_name_from_another_address(client, admin):
    fail_until_locked(client, admin.username, REMOTE_ADDR="198.51.100.1")

    assert attempt(client, admin.username, PASSWORD, REMOTE_ADDR="198.51.100.2") is None


def test_lockout_does_not_lock_another_name_from_the_same_address(client, admin):
    other = make_user(admin.tenant, "other", display_name="Otto Other")
    fail_until_locked(client, admin.username)

    assert attempt(client, other.username, PASSWORD) is None


def test_lockout_expires(client, admin, end_cache_windows):
    fail_until_locked(client, admin.username)
    assert attempt(client, admin.username, PASSWORD) == LOCKED

    end_cache_windows()  # PORTAL_LOCKOUT_SECONDS pass

    assert attempt(client, admin.username, PASSWORD) is None


def test_successful_sign_in_resets_the_failure_count(client, admin):
    for _ in range(4):
        assert attempt(client, admin.username) == FAILED
    assert attempt(client, admin.username, PASSWORD) is None
    client.post("/signout/")

    for _ in range(4):
        assert attempt(client, admin.username) == FAILED
    assert attempt(client, admin.username, PASSWORD) is None


def test_unknown_names_lock_the_same_way(client):
    fail_until_locked(client, "nobody@org.example")

    assert attempt(client, "nobody@org.example") == LOCKED
    assert count("signin.lockout") == 1
    assert count("signin.failure") == 5


def test_spellings_of_one_name_share_one_lock(client, admin):
    spellings = [
        "admin@org.example",
        "ADMIN@org.example",
        "Admin@Org.Example",
        " admin@org.example ",
        "\uff41dmin@org.example",  # full-width "a": signs in as admin@org.example
    ]
    results = [attempt(client, name) for name in spellings]

    assert results == [FAILED] * 4 + [LOCKED]
    assert attempt(client, "\uff41\uff44min@org.example", PASSWORD) == LOCKED


@override_settings(PORTAL_TRUSTED_PROXIES=0)
def test_forged_forwarded_for_does_not_avoid_lockout_without_proxy(client, admin):
    results = [
        attempt(client, admin.username, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(1, 6)
    ]
    assert results == [FAILED] * 4 + [LOCKED]

    assert attempt(client, admin.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99") == LOCKED


@override_settings(PORTAL_TRUSTED_PROXIES=1)
def test_only_rightmost_forwarded_entry_counts_behind_one_proxy(client, admin):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    results = [
        attempt(
            client,
            admin.username,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.{n}, 203.0.113.9",
            **proxy,
        )
        for n in range(1, 6)
    ]
    assert results == [FAILED] * 4 + [LOCKED]
    assert (
        attempt(
            client, admin.username, PASSWORD, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9", **proxy
        )
        == LOCKED
    )
    assert AuditEvent.objects.filter(action="signin.lockout").get().ip_address == "203.0.113.9"

    # Another client behind the same proxy is not locked out.
    assert (
        attempt(client, admin.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy)
        is None
    )


@override_settings(PORTAL_TRUSTED_PROXIES=1)
def test_scoped_forwarded_address_is_audited_without_zone(client, admin):
    attempt(client, admin.username, HTTP_X_FORWARDED_FOR="fe80::1%eth0")

    assert AuditEvent.objects.get(action="signin.failure").ip_address == "fe80::1"


def test_failed_second_steps_lock_out_too(client, admin, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # count our lockout, not django-otp's delay
    device = StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    code = {"otp_device": device.persistent_id, "otp_token": "00000000"}

    for _ in range(4):
        assert client.post("/signin/verify/", code).status_code == 200
    response = client.post("/signin/verify/", code, follow=True)

    assert response.redirect_chain == [("/signin/", 302)]
    assert LOCKED in [str(m) for m in response.context["messages"]]
    assert count("signin.mfa_failure") == 5
    assert count("signin.lockout") == 1
    assert attempt(client, admin.username, PASSWORD) == LOCKED


def test_second_step_is_refused_once_name_and_address_are_locked(client, admin):
    device = StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    for _ in range(5):  # e.g. password guesses from the same address meanwhile
        lockout.record_failure(admin.username, "127.0.0.1")

    response = client.post(
        "/signin/verify/", {"otp_device": device.persistent_id, "otp_token": "12345678"}
    )

    assert response["Location"] == "/signin/"
    assert client.get("/").status_code == 302
    assert device.token_set.count() == 1


def test_failures_past_the_limit_still_report_the_lockout(rf, admin):
    """Parallel requests can each pass the lock check; all of them must hear "locked"."""
    for _ in range(5):
        lockout.record_failure(admin.username, "127.0.0.1")
    request = rf.post("/signin/")

    with pytest.raises(signin.SignInError) as error:
        signin._fail(request, admin.username, "signin.failure")

    assert error.value.message == signin.LOCKED
    assert count("signin.lockout") == 0  # audited when the limit was reached, not again


# --- client_ip ----------------------------------------------------------------

header_text = st.one_of(
    st.text(),
    st.ip_addresses().map(str),
    st.lists(st.one_of(st.ip_addresses().map(str), st.text(max_size=12)), max_size=5).map(
        ", ".join
    ),
)


def request_with(remote, forwarded):
    request = HttpRequest()
    if remote is not None:
        request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def assert_valid_ip(value):
    assert value is None or (
        isinstance(value, str) and str(ipaddress.ip_address(value)) == value and "%" not in value
    )


@given(
    remote=st.none() | header_text,
    forwarded=st.none() | header_text,
    hops=st.integers(min_value=0, max_value=4),
)
@example(remote="fe80::1%eth0", forwarded=None, hops=0)
@example(remote="10.0.0.1", forwarded="::1%\x00", hops=1)
@example(remote="10.0.0.1", forwarded=" , ,,", hops=1)
def test_client_ip_returns_none_or_an_address(remote, forwarded, hops):
    with override_settings(PORTAL_TRUSTED_PROXIES=hops):
        assert_valid_ip(lockout.client_ip(request_with(remote, forwarded)))


@given(remote=st.none() | header_text, forwarded=header_text)
def test_client_ip_ignores_forwarded_for_without_trusted_proxies(remote, forwarded):
    with override_settings(PORTAL_TRUSTED_PROXIES=0):
        assert lockout.client_ip(request_with(remote, forwarded)) == lockout.client_ip(
            request_with(remote, None)
        )


@given(
    forged=st.lists(header_text, max_size=4),
    client=st.ip_addresses(),
    proxy=st.ip_addresses(),
)
def test_client_ip_takes_the_address_the_trusted_proxy_appended(forged, client, proxy):
    forwarded = ", ".join([*forged, str(client)])
    with override_settings(PORTAL_TRUSTED_PROXIES=1):
        ip = lockout.client_ip(request_with(str(proxy), forwarded))
    expected = client.ipv4_mapped if client.version == 6 and client.ipv4_mapped else client
    assert ip == str(expected)


def test_client_ip_reports_ipv4_mapped_address_as_ipv4():
    assert lockout.client_ip(request_with("::ffff:192.0.2.1", None)) == "192.0.2.1"
