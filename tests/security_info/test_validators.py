"""Mobile numbers and alternate email addresses: parsing, the rules, and how they are shown."""

import re

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from email_validator import EmailUndeliverableError
from hypothesis import example, given
from hypothesis import strategies as st

from security_info import validators
from security_info.validators import (
    format_phone_international,
    mask_email,
    mask_phone,
    normalize_alternate_email,
    parse_mobile_number,
)

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# "06 12345678" as typed on an East Asian keyboard (U+FF10 to U+FF19).
FULL_WIDTH_NL = "06 12345678".translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})


@pytest.fixture(autouse=True)
def _default_rules(settings):
    """Run each test with SMS to the usual countries and no DNS lookups."""
    settings.SMS_ALLOWED_CALLING_CODES = [1, 31, 32, 33, 44, 49]
    settings.SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY = False


def _error(callable_, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        callable_(*args, **kwargs)
    return caught.value


# --- mobile numbers: accepted -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        pytest.param("06 12345678", "NL", "+31612345678", id="nl-national"),
        pytest.param("06-12345678", "NL", "+31612345678", id="nl-national-dash"),
        pytest.param("0612345678", "NL", "+31612345678", id="nl-national-digits-only"),
        pytest.param("06.12.34.56.78", "NL", "+31612345678", id="nl-national-dots"),
        pytest.param("  06 12345678  ", "NL", "+31612345678", id="nl-surrounding-space"),
        pytest.param("+31 6 1234 5678", "NL", "+31612345678", id="nl-international"),
        pytest.param("0031 6 12345678", "NL", "+31612345678", id="nl-00-prefix"),
        pytest.param("+31 (0)6 12345678", "NL", "+31612345678", id="nl-trunk-zero-in-parens"),
        pytest.param("+31 (0)6-1234 5678", "NL", "+31612345678", id="nl-parens-and-dash"),
        pytest.param(FULL_WIDTH_NL, "NL", "+31612345678", id="nl-full-width-digits"),
        pytest.param("+31 6 12345678", "nl", "+31612345678", id="region-lower-case"),
        pytest.param("+32 470 12 34 56", "NL", "+32470123456", id="be-mobile-international"),
        pytest.param("0032 470 12 34 56", "NL", "+32470123456", id="be-mobile-00-prefix"),
        pytest.param("+1 650 253 0000", "NL", "+16502530000", id="us-fixed-line-or-mobile"),
        pytest.param("(650) 253-0000", "US", "+16502530000", id="us-national"),
        pytest.param("0031 6 12345678", "US", "+31612345678", id="00-prefix-where-idd-is-011"),
        pytest.param("0151 23456789", "DE", "+4915123456789", id="de-national"),
        pytest.param("0151/23456789", "DE", "+4915123456789", id="de-national-slash"),
        pytest.param("+31 6 12345678", "", "+31612345678", id="no-region-international"),
    ],
)
def test_mobile_number_is_stored_as_e164(raw, region, expected):
    assert parse_mobile_number(raw, region=region) == expected


def test_region_may_be_a_country_object():
    from django_countries.fields import Country

    assert parse_mobile_number("06 12345678", region=Country("NL")) == "+31612345678"


# --- mobile numbers: refused ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "code"),
    [
        pytest.param("", "NL", "required", id="empty"),
        pytest.param("   \t ", "NL", "required", id="whitespace-only"),
        pytest.param(None, "NL", "required", id="none"),
        pytest.param("06 1234", "NL", "invalid", id="too-short"),
        pytest.param("06 123456789012345", "NL", "invalid", id="too-long"),
        pytest.param("0" + "6" * 64, "NL", "invalid", id="over-64-characters"),
        pytest.param("call me", "NL", "invalid", id="letters"),
        pytest.param("06 1234567a", "NL", "invalid", id="trailing-letter"),
        pytest.param("0800-FLOWERS", "NL", "invalid", id="vanity-letters"),
        pytest.param("06 12345678 ext 5", "NL", "invalid", id="extension"),
        pytest.param("tel:+31612345678", "NL", "invalid", id="tel-uri"),
        pytest.param("06+12345678", "NL", "invalid", id="plus-in-the-middle"),
        pytest.param("+", "NL", "invalid", id="plus-only"),
        pytest.param("---", "NL", "invalid", id="separators-only"),
        pytest.param("+99 612345678", "NL", "invalid", id="unknown-country-code"),
        pytest.param("06 12345678", "", "invalid", id="national-without-region"),
        pytest.param("06 12345678", "XX", "invalid", id="national-with-unknown-region"),
        pytest.param("020 123 4567", "NL", "not_mobile", id="nl-landline"),
        pytest.param("+31 20 123 4567", "DE", "not_mobile", id="nl-landline-international"),
        pytest.param("030 123456", "DE", "not_mobile", id="de-landline"),
    ],
)
def test_bad_mobile_number_is_refused(raw, region, code):
    assert _error(parse_mobile_number, raw, region=region).code == code


