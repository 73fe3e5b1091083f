"""Check payment cards and hand them to a payment provider chosen by settings.

A card number is checked here (``validate_card``: digits, length, Luhn, expiry,
security code), then handed to the provider (``get_provider().tokenize_card``),
which answers with a ``CardToken``: the provider's token, the brand, the last
four digits and the expiry. That is all the portal stores. The number itself is
never stored, logged or put in an exception message, and the functions that
hold it are marked with ``sensitive_variables`` so Django's error reports (the
500 email, the debug page with DEBUG off) hide it. Callers that hold the number
(forms, services, views) must do the same.

``settings.BILLING_PAYMENT_PROVIDER`` is the dotted path of a
``PaymentProvider`` subclass; the default is ``FakePaymentProvider``, which
accepts the usual test card numbers and declines everything else, for
development and tests. The setting is read on every call, so
``override_settings`` works.

A provider that refuses a card or a charge raises ``PaymentDeclined``, whose
``message`` can be shown to the user as it is; nothing has been created or
charged then. A misconfigured provider raises ``ImproperlyConfigured``, because
that is for the operator to fix, not the user.
"""

import functools
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from stdnum import luhn

logger = logging.getLogger(__name__)

DEFAULT_PROVIDER = "billing.payments.FakePaymentProvider"

MIN_NUMBER_LENGTH = 12
MAX_NUMBER_LENGTH = 19

# How far ahead an expiry date may lie; cards are issued for a few years, so a
# date beyond this is a typing error.
MAX_YEARS_AHEAD = 20

# Spaces and dashes people type or paste between the groups of digits.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")
_CURRENCY = re.compile(r"[A-Z]{3}")


# Numbers ----------------------------------------------------------------------


@sensitive_variables()
def normalize_card_number(value: str) -> str:
    """
    Return ``value`` without the spaces and dashes between its digits.

    Raise ValidationError when anything but ASCII digits remains (or nothing).
    """
    digits = _SEPARATORS.sub("", value) if isinstance(value, str) else ""
    # str.isdigit() alone also accepts other scripts' digits and superscripts.
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(_("Enter the card number using digits only."), code="invalid_number")
    return digits


@sensitive_variables()
def luhn_valid(number: str) -> bool:
    """Return whether ``number`` (digits only) passes the Luhn checksum."""
    return (
        isinstance(number, str) and number.isascii() and number.isdigit() and luhn.is_valid(number)
    )


@sensitive_variables()
def card_brand(number: str) -> str:
    """
    Return the brand of ``number`` (digits only) from its issuer prefix:
    "visa", "mastercard", "amex" or "unknown".
    """
    if not (isinstance(number, str) and number.isascii() and number.isdigit()):
        return "unknown"
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    # Mastercard: 51-55, and 2221-2720 since 2017.
    if "51" <= number[:2] <= "55" or (len(number) >= 4 and "2221" <= number[:4] <= "2720"):
        return "mastercard"
    return "unknown"


def cvc_length(brand: str) -> int:
    """Return how many digits the security code of a ``brand`` card has."""
    return 4 if brand == "amex" else 3


@sensitive_variables()
def validate_card(*, number, exp_month, exp_year, cvc, today: date | None = None) -> None:
    """
    Check the card's number, expiry and security code (CVC).

    Raise ValidationError with a dict of errors keyed "number", "expiry" and
    "cvc". A card is valid through the last day of its expiry month, counted
    from ``today`` (default: today in TIME_ZONE). A two-digit year is taken as
    20YY.
    """
    today = today or timezone.localdate()
    errors = {}
    brand = "unknown"

    try:
        digits = normalize_card_number(number)
    except ValidationError as exc:
        errors["number"] = exc
    else:
        brand = card_brand(digits)
        if not MIN_NUMBER_LENGTH <= len(digits) <= MAX_NUMBER_LENGTH:
            errors["number"] = ValidationError(
                _("A card number has %(min)d to %(max)d digits."),
                code="invalid_length",
                params={"min": MIN_NUMBER_LENGTH, "max": MAX_NUMBER_LENGTH},
            )
        elif not luhn_valid(digits):
            errors["number"] = ValidationError(
                _("This card number is not valid. Check it for typing errors."),
                code="invalid_checksum",
            )

    month, year = _as_int(exp_month), _as_int(exp_year)
    if year is not None and 0 <= year < 100:
        year += 2000
    if month is None or year is None or not 1 <= month <= 12 or year > today.year + MAX_YEARS_AHEAD:
        errors["expiry"] = ValidationError(
            _("Enter a valid expiry month and year."), code="invalid_expiry"
        )
    elif (year, month) < (today.year, today.month):
        errors["expiry"] = ValidationError(_("This card has expired."), code="expired_card")

    code = cvc.strip() if isinstance(cvc, str) else ""
    if not (code.isascii() and code.isdigit() and len(code) == cvc_length(brand)):
        if brand == "amex":
            message = _("Enter the 4-digit security code from the front of the card.")
        else:
            message = _("Enter the 3-digit security code from the back of the card.")
        errors["cvc"] = ValidationError(message, code="invalid_cvc")

    if errors:
        raise ValidationError(errors)


