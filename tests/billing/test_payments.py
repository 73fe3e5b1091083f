"""Tests for billing.payments: card checks, the fake provider and provider resolution."""

import logging
import pickle
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.views.debug import ExceptionReporter
from hypothesis import given
from hypothesis import strategies as st

from billing import payments
from billing.payments import (
    CardToken,
    Charge,
    FakePaymentProvider,
    PaymentDeclined,
    PaymentProvider,
    card_brand,
    get_provider,
    luhn_valid,
    normalize_card_number,
    validate_card,
)

TODAY = date(2026, 5, 14)
CARD = {"exp_month": 12, "exp_year": 2030, "cvc": "123", "holder_name": "Ada Lovelace"}
AMEX_CARD = {**CARD, "cvc": "1234"}


def luhn_check_digit(payload):
    """Return the digit that makes ``payload`` + digit pass Luhn (written out, not billing's)."""
    total = 0
    # From the right, the check digit takes position 0: payload digits at odd
    # positions are doubled.
    for position, char in enumerate(reversed(payload), start=1):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def spaced(number):
    """Return ``number`` in groups of four, as printed on most cards."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


class RecordingProvider(PaymentProvider):
    """A provider named by dotted path in the tests below."""

    def tokenize_card(self, *, number, exp_month, exp_year, cvc, holder_name):
        return CardToken("tok_recording", "visa", number[-4:], exp_month, exp_year)

    def charge(self, *, token, amount, currency, description):
        return Charge("ch_recording", amount, currency)


class NotAProvider:
    """Has the methods, but is no PaymentProvider."""


@pytest.fixture
def provider():
    return FakePaymentProvider()


@pytest.fixture
def all_log_records(caplog):
    """Capture DEBUG and up from every logger, including those that do not propagate."""
    caplog.set_level(logging.DEBUG)
    added = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            added.append(logger)
    yield caplog
    for logger in added:
        logger.removeHandler(caplog.handler)


# Luhn -------------------------------------------------------------------------

payloads = st.text(alphabet="0123456789", min_size=11, max_size=18)


@given(payloads)
def test_luhn_accepts_number_with_appended_check_digit(payload):
    assert luhn_valid(payload + luhn_check_digit(payload))


@given(payloads, st.data())
def test_luhn_rejects_any_single_digit_change(payload, data):
    number = payload + luhn_check_digit(payload)
    position = data.draw(st.integers(0, len(number) - 1))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[position]))
    changed = number[:position] + digit + number[position + 1 :]
    assert not luhn_valid(changed)


@pytest.mark.parametrize("value", ["", "4242 4242 4242 4242", "424242424242424x", None, 4242])
def test_luhn_rejects_what_is_not_digits(value):
    assert not luhn_valid(value)


# Normalizing and brands -------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        " 4242424242424242 ",
        "4242\u00a04242 4242-4242",
    ],
)
def test_normalize_strips_spaces_and_dashes(value):
    assert normalize_card_number(value) == "4242424242424242"


@pytest.mark.parametrize(
    "value", ["", " - ", "4242 4242 4242 424O", "\u0664\u0662\u0664\u0662", "4242\u00b2", None]
)
def test_normalize_rejects_anything_but_ascii_digits(value):
    with pytest.raises(ValidationError) as exc_info:
        normalize_card_number(value)
    assert exc_info.value.code == "invalid_number"


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4000056655665556", "visa"),
        ("4111111111111", "visa"),
        ("5105105105105100", "mastercard"),
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("2720999999999996", "mastercard"),
        ("2220999999999999", "unknown"),
        ("2721000000000000", "unknown"),
        ("5000000000000000", "unknown"),
        ("5600000000000000", "unknown"),
        ("378282246310005", "amex"),
        ("341111111111111", "amex"),
        ("351111111111111", "unknown"),
        ("6011111111111117", "unknown"),
        ("", "unknown"),
        ("4242 4242", "unknown"),
    ],
)
def test_card_brand_follows_issuer_prefix(number, brand):
    assert card_brand(number) == brand


# validate_card ----------------------------------------------------------------


def errors_of(**kwargs):
    """Return validate_card's errors for a Visa card changed by ``kwargs``, as {field: codes}."""
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    try:
        validate_card(**{**card, **kwargs}, today=TODAY)
    except ValidationError as exc:
        return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}
    return {}


def test_valid_card_passes():
    assert errors_of() == {}
    assert errors_of(number="4242 4242 4242 4242", exp_month="05", exp_year="30") == {}
    assert errors_of(number="3782 822463 10005", cvc="1234") == {}