def test_invalid_number_message_shows_an_example_of_the_region():
    error = _error(parse_mobile_number, "abc", region="NL")
    assert error.params == {"example": "+31 6 12345678"}
    assert error.messages == [
        "A phone number can only contain digits, spaces and + - . / ( ). "
        "Enter a mobile number such as +31 6 12345678."
    ]
    error = _error(parse_mobile_number, "0151 1", region="DE")
    assert error.messages == [
        "This number is too short. Enter a mobile number such as +49 1512 3456789."
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param("06 1234", "This number is too short.", id="too-short"),
        pytest.param("06 123456789012345", "This number is too long.", id="too-long"),
        pytest.param("6" * 65, "This number is too long.", id="over-length-guard"),
        # Dutch mobile numbers have 9 or 11 digits: 10 is neither too short nor too long.
        pytest.param("06 1234 5678 9", "This is not a valid phone number.", id="odd-length"),
        pytest.param("06 9999 9999", "This is not a valid phone number.", id="unassigned"),
    ],
)
def test_invalid_number_message_says_what_is_wrong(raw, problem):
    [message] = _error(parse_mobile_number, raw, region="NL").messages
    assert message.startswith(problem)


def test_invalid_number_without_region_asks_for_the_country_code():
    error = _error(parse_mobile_number, "06 12345678", region="")
    assert error.messages == [
        "This is not a valid phone number. "
        "Enter a mobile number starting with + and the country code."
    ]


def test_landline_message_asks_for_a_mobile_number():
    error = _error(parse_mobile_number, "020 123 4567", region="NL")
    assert error.messages == [
        "This looks like a landline number; enter a mobile number that can receive text messages."
    ]


def test_number_of_a_country_not_allowed_is_refused(settings):
    settings.SMS_ALLOWED_CALLING_CODES = [31]
    error = _error(parse_mobile_number, "+32 470 12 34 56", region="NL")
    assert error.code == "country_not_allowed"
    assert error.params == {"code": 32}
    assert error.messages == ["Text messages can't be sent to numbers in this country (+32)."]
    assert parse_mobile_number("06 12345678", region="NL") == "+31612345678"


def test_country_rule_comes_before_the_type_rule(settings):
    # A mobile number of that country would be refused as well: say so at once.
    settings.SMS_ALLOWED_CALLING_CODES = [31]
    error = _error(parse_mobile_number, "030 123456", region="DE")
    assert error.code == "country_not_allowed"


def test_empty_allowed_list_allows_every_country(settings):
    settings.SMS_ALLOWED_CALLING_CODES = []
    assert parse_mobile_number("+32 470 12 34 56", region="NL") == "+32470123456"
    assert parse_mobile_number("+81 90 1234 5678", region="NL") == "+819012345678"


# --- mobile numbers: display ------------------------------------------------


@pytest.mark.parametrize(
    ("e164", "international", "masked"),
    [
        pytest.param("+31612345678", "+31 6 12345678", "+31 6 ••••••78", id="nl"),
        pytest.param("+32470123456", "+32 470 12 34 56", "+32 4•• •• •• 56", id="be"),
        pytest.param("+16502530000", "+1 650-253-0000", "+1 6••-•••-••00", id="us"),
        pytest.param("+4915123456789", "+49 1512 3456789", "+49 1••• •••••89", id="de"),
    ],
)
def test_phone_is_shown_international_and_masked(e164, international, masked):
    assert format_phone_international(e164) == international
    assert mask_phone(e164) == masked


