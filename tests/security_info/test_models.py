"""The code rules of the security info methods: expiry, single use, wrong codes, backup codes."""

from datetime import timedelta

import pytest
from django_otp import devices_for_user, user_has_device

from security_info import sms
from security_info.models import (
    CODE_VALID_SECONDS,
    MAX_WRONG_CODES,
    BackupCode,
    BackupCodeDevice,
    CodeCheck,
)
from tests.factories import make_tenant, make_user
from tests.helpers import Clock, make_alt_email, make_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock.install(monkeypatch)


@pytest.fixture
def user():
    return make_user(make_tenant())


@pytest.fixture
def phone(user):
    return make_phone(user, confirmed=False)


def _without_back_off(device):
    """Move the last wrong code far back, so django-otp's back-off lets the next try in.

    The back-off (1, 2, 4, 8 s) is tested on its own; here it would only hide the counts.
    """
    if device.throttling_failure_timestamp is not None:
        device.throttling_failure_timestamp -= timedelta(hours=1)
    return device


def _wrong(device, times=1):
    results = []
    for _ in range(times):
        results.append(_without_back_off(device).check_code("000000"))
    return results


def _right(device):
    return _without_back_off(device).check_code(device.token)


# --- Expiry and single use ----------------------------------------------------


def test_issued_code_is_six_digits_valid_for_ten_minutes(phone, clock):
    code = phone.issue_code()

    phone.refresh_from_db()
    assert len(code) == 6 and code.isdigit()
    assert phone.token == code
    assert phone.valid_until == clock.now + timedelta(seconds=CODE_VALID_SECONDS)
    assert CODE_VALID_SECONDS == 10 * 60


def test_code_is_accepted_at_nine_minutes_fifty_nine(phone, clock):
    code = phone.issue_code()
    clock.advance(minutes=9, seconds=59)

    assert phone.check_code(code) == CodeCheck.OK


def test_code_is_refused_as_expired_at_ten_minutes_one(phone, clock):
    code = phone.issue_code()
    clock.advance(minutes=10, seconds=1)

    assert phone.check_code(code) == CodeCheck.EXPIRED
    phone.refresh_from_db()
    assert phone.token is None  # an expired code is gone, not tried again
    assert phone.wrong_codes == 0  # and it was no guess


def test_code_works_only_once(phone, clock):
    code = phone.issue_code()

    assert phone.check_code(code) == CodeCheck.OK
    clock.advance(seconds=30)
    assert phone.check_code(code) == CodeCheck.WRONG


def test_used_code_is_gone_from_the_database(phone):
    code = phone.issue_code()
    phone.check_code(code)

    phone.refresh_from_db()
    assert phone.token is None
    assert phone.last_used_at is not None


def test_spaces_in_a_typed_code_are_ignored(phone):
    code = phone.issue_code()

    assert phone.check_code(f" {code[:3]} {code[3:]} ") == CodeCheck.OK


def test_phone_code_does_not_verify_the_email(user, phone):
    email = make_alt_email(user, confirmed=False)
    email.issue_code()
    phone_code = phone.issue_code()
    if phone_code == email.token:  # one in a million: make them differ
        phone_code = phone.issue_code()

    assert email.check_code(phone_code) == CodeCheck.WRONG
    assert phone.check_code(phone_code) == CodeCheck.OK


def test_code_of_one_phone_does_not_verify_another_phone(user, phone):
    other = make_phone(make_user(user.tenant), confirmed=False)
    other.issue_code()
    code = phone.issue_code()
    if code == other.token:
        code = phone.issue_code()

    assert other.check_code(code) == CodeCheck.WRONG


def test_check_without_any_code_issued_is_wrong(phone):
    assert _without_back_off(phone).check_code("123456") == CodeCheck.WRONG
    assert _without_back_off(phone).check_code("") == CodeCheck.WRONG
    assert _without_back_off(phone).check_code(None) == CodeCheck.WRONG


# --- Wrong codes ----------------------------------------------------------------


def test_five_wrong_codes_block_even_the_right_code(phone, clock):
    phone.issue_code()
    code = phone.token

    assert _wrong(phone, MAX_WRONG_CODES) == [CodeCheck.WRONG] * 4 + [CodeCheck.LAST_WRONG]
    assert _without_back_off(phone).check_code(code) == CodeCheck.BLOCKED
    assert phone.blocked_until() == phone.first_wrong_code_at + timedelta(minutes=10)


def test_block_holds_for_a_new_code_too(phone, clock):
    phone.issue_code()
    _wrong(phone, MAX_WRONG_CODES)
    clock.advance(minutes=5)

    phone.issue_code()

    assert _right(phone) == CodeCheck.BLOCKED


def test_new_code_does_not_reset_the_failure_count(phone, clock):
    phone.issue_code()
    assert _wrong(phone, 3) == [CodeCheck.WRONG] * 3
    clock.advance(minutes=1)

    phone.issue_code()  # "send a new code"
    phone.refresh_from_db()

    assert phone.wrong_codes == 3
    assert _wrong(phone, 2) == [CodeCheck.WRONG, CodeCheck.LAST_WRONG]
    assert _right(phone) == CodeCheck.BLOCKED


