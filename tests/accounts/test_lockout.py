"""Sign-in throttling: per name and client, per client address, per account; the client address.

Every attempt is counted before its password or code is checked; a refused one
answers 429 with Retry-After and checks nothing.
"""

import ipaddress
import threading
import time

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticDevice
from hypothesis import example, given
from hypothesis import strategies as st

from accounts import lockout, signin
from accounts.models import AuditEvent
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import run_together

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain="org.example")]

WRONG = "Not-The-Password-1"
LOCKED = str(signin.LOCKED)
FAILED = str(signin.FAILED)
THROTTLED = "429"


def attempt(client, username, password=WRONG, **extra):
    """Post the sign-in form; return the form's error, THROTTLED, or None when it signed in."""
    response = client.post("/signin/", {"username": username, "password": password}, **extra)
    if response.status_code == 302:
        assert response["Location"] == "/"
        return None
    if response.status_code == 429:
        assert int(response["Retry-After"]) >= 1
        assert 'data-testid="throttled"' in response.content.decode()
        return THROTTLED
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    return errors[0]


def fail_until_locked(client, username, **extra):
    results = [attempt(client, username, **extra) for _ in range(5)]
    assert results == [FAILED] * 4 + [LOCKED]


def count(action):
    return AuditEvent.objects.filter(action=action).count()