@pytest.mark.parametrize("stored", ["", "not a number", "+"])
def test_display_of_a_bad_stored_number_does_not_fail(stored):
    assert format_phone_international(stored) == stored
    assert "".join(c for c in mask_phone(stored) if c.isdigit()) == ""


# --- alternate email: accepted ----------------------------------------------

DOMAINS = ["contoso.example", "xn--bcher-kva.example"]
SIGN_IN = "anna@contoso.example"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("anna@example.org", "anna@example.org", id="plain"),
        pytest.param("  anna@example.org ", "anna@example.org", id="surrounding-space"),
        pytest.param("Anna@Example.ORG", "Anna@example.org", id="domain-lower-cased"),
        pytest.param("anna+security@example.org", "anna+security@example.org", id="plus-tag"),
        pytest.param("anna@müller.example", "anna@xn--mller-kva.example", id="idn-domain"),
        pytest.param("anna@MÜLLER.example", "anna@xn--mller-kva.example", id="idn-upper-case"),
        pytest.param("anna@xn--mller-kva.example", "anna@xn--mller-kva.example", id="idn-ascii"),
        pytest.param("anna@notcontoso.example", "anna@notcontoso.example", id="lookalike"),
    ],
)
def test_alternate_email_is_normalized(raw, expected):
    assert normalize_alternate_email(raw, tenant_domains=DOMAINS, sign_in_name=SIGN_IN) == expected


# --- alternate email: refused -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("", "required", id="empty"),
        pytest.param("  ", "required", id="whitespace-only"),
        pytest.param(None, "required", id="none"),
        pytest.param("anna.example.org", "invalid", id="missing-at"),
        pytest.param("anna@", "invalid", id="nothing-after-at"),
        pytest.param("@example.org", "invalid", id="nothing-before-at"),
        pytest.param("anna@example", "invalid", id="no-dot-in-domain"),
        pytest.param('"anna smith"@example.org', "invalid", id="quoted-local-part"),
        pytest.param("Anna <anna@example.org>", "invalid", id="display-name"),
        pytest.param("anna@[192.0.2.1]", "invalid", id="ip-literal"),
        pytest.param("anna@" + "b" * 250 + ".org", "invalid", id="too-long"),
        pytest.param("a" * 64 + "@" + ("b" * 62 + ".") * 5 + "org", "invalid", id="over-320"),
        pytest.param("josé@example.org", "invalid", id="internationalized-local-part"),
        pytest.param("it@contoso.example", "own_domain", id="own-domain"),
        pytest.param("IT@Contoso.EXAMPLE", "own_domain", id="own-domain-upper-case"),
        pytest.param("it@mail.contoso.example", "own_domain", id="own-subdomain"),
        pytest.param("anna@BÜCHER.example", "own_domain", id="own-idn-domain"),
        pytest.param("anna@contoso.example", "same_as_sign_in", id="sign-in-name"),
        pytest.param("Anna@CONTOSO.example", "same_as_sign_in", id="sign-in-name-case"),
    ],
)
def test_bad_alternate_email_is_refused(raw, code):
    error = _error(normalize_alternate_email, raw, tenant_domains=DOMAINS, sign_in_name=SIGN_IN)
    assert error.code == code


def test_invalid_email_message_says_what_is_wrong():
    error = _error(
        normalize_alternate_email, "anna.example.org", tenant_domains=[], sign_in_name=""
    )
    assert error.messages == [
        "This is not a valid email address: An email address must have an @-sign. "
        "Enter one such as name@example.org."
    ]


def test_internationalized_local_part_message_explains():
    error = _error(
        normalize_alternate_email, "josé@example.org", tenant_domains=[], sign_in_name=""
    )
    assert "accented or non-Latin letters before the @" in error.messages[0]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("it@mail.contoso.example", "contoso.example", id="subdomain-names-own"),
        pytest.param("anna@bücher.example", "bücher.example", id="idn-shown-as-written"),
    ],
)
def test_own_domain_message_names_the_domain(raw, shown):
    error = _error(normalize_alternate_email, raw, tenant_domains=DOMAINS, sign_in_name=SIGN_IN)
    assert error.params == {"domain": shown}
    assert error.messages == [
        f"Use an address outside your organization (not @{shown}): "
        "it must still work when your work account doesn't."
    ]