def test_card_expiring_this_month_is_valid():
    assert errors_of(exp_month=5, exp_year=2026) == {}


def test_card_that_expired_last_month_is_expired():
    assert errors_of(exp_month=4, exp_year=2026) == {"expiry": ["expired_card"]}


def test_card_that_expired_in_december_is_expired_in_january():
    card = {"number": "4242424242424242", "cvc": "123"}
    validate_card(**card, exp_month=1, exp_year=2026, today=date(2026, 1, 31))
    with pytest.raises(ValidationError) as exc_info:
        validate_card(**card, exp_month=12, exp_year=2025, today=date(2026, 1, 1))
    assert exc_info.value.message_dict == {"expiry": ["This card has expired."]}


def test_expiry_defaults_to_today():
    today = date.today()
    validate_card(number="4242424242424242", exp_month=today.month, exp_year=today.year, cvc="123")
    with pytest.raises(ValidationError):
        validate_card(number="4242424242424242", exp_month=12, exp_year=today.year - 1, cvc="123")


@pytest.mark.parametrize(
    ("month", "year"), [(0, 2030), (13, 2030), ("", 2030), (12, None), ("x", 2030), (1, 2099)]
)
def test_invalid_expiry_is_reported(month, year):
    assert errors_of(exp_month=month, exp_year=year) == {"expiry": ["invalid_expiry"]}


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("42424242424", "invalid_length"),  # 11 digits
        ("42424242424242424242", "invalid_length"),  # 20 digits
        ("4242424242424241", "invalid_checksum"),
        ("4242 4242 4242 424x", "invalid_number"),
        ("", "invalid_number"),
    ],
)
def test_bad_number_is_reported(number, code):
    assert errors_of(number=number) == {"number": [code]}


def test_number_lengths_12_and_19_are_allowed():
    for payload in ("42424242424", "424242424242424242"):
        assert errors_of(number=payload + luhn_check_digit(payload)) == {}


@pytest.mark.parametrize(
    ("number", "cvc", "valid"),
    [
        ("4242424242424242", "123", True),
        ("4242424242424242", "1234", False),
        ("4242424242424242", "12", False),
        ("4242424242424242", "12a", False),
        ("4242424242424242", 123, False),
        ("378282246310005", "1234", True),
        ("378282246310005", "123", False),
    ],
)
def test_cvc_has_3_digits_or_4_for_amex(number, cvc, valid):
    assert errors_of(number=number, cvc=cvc) == ({} if valid else {"cvc": ["invalid_cvc"]})


def test_all_errors_are_reported_at_once_in_english():
    with pytest.raises(ValidationError) as exc_info:
        validate_card(number="1234", exp_month=13, exp_year=2030, cvc="", today=TODAY)
    assert exc_info.value.message_dict == {
        "number": ["A card number has 12 to 19 digits."],
        "expiry": ["Enter a valid expiry month and year."],
        "cvc": ["Enter the 3-digit security code from the back of the card."],
    }


# The fake provider: cards -----------------------------------------------------

TOKEN = re.compile(r"tok_fake_[0-9a-f]{24}")


@pytest.mark.parametrize(
    ("number", "brand", "card"),
    [
        ("4242424242424242", "visa", CARD),
        ("4000056655665556", "visa", CARD),
        ("5555555555554444", "mastercard", CARD),
        ("2223003122003222", "mastercard", CARD),
        ("378282246310005", "amex", AMEX_CARD),
    ],
)
def test_fake_provider_accepts_test_cards(provider, number, brand, card):
    token = provider.tokenize_card(number=spaced(number), **card)
    assert TOKEN.fullmatch(token.token)
    assert token == CardToken(token.token, brand, number[-4:], 12, 2030)


