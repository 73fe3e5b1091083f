"""Where invoices are paid by bank transfer: the seller's account, from the settings.

``BILLING_SELLER_IBAN`` and ``BILLING_SELLER_BIC`` are checked with python-stdnum
(the IBAN's check digits and its country's account format, the BIC's shape) when
the billing app starts, so a mistyped account stops the portal with a clear
``ImproperlyConfigured`` instead of sending customers' money astray on every invoice.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from stdnum import bic, iban
from stdnum.exceptions import ValidationError as NumberError


@dataclass(frozen=True)
class BankAccount:
    """An account to pay into: its holder, IBAN and BIC, both in compact form."""

    holder: str
    iban: str
    bic: str

    @property
    def iban_display(self) -> str:
        """Return the IBAN in groups of four, as it is printed ("NL91 ABNA 0417 1643 00")."""
        return iban.format(self.iban)


def bank_account() -> BankAccount:
    """Return the seller's bank account; raise ImproperlyConfigured if it is not valid."""
    return BankAccount(
        holder=settings.BILLING_SELLER_NAME,
        iban=_checked("BILLING_SELLER_IBAN", iban, "an IBAN such as NL91ABNA0417164300"),
        bic=_checked("BILLING_SELLER_BIC", bic, "a BIC such as ABNANL2A"),
    )


def _checked(name, kind, example):
    value = str(getattr(settings, name, "") or "")
    try:
        return kind.validate(value)
    except NumberError as error:
        raise ImproperlyConfigured(f"{name} must be {example}, not {value!r}: {error}") from None