def _as_int(value):
    """Return ``value`` as an int (forms hand over strings), or None."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# What a provider answers ------------------------------------------------------


@dataclass(frozen=True)
class CardToken:
    """A card as the provider knows it: everything the portal may store about it."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Charge:
    """A successful charge: the provider's id, the amount and its ISO 4217 currency."""

    id: str
    amount: Decimal
    currency: str


class PaymentDeclined(Exception):
    """
    The provider refused the card or the charge; nothing was created or charged.

    ``message`` is written for the user and may be shown as it is; ``code`` is
    a short machine-readable reason ("card_declined", "insufficient_funds",
    ...). Neither ever contains the card number.
    """

    def __init__(self, message, code="card_declined"):
        # Both in args, so the exception pickles (to a worker and back) intact.
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)

    def __repr__(self):
        return f"{type(self).__name__}({str(self.message)!r}, code={self.code!r})"


# Providers --------------------------------------------------------------------


def check_charge_amount(amount, currency):
    """
    Raise TypeError unless ``amount`` is a Decimal, and ValueError unless it is
    finite and positive and ``currency`` is an ISO 4217 code such as "EUR".

    Programming errors, not the user's: money never travels as a float.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"A charge amount must be a Decimal, not {type(amount).__name__}.")
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"A charge amount must be positive, not {amount}.")
    if not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        raise ValueError(f"A currency must be an ISO 4217 code such as 'EUR', not {currency!r}.")


class PaymentProvider:
    """
    Base class for payment providers: subclasses implement ``tokenize_card``
    and ``charge``.

    ``get_provider`` makes one instance per class path and shares it between
    threads: keep no per-request state on ``self``, and keep what a second app
    node would need (tokens, charges) with the provider or in a shared store,
    not in process memory.
    """

    def tokenize_card(self, *, number, exp_month, exp_year, cvc, holder_name) -> CardToken:
        """
        Hand the card to the provider and return its CardToken.

        Raise PaymentDeclined when the provider refuses the card. Never store
        or log ``number`` or ``cvc``, and never put them in an exception;
        decorate the implementation with ``sensitive_variables()``.
        """
        raise NotImplementedError(
            "Subclasses of PaymentProvider must provide a tokenize_card() method."
        )

    def charge(self, *, token: str, amount: Decimal, currency: str, description: str) -> Charge:
        """
        Charge ``amount`` in ``currency`` to the card behind ``token`` and
        return the Charge.

        Call ``check_charge_amount`` first (TypeError for a float amount).
        Raise PaymentDeclined when the provider refuses the charge or does not
        know the token.
        """
        raise NotImplementedError("Subclasses of PaymentProvider must provide a charge() method.")


class FakePaymentProvider(PaymentProvider):
    """
    Accept the usual test card numbers and decline all others, for development
    and tests. Nothing leaves the machine.

    Tokens are kept in the default cache (shared by all app nodes when it is
    Redis) with the brand, last four digits and expiry of their card; never
    the number. A token the cache has lost or never held declines.
    """

    # The test numbers payment providers publish, and what this one does with
    # each: None accepts the card, a (code, message) pair declines it.
    TEST_CARDS = {
        "4242424242424242": None,  # Visa
        "4000056655665556": None,  # Visa (debit)
        "5555555555554444": None,  # Mastercard
        "2223003122003222": None,  # Mastercard (2-series)
        "378282246310005": None,  # American Express
        "4000000000000002": ("card_declined", _("Your card was declined.")),
        "4000000000009995": (
            "insufficient_funds",
            _("Your card was declined because of insufficient funds."),
        ),
        "4000000000000069": ("expired_card", _("Your card was declined because it has expired.")),
    }

    not_a_test_card_message = _(
        "Your card was declined: this is a test system, which accepts only test card "
        "numbers. No real card can be charged here."
    )
    unknown_token_message = _(
        "The payment provider does not know this payment method any more. "
        "Add the card again, or choose another payment method."
    )

    cache_alias = "default"
    cache_key_prefix = "billing:fake-payment-token:"

    @sensitive_variables()
    def tokenize_card(self, *, number, exp_month, exp_year, cvc, holder_name) -> CardToken:
        try:
            validate_card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
        except ValidationError as exc:
            # What a real provider would answer about a card a form let through.
            first = next(iter(exc.error_dict.values()))[0]
            raise PaymentDeclined(first.messages[0], code=first.code) from None
        digits = normalize_card_number(number)
        brand, last4 = card_brand(digits), digits[-4:]
        if digits not in self.TEST_CARDS:
            self._decline(brand, last4, "not_a_test_card", self.not_a_test_card_message)
        if outcome := self.TEST_CARDS[digits]:
            self._decline(brand, last4, *outcome)

        year = int(exp_year)
        card = CardToken(
            token=f"tok_fake_{secrets.token_hex(12)}",
            brand=brand,
            last4=last4,
            exp_month=int(exp_month),
            exp_year=year + 2000 if year < 100 else year,
        )
        self._remember(card)
        logger.info("Fake payment provider accepted a %s card ending in %s.", brand, last4)
        return card

    def charge(self, *, token: str, amount: Decimal, currency: str, description: str) -> Charge:
        check_charge_amount(amount, currency)
        card = self._recall(token)
        if card is None:
            logger.info("Fake payment provider declined a charge: unknown token.")
            raise PaymentDeclined(self.unknown_token_message, code="invalid_token")
        charge = Charge(id=f"ch_fake_{secrets.token_hex(12)}", amount=amount, currency=currency)
        logger.info(
            "Fake payment provider charged %s %s to a %s card ending in %s (%s): %s",
            amount,
            currency,
            card.brand,
            card.last4,
            charge.id,
            description,
        )
        return charge

    def _decline(self, brand, last4, code, message):
        logger.info("Fake payment provider declined a %s card ending in %s: %s", brand, last4, code)
        raise PaymentDeclined(message, code=code)

    def _remember(self, card: CardToken):
        # No timeout: a saved payment method is charged again months later.
        caches[self.cache_alias].set(
            self.cache_key_prefix + card.token,
            {
                "brand": card.brand,
                "last4": card.last4,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
            },
            timeout=None,
        )

    def _recall(self, token) -> CardToken | None:
        """Return the CardToken stored for ``token``, or None."""
        if not isinstance(token, str) or not token.startswith("tok_fake_"):
            return None
        stored = caches[self.cache_alias].get(self.cache_key_prefix + token)
        return CardToken(token=token, **stored) if stored else None


def get_provider() -> PaymentProvider:
    """
    Return the payment provider named by settings.BILLING_PAYMENT_PROVIDER.

    Read the setting on every call (so ``override_settings`` works) but make
    one instance per class path. Raise ImproperlyConfigured when the path does
    not name a PaymentProvider subclass.
    """
    path = getattr(settings, "BILLING_PAYMENT_PROVIDER", DEFAULT_PROVIDER)
    if not isinstance(path, str):
        raise ImproperlyConfigured(
            "BILLING_PAYMENT_PROVIDER must be the dotted path of a payment provider class, "
            f"not {path!r}."
        )
    return _provider_for_path(path)


@functools.cache
def _provider_for_path(path):
    try:
        provider_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"BILLING_PAYMENT_PROVIDER {path!r} could not be imported: {exc}"
        ) from exc
    if not (isinstance(provider_class, type) and issubclass(provider_class, PaymentProvider)):
        raise ImproperlyConfigured(
            f"BILLING_PAYMENT_PROVIDER {path!r} is not a subclass of "
            "billing.payments.PaymentProvider."
        )
    return provider_class()