def test_fake_provider_gives_a_new_token_each_time(provider):
    first = provider.tokenize_card(number="4242424242424242", **CARD)
    second = provider.tokenize_card(number="4242424242424242", **CARD)
    assert first.token != second.token


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("4000000000000002", "card_declined", "Your card was declined."),
        (
            "4000000000009995",
            "insufficient_funds",
            "Your card was declined because of insufficient funds.",
        ),
        ("4000000000000069", "expired_card", "Your card was declined because it has expired."),
        ("4111111111111111", "not_a_test_card", "accepts only test card numbers"),
        ("5105105105105100", "not_a_test_card", "accepts only test card numbers"),
    ],
)
def test_fake_provider_declines_with_a_clear_message(provider, number, code, message):
    with pytest.raises(PaymentDeclined) as exc_info:
        provider.tokenize_card(number=number, **CARD)
    assert exc_info.value.code == code
    assert message in str(exc_info.value.message)
    assert str(exc_info.value) == str(exc_info.value.message)


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"number": "4242424242424241"}, "invalid_checksum"),
        ({"number": "4242"}, "invalid_length"),
        ({"exp_year": 2020}, "expired_card"),
        ({"cvc": "12"}, "invalid_cvc"),
    ],
)
def test_fake_provider_declines_a_card_that_fails_validation(provider, card, code):
    with pytest.raises(PaymentDeclined) as exc_info:
        provider.tokenize_card(**{"number": "4242424242424242", **CARD, **card})
    assert exc_info.value.code == code
    assert str(exc_info.value.message)


def test_decline_creates_nothing(provider, monkeypatch):
    remembered = []
    monkeypatch.setattr(
        FakePaymentProvider, "_remember", lambda self, card: remembered.append(card)
    )
    for number in ("4000000000000002", "4000000000009995", "4000000000000069", "4111111111111111"):
        with pytest.raises(PaymentDeclined):
            provider.tokenize_card(number=number, **CARD)
    assert remembered == []


def test_fake_provider_keeps_only_brand_last4_and_expiry(provider):
    token = provider.tokenize_card(number="4242 4242 4242 4242", **CARD)
    stored = payments.caches["default"].get(provider.cache_key_prefix + token.token)
    assert stored == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}
    assert provider._recall(token.token) == token
    assert vars(provider) == {}


def test_payment_declined_survives_pickling():
    # Our own bytes, straight back: nothing untrusted is unpickled.
    declined = pickle.loads(pickle.dumps(PaymentDeclined("Nope.", code="card_declined")))  # noqa: S301
    assert (declined.message, declined.code) == ("Nope.", "card_declined")


# The fake provider: charges ---------------------------------------------------


def test_charge_returns_the_charge(provider):
    token = provider.tokenize_card(number="5555555555554444", **CARD)
    charge = provider.charge(
        token=token.token, amount=Decimal("12.50"), currency="EUR", description="Invoice 1"
    )
    assert re.fullmatch(r"ch_fake_[0-9a-f]{24}", charge.id)
    assert (charge.amount, charge.currency) == (Decimal("12.50"), "EUR")


def test_token_can_be_charged_by_another_provider_instance(provider):
    # As another app node would: the token lives in the shared cache, not on self.
    token = provider.tokenize_card(number="4242424242424242", **CARD)
    charge = FakePaymentProvider().charge(
        token=token.token, amount=Decimal("1.00"), currency="USD", description=""
    )
    assert charge.amount == Decimal("1.00")


@pytest.mark.parametrize("amount", [12.5, 12, "12.50", None])
def test_charge_amount_must_be_a_decimal(provider, amount):
    token = provider.tokenize_card(number="4242424242424242", **CARD)
    with pytest.raises(TypeError, match="Decimal"):
        provider.charge(token=token.token, amount=amount, currency="EUR", description="")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (Decimal(0), "EUR"),
        (Decimal("-1.00"), "EUR"),
        (Decimal("NaN"), "EUR"),
        (Decimal("Infinity"), "EUR"),
        (Decimal("1.00"), "eur"),
        (Decimal("1.00"), "EURO"),
        (Decimal("1.00"), None),
    ],
)
def test_charge_rejects_bad_amount_or_currency(provider, amount, currency):
    token = provider.tokenize_card(number="4242424242424242", **CARD)
    with pytest.raises(ValueError):
        provider.charge(token=token.token, amount=amount, currency=currency, description="")


@pytest.mark.parametrize("token", ["tok_fake_" + "0" * 24, "tok_other", "", None])
def test_charging_an_unknown_token_declines(provider, token):
    with pytest.raises(PaymentDeclined) as exc_info:
        provider.charge(token=token, amount=Decimal("1.00"), currency="EUR", description="")
    assert exc_info.value.code == "invalid_token"
    assert "Add the card again" in str(exc_info.value)


def test_base_provider_methods_must_be_implemented():
    with pytest.raises(NotImplementedError):
        PaymentProvider().tokenize_card(
            number="4242424242424242", exp_month=1, exp_year=2030, cvc="123", holder_name=""
        )
    with pytest.raises(NotImplementedError):
        PaymentProvider().charge(token="t", amount=Decimal(1), currency="EUR", description="")


