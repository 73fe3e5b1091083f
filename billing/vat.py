"""VAT on our invoices: the rate by the billing account's country, and VAT numbers.

The rules, deliberately simplified (not tax advice; review before going live):

- Buyer in the seller's country (``BILLING_SELLER_COUNTRY``, default NL):
  the seller's standard rate ("domestic"), with or without a VAT number.
- Buyer in another EU member state with a VAT number that passes the format
  and check-digit test: 0 %, reverse charge ("eu_reverse_charge"); the buyer
  accounts for the VAT. The number is not looked up in VIES here.
- Buyer in another EU member state without a valid VAT number: the seller's
  rate ("eu_b2c"). Under the OSS rules a business selling above the EU-wide
  threshold charges the buyer country's rate instead; we do not model that.
- Buyer outside the EU (including GB, CH, NO, US): no VAT, 0 %
  ("outside_eu"), no reverse charge; export rules are out of scope.

Only standard rates are known; there are no reduced rates. Countries are
ISO 3166-1 alpha-2 codes (as django-countries stores them), so Greece is "GR"
although its VAT numbers start with "EL".
"""

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumValidationError

from billing.pricing import DECIMAL_PRECISION, HUNDRED, money, to_decimal

DEFAULT_SELLER_COUNTRY = "NL"