@pytest.fixture
def no_password_checks(monkeypatch):
    """Fail the test if a password is checked (a throttled attempt must check nothing)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a throttled attempt checked a password")

    monkeypatch.setattr(signin, "authenticate", refuse)


def test_lockout_attempts_setting_is_five(settings):
    assert settings.PORTAL_LOCKOUT_ATTEMPTS == 5


def test_five_failures_lock_out_even_the_right_password(client, admin, monkeypatch):
    fail_until_locked(client, admin.username)
    monkeypatch.setattr(signin, "authenticate", lambda *a, **k: pytest.fail("checked"))

    response = client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    assert "Try again in" in response.content.decode()
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
    assert event.new_values == {"kind": lockout.PAIR}
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
    assert attempt(client, admin.username, PASSWORD) == THROTTLED

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

    assert attempt(client, "nobody@org.example") == THROTTLED
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
    assert attempt(client, "\uff41\uff44min@org.example", PASSWORD) == THROTTLED


@override_settings(PORTAL_TRUSTED_PROXIES=0)
def test_forged_forwarded_for_does_not_avoid_lockout_without_proxy(client, admin):
    results = [
        attempt(client, admin.username, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(1, 6)
    ]
    assert results == [FAILED] * 4 + [LOCKED]

    assert attempt(client, admin.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99") == THROTTLED


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
        == THROTTLED
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
    assert attempt(client, admin.username, PASSWORD) == THROTTLED


def test_second_step_is_refused_untried_once_name_and_address_are_locked(client, admin, rf):
    device = StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    for _ in range(5):  # e.g. password guesses from the same address meanwhile
        guess = lockout.SignInAttempt(rf.post("/signin/"), admin.username).reserve()
        guess.failed()

    response = client.post(
        "/signin/verify/", {"otp_device": device.persistent_id, "otp_token": "12345678"}
    )

    assert response.status_code == 429
    assert client.get("/").status_code == 302
    assert device.token_set.count() == 1  # the code was not even looked at
    assert client.get("/signin/verify/")["Location"] == "/signin/"  # the step has ended


def test_failures_past_the_limit_still_report_the_lockout(rf, admin):
    """An attempt reserved just before the lock began must hear "locked" when it fails."""
    request = rf.post("/signin/")
    late = lockout.SignInAttempt(request, admin.username).reserve()
    for _ in range(4):
        lockout.SignInAttempt(request, admin.username).reserve().failed()

    with pytest.raises(signin.SignInError) as error:
        signin._fail(request, late, admin.username, "signin.failure")

    assert error.value.message == signin.LOCKED


def test_a_throttled_attempt_checks_nothing_and_is_not_counted(client, admin, settings):
    fail_until_locked(client, admin.username)
    before = count("signin.failure")

    for _ in range(3):
        assert attempt(client, admin.username, PASSWORD) == THROTTLED

    assert count("signin.failure") == before  # refusals are no attempts
    assert count("signin.lockout") == 1  # one episode, one event


# --- bursts: counted before the check ------------------------------------------


def test_a_burst_of_reservations_lets_only_the_limit_through(rf):
    request = rf.post("/signin/")

    results = run_together(
        *[lambda: lockout.SignInAttempt(request, "someone@org.example").reserve()] * 12
    )

    through = [r for r in results if isinstance(r, lockout.SignInAttempt)]
    refused = [r for r in results if isinstance(r, lockout.Throttled)]
    assert len(through) == 5, results
    assert len(refused) == 7, results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel requests writing audit events need PostgreSQL",
)
def test_twelve_wrong_passwords_at_once_get_five_checks_and_the_right_one_is_refused(
    admin, monkeypatch
):
    checked = []
    answered = []
    release = threading.Event()
    real = signin.authenticate

    def held(request, **credentials):
        # Hold every password check until each request has been checked or refused.
        checked.append(credentials["username"])
        release.wait(timeout=300)
        return real(request, **credentials)

    monkeypatch.setattr(signin, "authenticate", held)

    def post():
        status = Client().post("/signin/", {"username": admin.username, "password": WRONG})
        answered.append(status.status_code)
        return status.status_code

    def release_when_settled():
        for _ in range(30000):  # a wait for the others (hang guard 300 s), not a measurement
            if len(checked) + len(answered) >= 12:
                break
            time.sleep(0.01)
        release.set()

    releaser = threading.Thread(target=release_when_settled)
    releaser.start()
    statuses = run_together(*[post] * 12)
    releaser.join()

    assert len(checked) == 5, statuses
    assert sorted(statuses) == [200] * 5 + [429] * 7
    monkeypatch.setattr(signin, "authenticate", real)
    assert attempt(Client(), admin.username, PASSWORD) == THROTTLED


# --- spraying: one address, many names -------------------------------------------


def test_one_address_spraying_one_password_over_many_names_meets_a_429(client, settings):
    settings.PORTAL_THROTTLE_ADDRESS_ATTEMPTS = 8
    tenant = make_tenant(domain="spray.example")
    people = [make_user(tenant, f"person{n}") for n in range(10)]

    results = [attempt(client, person.username, "Winter2026!") for person in people]

    assert results == [FAILED] * 7 + [LOCKED] + [THROTTLED] * 2
    # Even the right password of a new name from that address is not checked.
    assert attempt(client, make_user(tenant, "fresh").username, PASSWORD) == THROTTLED
    # Another address is not affected.
    assert attempt(client, people[9].username, PASSWORD, REMOTE_ADDR="198.51.100.7") is None
    [event] = AuditEvent.objects.filter(action="signin.lockout", new_values__kind="address")
    assert event.tenant is None  # a spray crosses organizations


# --- distributed guessing: one name, many addresses ------------------------------


@pytest.fixture
def smart(settings):
    settings.PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS = 3
    settings.PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS = 60
    settings.PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS = 600
    settings.PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES = 8
    return settings


def from_address(n):
    return {"REMOTE_ADDR": f"203.0.113.{n}"}


def test_one_name_guessed_from_many_addresses_waits_longer_each_time(client, admin, smart):
    results = [attempt(client, admin.username, **from_address(n)) for n in range(1, 6)]

    # Three free failures; the fourth tries at once and makes the next one wait.
    assert results == [FAILED] * 3 + [LOCKED, THROTTLED]
    response = client.post(
        "/signin/", {"username": admin.username, "password": PASSWORD}, **from_address(9)
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert count("signin.lockout") == 1
    assert AuditEvent.objects.get(action="signin.lockout").new_values == {"kind": "account"}


def test_account_delays_grow_and_are_capped():
    with override_settings(
        PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS=10,
        PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS=60,
        PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS=3600,
    ):
        delays = [lockout.account_delay(n) for n in range(9, 20)]
        assert lockout.account_delay(10**6) == 3600

    assert delays == [0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_the_owner_signs_in_from_a_familiar_address_while_others_wait(client, admin, smart):
    home = {"REMOTE_ADDR": "192.0.2.50"}
    assert attempt(client, admin.username, PASSWORD, **home) is None
    client.post("/signout/")
    for n in range(1, 5):
        attempt(client, admin.username, **from_address(n))
    assert attempt(client, admin.username, PASSWORD, **from_address(20)) == THROTTLED

    assert attempt(client, admin.username, PASSWORD, **home) is None


def test_an_account_stops_password_sign_in_at_its_failure_cap_until_a_reset(
    client, admin, smart, rf
):
    def wait_out_the_delay():
        # What time would do: the slot of the last attempt expires.
        from django.core.cache import cache

        cache.delete(lockout.SignInAttempt(rf.post("/"), admin.username).slot_key)

    results = []
    for n in range(1, 9):
        results.append(attempt(client, admin.username, **from_address(n)))
        wait_out_the_delay()
    assert results == [FAILED] * 3 + [LOCKED] * 5

    # The cap: refused from anywhere, even with the right password, even after waiting.
    response = client.post(
        "/signin/", {"username": admin.username, "password": PASSWORD}, **from_address(99)
    )
    assert response.status_code == 429
    assert "until the password is reset" in response.content.decode()
    locked = AuditEvent.objects.filter(action="signin.lockout", new_values__kind="account_locked")
    assert locked.count() == 1

    lockout.clear_all(admin.username)  # what a password reset does
    assert attempt(client, admin.username, PASSWORD, **from_address(99)) is None


def test_the_failure_cap_can_never_be_set_above_a_hundred():
    from tests.admin_portal.test_settings import _manage

    result = _manage("check", PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES="101")

    assert result.returncode != 0
    assert "between 1 and 100" in result.stderr


def test_a_blocked_account_is_told_so_only_after_the_right_password(client, admin):
    admin.is_sign_in_blocked = True
    admin.save(update_fields=["is_sign_in_blocked"])

    assert attempt(client, admin.username) == FAILED
    assert attempt(client, admin.username, PASSWORD) == str(signin.BLOCKED)
    assert count("signin.failure") == 2


def test_a_deleted_account_with_the_right_password_gets_the_generic_answer(client, admin):
    from django.utils import timezone

    admin.deleted_at = timezone.now()
    admin.save(update_fields=["deleted_at"])

    assert attempt(client, admin.username, PASSWORD) == FAILED


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
