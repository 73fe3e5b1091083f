"""VAT: the rate and reverse charge by the buyer's country, VAT numbers, amounts to the cent."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.functional import Promise
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.eu import vat as stdnum_vat

from billing.vat import (
    EU_COUNTRIES,
    VAT_RATES,
    VatDecision,
    VatReason,
    normalize_vat_number,
    seller_country,
    validate_vat_number,
    vat_amount,
    vat_for,
)

D = Decimal

# Numbers python-stdnum accepts (published company VAT numbers and stdnum's own
# test numbers); test_valid_numbers_are_valid_for_stdnum proves it for each.
VALID_NUMBERS = {
    "AT": "ATU13585627",
    "BE": "BE0776091951",
    "BG": "BG175074752",
    "CY": "CY10259033P",
    "CZ": "CZ25123891",
    "DE": "DE136695976",
    "DK": "DK13585628",
    "EE": "EE100931558",
    "ES": "ESA28015865",
    "FI": "FI20774740",
    "FR": "FR40303265045",
    "GR": "EL094259216",
    "HR": "HR33392005961",
    "HU": "HU12892312",
    "IE": "IE6388047V",
    "IT": "IT00743110157",
    "LT": "LT119511515",
    "LU": "LU15027442",
    "LV": "LV40003521600",
    "MT": "MT11679112",
    "NL": "NL004495445B01",
    "PL": "PL5260250274",
    "PT": "PT501964843",
    "RO": "RO18547290",
    "SE": "SE556188840401",
    "SI": "SI50223054",
    "SK": "SK2022749619",
}

# One digit changed, so the check digit no longer fits, or a wrong length.
INVALID_NUMBERS = [
    ("NL", "NL004495446B01"),
    ("NL", "NL004495445"),
    ("BE", "BE0776091952"),
    ("DE", "DE136695977"),
    ("DE", "DE13669597"),
    ("FR", "FR40303265046"),
    ("AT", "AT13585627"),
    ("IT", "IT00743110158"),
    ("PL", "PL5260250275"),
    ("GR", "EL094259217"),
]


@pytest.fixture(autouse=True)
def _seller_in_the_netherlands(settings):
    settings.BILLING_SELLER_COUNTRY = "NL"


def _error(callable_, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        callable_(*args, **kwargs)
    return caught.value


# --- the table of rates ---------------------------------------------------------


def test_every_member_state_has_a_rate():
    assert len(EU_COUNTRIES) == 27
    assert set(VAT_RATES) == EU_COUNTRIES
    assert all(isinstance(rate, Decimal) and 0 < rate < 30 for rate in VAT_RATES.values())


@pytest.mark.parametrize(
    ("country", "rate"),
    [
        ("NL", "21"),
        ("BE", "21"),
        ("DE", "19"),
        ("FR", "20"),
        ("LU", "17"),
        ("IE", "23"),
        ("AT", "20"),
        ("ES", "21"),
        ("IT", "22"),
        ("PL", "23"),
        ("SE", "25"),
        ("DK", "25"),
        ("FI", "25.5"),
        ("PT", "23"),
    ],
)
def test_standard_rate(country, rate):
    assert VAT_RATES[country] == D(rate)


# --- the seller's country -------------------------------------------------------


def test_seller_country_defaults_to_the_netherlands(settings):
    del settings.BILLING_SELLER_COUNTRY
    assert seller_country() == "NL"


def test_seller_country_comes_from_the_setting_at_call_time(settings):
    settings.BILLING_SELLER_COUNTRY = "de"
    assert seller_country() == "DE"
    assert vat_for(buyer_country="DE") == VatDecision(D("19"), False, "domestic")


@pytest.mark.parametrize("country", ["US", "GB", "", "Netherlands"])
def test_seller_country_outside_the_table_is_a_configuration_error(settings, country):
    settings.BILLING_SELLER_COUNTRY = country
    with pytest.raises(ImproperlyConfigured, match="BILLING_SELLER_COUNTRY"):
        vat_for(buyer_country="NL")


# --- decisions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seller", "buyer", "vat_number", "rate", "reverse_charge", "reason"),
    [
        pytest.param("NL", "NL", "", "21", False, "domestic", id="nl-consumer"),
        pytest.param("NL", "NL", "NL004495445B01", "21", False, "domestic", id="nl-business"),
        pytest.param("NL", "nl", "", "21", False, "domestic", id="lower-case-country"),
        pytest.param("NL", "BE", "BE0776091951", "0", True, "eu_reverse_charge", id="be-business"),
        pytest.param("NL", "BE", "0776.091.951", "0", True, "eu_reverse_charge", id="be-no-prefix"),
        pytest.param("NL", "DE", "DE136695976", "0", True, "eu_reverse_charge", id="de-business"),
        pytest.param("NL", "GR", "EL094259216", "0", True, "eu_reverse_charge", id="gr-el-prefix"),
        pytest.param("NL", "BE", "", "21", False, "eu_b2c", id="be-consumer"),
        pytest.param("NL", "BE", "BE0776091952", "21", False, "eu_b2c", id="be-bad-number"),
        pytest.param("NL", "BE", "DE136695976", "21", False, "eu_b2c", id="be-german-number"),
        pytest.param("NL", "FI", "", "21", False, "eu_b2c", id="fi-consumer-seller-rate"),
        pytest.param("NL", "US", "", "0", False, "outside_eu", id="us"),
        pytest.param("NL", "GB", "GB980780684", "0", False, "outside_eu", id="gb-after-brexit"),
        pytest.param("NL", "CH", "", "0", False, "outside_eu", id="ch"),
        pytest.param("NL", "NO", "", "0", False, "outside_eu", id="no"),
        pytest.param("DE", "DE", "", "19", False, "domestic", id="de-seller-domestic"),
        pytest.param("DE", "NL", "", "19", False, "eu_b2c", id="de-seller-nl-consumer"),
        pytest.param("DE", "NL", "NL004495445B01", "0", True, "eu_reverse_charge", id="de-to-nl"),
        pytest.param("FI", "SE", "", "25.5", False, "eu_b2c", id="fi-seller"),
        pytest.param("LU", "LU", "LU15027442", "17", False, "domestic", id="lu-seller"),
    ],
)
def test_vat_decision(settings, seller, buyer, vat_number, rate, reverse_charge, reason):
    settings.BILLING_SELLER_COUNTRY = seller
    decision = vat_for(buyer_country=buyer, buyer_vat_number=vat_number)
    assert decision == VatDecision(D(rate), reverse_charge, reason)


def test_vat_decision_reason_is_a_translatable_choice():
    decision = vat_for(buyer_country="BE", buyer_vat_number="BE0776091951")
    assert decision.reason == VatReason.EU_REVERSE_CHARGE
    assert str(decision.reason.label) == "Reverse charge"


def test_vat_decision_is_frozen():
    decision = vat_for(buyer_country="NL")
    with pytest.raises(AttributeError):
        decision.rate = D("0")


@pytest.mark.parametrize("country", ["", "N", "NLD", "12", None])
def test_vat_for_refuses_a_country_that_is_no_code(country):
    with pytest.raises(ValueError, match="two-letter"):
        vat_for(buyer_country=country)


# --- VAT numbers ------------------------------------------------------------------


@pytest.mark.parametrize(("country", "number"), sorted(VALID_NUMBERS.items()))
def test_valid_numbers_are_valid_for_stdnum(country, number):
    assert stdnum_vat.is_valid(number)


@pytest.mark.parametrize(("country", "number"), sorted(VALID_NUMBERS.items()))
def test_validate_vat_number_accepts_each_member_state(country, number):
    assert validate_vat_number(country, number) == number


@pytest.mark.parametrize(
    ("country", "typed", "expected"),
    [
        pytest.param("NL", "nl 0044.95.445.b01", "NL004495445B01", id="nl-lower-case-dots"),
        pytest.param("NL", "004495445B01", "NL004495445B01", id="nl-no-prefix"),
        pytest.param("BE", "BE 0776-091-951", "BE0776091951", id="be-dashes"),
        pytest.param("BE", " 0776091951 ", "BE0776091951", id="be-spaces"),
        pytest.param("DE", "136 695 976", "DE136695976", id="de-no-prefix"),
        pytest.param("AT", "U13585627", "ATU13585627", id="at-u-without-prefix"),
        pytest.param("GR", "094259216", "EL094259216", id="gr-gets-el"),
        pytest.param("GR", "GR094259216", "EL094259216", id="gr-iso-prefix-becomes-el"),
        pytest.param("nl", "NL004495445B01", "NL004495445B01", id="lower-case-country"),
    ],
)
def test_validate_vat_number_normalizes(country, typed, expected):
    assert normalize_vat_number(country, typed) == expected
    assert validate_vat_number(country, typed) == expected


def test_normalize_vat_number_does_not_check_and_keeps_empty_empty():
    assert normalize_vat_number("DE", "de 123") == "DE123"
    assert normalize_vat_number("DE", "") == ""
    assert normalize_vat_number("DE", None) == ""


@pytest.mark.parametrize(("country", "number"), INVALID_NUMBERS)
def test_invalid_numbers_are_invalid_for_stdnum(country, number):
    assert not stdnum_vat.is_valid(number)


@pytest.mark.parametrize(
    ("country", "number"),
    [*INVALID_NUMBERS, ("NL", ""), ("NL", "   "), ("NL", "NL"), ("DE", "DE" + "1" * 40)],
)
def test_validate_vat_number_refuses_a_bad_number(country, number):
    error = _error(validate_vat_number, country, number)
    assert error.code == "invalid"
    assert error.params == {"country": country}
    assert error.messages == [f"Enter a valid VAT number for {country}."]


@pytest.mark.parametrize(
    ("country", "number", "prefix"),
    [
        ("NL", "DE136695976", "DE"),
        ("BE", "NL004495445B01", "NL"),
        ("DE", "EL094259216", "EL"),
    ],
)
def test_validate_vat_number_tells_a_number_of_another_country(country, number, prefix):
    error = _error(validate_vat_number, country, number)
    assert error.code == "country_mismatch"
    assert error.params == {"prefix": prefix, "country": country}


@pytest.mark.parametrize("country", ["US", "GB", "CH", "NO"])
def test_vat_numbers_only_exist_in_the_eu(country):
    for function in (normalize_vat_number, validate_vat_number):
        error = _error(function, country, "GB980780684")
        assert error.code == "not_eu"


def test_vat_number_messages_are_translatable():
    error = _error(validate_vat_number, "NL", "NL123")
    # Lazy, so it is shown in the language active when it is rendered.
    assert isinstance(error.message, Promise)
    assert str(error.message) == "Enter a valid VAT number for %(country)s."


@given(st.text(max_size=40))
@example("NL")
@example("\x00")
@example("EU372000041")
def test_validate_vat_number_raises_only_validation_error(text):
    try:
        number = validate_vat_number("NL", text)
    except ValidationError as error:
        assert error.code in {"invalid", "country_mismatch"}
    else:
        assert number.startswith("NL")
        assert stdnum_vat.is_valid(number)


# --- amounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subtotal", "rate", "expected"),
    [
        pytest.param("100.00", "21", "21.00", id="nl-round"),
        pytest.param("59.97", "21", "12.59", id="nl-12.5937"),
        pytest.param("7.99", "19", "1.52", id="de-1.5181"),
        pytest.param("72.00", "25.5", "18.36", id="fi-25.5"),
        pytest.param("18.00", "17", "3.06", id="lu"),
        pytest.param("0.01", "21", "0.00", id="one-cent"),
        pytest.param("500.00", "0", "0.00", id="reverse-charge"),
        pytest.param("-59.97", "21", "-12.59", id="credit-note"),
        # Exact half cents go up, where banker's rounding would go to even.
        pytest.param("0.50", "21", "0.11", id="0.105-up"),
        pytest.param("12.50", "21", "2.63", id="2.625-up"),
        pytest.param("0.10", "25", "0.03", id="0.025-up"),
        pytest.param("2.10", "25", "0.53", id="0.525-up"),
        pytest.param("0.30", "25.5", "0.08", id="0.0765-up"),
        pytest.param("-12.50", "21", "-2.63", id="negative-half-away-from-zero"),
    ],
)
def test_vat_amount(subtotal, rate, expected):
    amount = vat_amount(D(subtotal), D(rate))
    assert amount == D(expected)
    assert amount.as_tuple().exponent == -2


def test_vat_amount_refuses_floats_and_negative_rates():
    with pytest.raises(TypeError):
        vat_amount(59.97, D("21"))
    with pytest.raises(TypeError):
        vat_amount(D("59.97"), 21.0)
    with pytest.raises(ValueError, match="negative"):
        vat_amount(D("59.97"), D("-21"))


rates = st.sampled_from(sorted(set(VAT_RATES.values()) | {D("0")}))
subtotal_cents = st.integers(min_value=0, max_value=10**10)


@given(cents=subtotal_cents, rate=rates)
def test_vat_amount_is_never_negative(cents, rate):
    assert vat_amount(D(cents) / 100, rate) >= 0


@given(cents=subtotal_cents, rate=rates)
def test_vat_amount_is_the_exact_tax_rounded_half_up(cents, rate):
    exact = Fraction(cents, 100) * Fraction(rate) / 100
    # Half up for a non-negative amount: the floor of (cents + one half).
    expected_cents = int(exact * 100 + Fraction(1, 2))
    assert vat_amount(D(cents) / 100, rate) == D(expected_cents) / 100


def _half_cent_residues(rate):
    """Return the subtotals in cents, modulo 1000, whose VAT at ``rate`` ends in half a cent.

    VAT in cents is ``cents * R / 1000`` for ``R = rate * 10``; it ends in exactly
    half a cent when ``cents * R`` is 500 modulo 1000.
    """
    tenths = int(rate * 10)
    return [n for n in range(1000) if n * tenths % 1000 == 500]


@st.composite
def half_cent_cases(draw):
    """Draw (subtotal, rate) whose exact VAT is a whole number of cents plus one half."""
    rate = draw(
        st.sampled_from([r for r in sorted(set(VAT_RATES.values())) if _half_cent_residues(r)])
    )
    residue = draw(st.sampled_from(_half_cent_residues(rate)))
    thousands = draw(st.integers(min_value=0, max_value=10**7))
    return D(thousands * 1000 + residue) / 100, rate


def test_some_rates_give_half_cents():
    assert _half_cent_residues(D("21")) == [50, 150, 250, 350, 450, 550, 650, 750, 850, 950]
    assert _half_cent_residues(D("20")) == []


@given(case=half_cent_cases())
def test_vat_amount_rounds_crafted_half_cents_up(case):
    subtotal, rate = case
    exact = subtotal * rate / 100
    assert exact.quantize(D("0.001")) == exact
    assert exact.as_tuple().digits[-1] == 5
    assert vat_amount(subtotal, rate) == exact + D("0.005")
    assert vat_amount(-subtotal, rate) == -exact - D("0.005")


@given(cents=st.integers(min_value=-(10**10), max_value=10**10), rate=rates)
def test_vat_on_a_credit_is_the_negative_of_the_vat_on_the_charge(cents, rate):
    assert vat_amount(D(-cents) / 100, rate) == -vat_amount(D(cents) / 100, rate)