# get_provider -----------------------------------------------------------------


def test_default_provider_is_the_fake(settings):
    del settings.BILLING_PAYMENT_PROVIDER
    assert isinstance(get_provider(), FakePaymentProvider)
    assert get_provider() is get_provider()


def test_provider_is_taken_from_the_setting(settings):
    settings.BILLING_PAYMENT_PROVIDER = "tests.billing.test_payments.RecordingProvider"
    provider = get_provider()
    assert isinstance(provider, RecordingProvider)
    assert provider.charge(token="t", amount=Decimal(1), currency="EUR", description="").id == (
        "ch_recording"
    )
    settings.BILLING_PAYMENT_PROVIDER = "billing.payments.FakePaymentProvider"
    assert isinstance(get_provider(), FakePaymentProvider)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("billing.payments.NoSuchProvider", "could not be imported"),
        ("no_such_module.Provider", "could not be imported"),
        ("FakePaymentProvider", "could not be imported"),
        ("", "could not be imported"),
        ("tests.billing.test_payments.NotAProvider", "is not a subclass"),
        ("billing.payments.get_provider", "is not a subclass"),
        (None, "must be the dotted path"),
    ],
)
def test_bad_provider_setting_is_improperly_configured(settings, path, message):
    settings.BILLING_PAYMENT_PROVIDER = path
    with pytest.raises(ImproperlyConfigured, match=message) as exc_info:
        get_provider()
    assert "BILLING_PAYMENT_PROVIDER" in str(exc_info.value)


# The number is never logged, kept or shown ------------------------------------

SECRET_CARDS = [
    ("4242424242424242", CARD),
    ("378282246310005", AMEX_CARD),
    ("4000000000000002", CARD),  # declined
    ("4000000000009995", CARD),  # declined
    ("4111111111111111", CARD),  # not a test card
]


def forms_of(number):
    """Return the ways ``number`` may be written, without the last-four alone."""
    return {number, spaced(number), "-".join(spaced(number).split()), number[:-4]}


def assert_not_in(number, text):
    for form in forms_of(number):
        assert form not in text, f"card number found in {text!r}"


@pytest.mark.parametrize(("number", "card"), SECRET_CARDS)
def test_card_number_is_never_logged(all_log_records, provider, number, card):
    for typed in (number, spaced(number)):
        try:
            token = provider.tokenize_card(number=typed, **card)
        except PaymentDeclined as exc:
            assert_not_in(number, repr(exc))
            assert_not_in(number, str(exc))
            assert_not_in(number, repr(exc.args))
        else:
            provider.charge(
                token=token.token, amount=Decimal("9.99"), currency="EUR", description="Test"
            )
            assert_not_in(number, repr(token))
            assert_not_in(number, str(token))
    with pytest.raises(PaymentDeclined):
        provider.charge(token="tok_fake_unknown", amount=Decimal(1), currency="EUR", description="")

    records = all_log_records.records
    # The provider does log: the check below would be empty otherwise.
    assert any(record.name == "billing.payments" for record in records)
    formatter = logging.Formatter()
    for record in records:
        assert_not_in(number, formatter.format(record))
        assert_not_in(number, repr(record.args))
        assert_not_in(number, repr(vars(record)))


@pytest.mark.parametrize(("number", "card"), SECRET_CARDS)
def test_card_number_is_not_kept_by_the_provider(provider, number, card):
    try:
        token = provider.tokenize_card(number=number, **card)
    except PaymentDeclined:
        return
    assert_not_in(number, repr(vars(provider)))
    assert_not_in(
        number, repr(payments.caches["default"].get(provider.cache_key_prefix + token.token))
    )


def test_error_report_hides_the_card_number(settings, provider):
    # What the debug page or an error email with DEBUG off would show if
    # tokenize_card failed: among others, the local variables of each frame.
    settings.DEBUG = False
    with pytest.raises(PaymentDeclined) as exc_info:
        provider.tokenize_card(number="4000 0000 0000 0002", **CARD)
    # Leave out this test's own frame, which passed the number in.
    tb = exc_info.tb.tb_next
    reporter = ExceptionReporter(None, exc_info.type, exc_info.value, tb)
    frames = reporter.get_traceback_data()["frames"]
    assert "tokenize_card" in [frame["function"] for frame in frames]
    assert_not_in("4000000000000002", repr([frame["vars"] for frame in frames]))
    assert_not_in("4000000000000002", reporter.get_traceback_html())