# Standard VAT rates in percent, as in force at the start of 2026. Recent
# changes: FI 24 -> 25.5 (2024-09-01), LU back to 17 (2024-01-01), SK 20 -> 23
# (2025-01-01), EE 22 -> 24 (2025-07-01), RO 19 -> 21 (2025-08-01).
VAT_RATES = {
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "BG": Decimal("20"),
    "CY": Decimal("19"),
    "CZ": Decimal("21"),
    "DE": Decimal("19"),
    "DK": Decimal("25"),
    "EE": Decimal("24"),
    "ES": Decimal("21"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "GR": Decimal("24"),
    "HR": Decimal("25"),
    "HU": Decimal("27"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LT": Decimal("21"),
    "LU": Decimal("17"),
    "LV": Decimal("21"),
    "MT": Decimal("18"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "RO": Decimal("21"),
    "SE": Decimal("25"),
    "SI": Decimal("22"),
    "SK": Decimal("23"),
}

# The 27 member states. Membership, not a known rate, decides whether a buyer
# is in the EU.
EU_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip

# VAT numbers carry the ISO code as prefix, except Greece's.
_VAT_PREFIXES = {"GR": "EL"}

# Separators people type in VAT numbers ("NL 0044.95.445.B01", "BE 0776-091-951").
_SEPARATORS = re.compile(r"[\s.\-/,]")

# No member state's VAT number is longer than 14 characters with its prefix;
# longer input is refused before any parsing.
VAT_NUMBER_MAX_INPUT_LENGTH = 32


class VatReason(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic VAT")
    EU_B2C = "eu_b2c", _("EU sale without a VAT number")
    EU_REVERSE_CHARGE = "eu_reverse_charge", _("Reverse charge")
    OUTSIDE_EU = "outside_eu", _("Outside the scope of EU VAT")


@dataclass(frozen=True)
class VatDecision:
    """The VAT to charge on one invoice: a rate in percent, and why."""

    rate: Decimal
    reverse_charge: bool
    reason: str


def seller_country() -> str:
    """Return the seller's country from ``BILLING_SELLER_COUNTRY`` (default NL).

    Raise ImproperlyConfigured if it is no EU member state with a known rate.
    """
    code = str(getattr(settings, "BILLING_SELLER_COUNTRY", DEFAULT_SELLER_COUNTRY))
    code = code.strip().upper()
    if code not in VAT_RATES:
        raise ImproperlyConfigured(
            f"BILLING_SELLER_COUNTRY must be an EU country code with a known VAT rate "
            f"({', '.join(sorted(VAT_RATES))}), not {code!r}."
        )
    return code


def _country_code(country) -> str:
    """Return ``country`` (a code or a django-countries Country) as an upper-case code."""
    code = str(getattr(country, "code", country) or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"Expected a two-letter country code, not {country!r}")
    return code


def _vat_prefix(country) -> str:
    """Return the VAT number prefix of an EU ``country``, or raise ValidationError."""
    code = _country_code(country)
    if code not in EU_COUNTRIES:
        raise ValidationError(
            _("VAT numbers are only recorded for countries in the European Union."),
            code="not_eu",
        )
    return _VAT_PREFIXES.get(code, code)


def _clean(value) -> str:
    return _SEPARATORS.sub("", str(value or "")).upper()


def normalize_vat_number(country, value: str) -> str:
    """Return ``value`` in compact form with the country's prefix ("NL004495445B01").

    Strip separators, upper-case, and add the prefix when it is missing. Do not
    check the number; return "" for empty input. Raise ValidationError (code
    "not_eu") for a country outside the EU.
    """
    prefix = _vat_prefix(country)
    number = _clean(value)
    if not number:
        return ""
    # Greek numbers are sometimes typed with the ISO code instead of "EL".
    for typed_prefix in (prefix, _country_code(country)):
        if number.startswith(typed_prefix):
            number = number[len(typed_prefix) :]
            break
    return prefix + number


def validate_vat_number(country, value: str) -> str:
    """Return the normalized VAT number of ``country``, or raise ValidationError.

    Check the format and check digits of the country with python-stdnum (not
    whether the number is registered). Codes: "not_eu" for a country outside
    the EU, "country_mismatch" for a valid number of another member state,
    "invalid" for anything else.
    """
    number = normalize_vat_number(country, value)
    code = _country_code(country)
    invalid = ValidationError(
        _("Enter a valid VAT number for %(country)s."),
        code="invalid",
        params={"country": code},
    )
    if not number or len(str(value)) > VAT_NUMBER_MAX_INPUT_LENGTH:
        raise invalid
    try:
        return eu_vat.validate(number)
    except StdnumValidationError:
        pass
    typed = _clean(value)
    other_prefixes = {_VAT_PREFIXES.get(c, c) for c in EU_COUNTRIES} - {_vat_prefix(country)}
    if typed[:2] in other_prefixes and eu_vat.is_valid(typed):
        raise ValidationError(
            _("This is a VAT number of another country (%(prefix)s), not of %(country)s."),
            code="country_mismatch",
            params={"prefix": typed[:2], "country": code},
        )
    raise invalid


def is_valid_vat_number(country, value: str) -> bool:
    """Return whether ``value`` is a valid VAT number of the EU ``country``."""
    try:
        validate_vat_number(country, value)
    except ValidationError:
        return False
    return True


def vat_for(*, buyer_country: str, buyer_vat_number: str = "") -> VatDecision:
    """Return the VAT to charge a buyer in ``buyer_country`` (see the module rules).

    A VAT number that is empty or invalid counts as none: the sale is then
    charged VAT, never wrongly reverse-charged. Validate numbers in the form
    to tell the buyer.
    """
    buyer = _country_code(buyer_country)
    seller = seller_country()
    if buyer == seller:
        return VatDecision(VAT_RATES[seller], reverse_charge=False, reason=VatReason.DOMESTIC)
    if buyer not in EU_COUNTRIES:
        return VatDecision(Decimal("0"), reverse_charge=False, reason=VatReason.OUTSIDE_EU)
    if buyer_vat_number and is_valid_vat_number(buyer, buyer_vat_number):
        return VatDecision(Decimal("0"), reverse_charge=True, reason=VatReason.EU_REVERSE_CHARGE)
    return VatDecision(VAT_RATES[seller], reverse_charge=False, reason=VatReason.EU_B2C)


def vat_amount(subtotal: Decimal, rate: Decimal) -> Decimal:
    """Return the VAT on ``subtotal`` at ``rate`` percent, rounded half up to cents.

    A negative subtotal (a credit note) gets the exact negative of the VAT.
    """
    subtotal = to_decimal(subtotal, name="subtotal")
    rate = to_decimal(rate, name="rate")
    if rate < 0:
        raise ValueError("rate cannot be negative")
    with localcontext() as context:
        context.prec = DECIMAL_PRECISION
        amount = subtotal * rate / HUNDRED
    return money(amount)