def test_block_lifts_ten_minutes_after_the_first_wrong_code(phone, clock):
    phone.issue_code()
    _wrong(phone, MAX_WRONG_CODES)

    clock.advance(minutes=9, seconds=59)
    phone.issue_code()
    assert _right(phone) == CodeCheck.BLOCKED

    clock.advance(seconds=2)
    phone.issue_code()
    assert phone.check_code(phone.token) == CodeCheck.OK
    phone.refresh_from_db()
    assert phone.wrong_codes == 0
    assert phone.first_wrong_code_at is None


def test_right_code_resets_the_failure_count(phone):
    phone.issue_code()
    _wrong(phone, 3)

    assert _right(phone) == CodeCheck.OK
    phone.refresh_from_db()
    assert (phone.wrong_codes, phone.throttling_failure_count) == (0, 0)


def test_wrong_codes_in_quick_succession_are_throttled(phone, clock):
    code = phone.issue_code()

    assert phone.check_code("000000") == CodeCheck.WRONG
    # django-otp's back-off: 1 s after the first wrong code, even for the right one.
    assert phone.check_code(code) == CodeCheck.THROTTLED
    clock.advance(seconds=1)
    assert phone.check_code("000000") == CodeCheck.WRONG
    clock.advance(seconds=1)
    assert phone.check_code(code) == CodeCheck.THROTTLED  # now 2 s
    clock.advance(seconds=1)
    assert phone.check_code(code) == CodeCheck.OK


def test_a_refused_try_says_how_long_to_wait(phone, clock):
    code = phone.issue_code()
    phone.check_code("000000")
    assert phone.retry_after() == 1  # django-otp's back-off after one wrong code

    _wrong(phone, MAX_WRONG_CODES)
    assert _without_back_off(phone).check_code(code) == CodeCheck.BLOCKED
    assert 0 < phone.retry_after() <= 10 * 60


def test_throttled_try_is_not_counted_as_wrong(phone, clock):
    phone.issue_code()
    phone.check_code("000000")

    assert phone.check_code("111111") == CodeCheck.THROTTLED
    phone.refresh_from_db()
    assert phone.wrong_codes == 1


def test_back_off_starts_over_when_the_block_lifts(phone, clock):
    # The back-off doubles per wrong code; without a fresh start after the block,
    # a few rounds of wrong codes would lock the method for days.
    for _round in range(3):
        phone.issue_code()
        for _ in range(MAX_WRONG_CODES):
            clock.advance(minutes=1)
            phone.check_code("000000")
        clock.advance(minutes=10)

    phone.issue_code()
    assert phone.check_code("000000") == CodeCheck.WRONG
    clock.advance(seconds=1)
    assert phone.check_code(phone.token) == CodeCheck.OK


def test_wrong_codes_are_counted_per_method(user, phone):
    email = make_alt_email(user, confirmed=False)
    phone.issue_code()
    email.issue_code()

    _wrong(phone, MAX_WRONG_CODES)

    assert _right(email) == CodeCheck.OK


# --- What is a sign-in factor ----------------------------------------------------


def test_alternate_email_is_never_a_sign_in_factor(user):
    email = make_alt_email(user)
    code = email.issue_code()

    assert list(devices_for_user(user)) == []
    assert not user_has_device(user)
    assert email.verify_token(code) is False


def test_verified_phone_is_a_sign_in_factor(user, settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    phone = make_phone(user, "+31612345678")

    assert list(devices_for_user(user)) == [phone]
    assert phone.is_interactive()
    phone.generate_challenge()
    assert len(sms.outbox) == 1
    assert phone.verify_token(phone.token) is True


def test_sign_in_challenge_does_not_show_the_whole_number(user, settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    phone = make_phone(user, "+31612345678")

    message = str(phone.generate_challenge())

    assert "78" in message
    assert "12345678" not in message.replace(" ", "")


def test_pending_phone_verifies_no_sign_in_code(user):
    phone = make_phone(user, confirmed=False)
    code = phone.issue_code()

    assert phone.verify_token(code) is False
    phone.refresh_from_db()
    assert phone.token == code  # not spent either


# --- Backup codes ----------------------------------------------------------------


def _backup_device(user, codes):
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes")
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=BackupCode.hash(code)) for code in codes
    )
    return device


def test_backup_code_works_once(user):
    device = _backup_device(user, ["abcde-12345", "fghij-67890"])

    assert device.verify_token("abcde-12345") is True
    device.throttling_failure_timestamp = None
    assert device.verify_token("abcde-12345") is False
    device.throttling_failure_timestamp = None
    assert device.verify_token("fghij-67890") is True
    assert device.remaining == 0


def test_backup_code_ignores_case_spaces_and_dashes(user):
    device = _backup_device(user, ["abcde-12345"])

    assert device.verify_token(" ABCDE 12345 ") is True


def test_wrong_backup_codes_are_throttled(user, clock):
    device = _backup_device(user, ["abcde-12345"])

    assert device.verify_token("wrong-wrong") is False
    assert device.verify_token("abcde-12345") is False  # within the back-off
    clock.advance(seconds=1)
    assert device.verify_token("abcde-12345") is True


def test_backup_codes_are_stored_only_as_keyed_hashes(user):
    device = _backup_device(user, ["abcde-12345"])

    [stored] = device.codes.values_list("code_hash", flat=True)
    assert "abcde" not in stored and "12345" not in stored
    assert len(stored) == 64
    assert stored == BackupCode.hash("abcde-12345")