def test_sign_in_name_message_asks_for_a_personal_address():
    # The sign-in name is on a domain of the tenant too; the closer reason wins.
    error = _error(normalize_alternate_email, SIGN_IN, tenant_domains=DOMAINS, sign_in_name=SIGN_IN)
    assert error.messages == ["This is your sign-in name; use a different, personal address."]


def test_sign_in_name_is_compared_in_its_normalized_form():
    error = _error(
        normalize_alternate_email,
        "anna@xn--mller-kva.example",
        tenant_domains=[],
        sign_in_name="Anna@Müller.example",
    )
    assert error.code == "same_as_sign_in"


def test_tenant_domains_are_compared_ignoring_case_and_trailing_dot():
    error = _error(
        normalize_alternate_email,
        "it@contoso.example",
        tenant_domains=["Contoso.Example."],
        sign_in_name="",
    )
    assert error.code == "own_domain"


def test_deliverability_check_follows_the_setting(settings, monkeypatch):
    calls = []
    real = validators.validate_email

    def spy(*args, **kwargs):
        calls.append(kwargs["check_deliverability"])
        return real(*args, **{**kwargs, "check_deliverability": False})

    monkeypatch.setattr(validators, "validate_email", spy)
    normalize_alternate_email("anna@example.org", tenant_domains=[], sign_in_name="")
    settings.SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY = True
    normalize_alternate_email("anna@example.org", tenant_domains=[], sign_in_name="")
    assert calls == [False, True]


def test_undeliverable_address_is_refused(settings, monkeypatch):
    def undeliverable(*args, **kwargs):
        raise EmailUndeliverableError("The domain name nowhere.example does not exist.")

    settings.SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY = True
    monkeypatch.setattr(validators, "validate_email", undeliverable)
    error = _error(
        normalize_alternate_email, "anna@nowhere.example", tenant_domains=[], sign_in_name=""
    )
    assert error.code == "invalid"
    assert error.messages == [
        "This address can't receive email: The domain name nowhere.example does not exist. "
        "Check the part after the @."
    ]


# --- alternate email: display -----------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        pytest.param("anna@example.org", "a•••@example.org", id="plain"),
        pytest.param("Anna@example.org", "A•••@example.org", id="case-kept"),
        pytest.param("a@example.org", "a•••@example.org", id="one-character"),
        pytest.param("anna@xn--mller-kva.example", "a•••@müller.example", id="idn-as-written"),
        pytest.param("no-at-sign", "•••", id="not-an-address"),
        pytest.param("", "•••", id="empty"),
    ],
)
def test_email_is_masked(address, masked):
    assert mask_email(address) == masked


# --- properties ---------------------------------------------------------------

REGIONS = st.sampled_from(["NL", "DE", "US", "BE", "GB", "", "XX"])
PHONE_LIKE = st.from_regex(r"(\+|00)?[0-9 ()\-./]{0,20}", fullmatch=True)


@given(raw=st.one_of(st.text(max_size=100), PHONE_LIKE), region=REGIONS)
@example(raw="06 12345678", region="NL")
@example(raw="+1 650 253 0000", region="")
def test_any_text_gives_an_e164_number_or_a_validation_error(raw, region):
    try:
        number = parse_mobile_number(raw, region=region)
    except ValidationError as error:
        assert error.code in {"required", "invalid", "not_mobile", "country_not_allowed"}
        return
    assert E164.fullmatch(number)
    assert parse_mobile_number(number, region=region) == number
    assert phonenumbers.is_valid_number(phonenumbers.parse(number))


@given(raw=st.one_of(st.text(max_size=100), st.emails()))
@example(raw="Anna@BÜCHER.example")
def test_any_text_gives_a_normalized_address_or_a_validation_error(raw):
    try:
        address = normalize_alternate_email(raw, tenant_domains=DOMAINS, sign_in_name=SIGN_IN)
    except ValidationError as error:
        assert error.code in {"required", "invalid", "own_domain", "same_as_sign_in"}
        return
    domain = address.rpartition("@")[2]
    assert address.isascii()
    assert domain == domain.lower()
    assert normalize_alternate_email(address, tenant_domains=DOMAINS, sign_in_name=SIGN_IN) == (
        address
    )
