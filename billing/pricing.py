"""Prices, billing terms and proration, in Decimal money with explicit rounding.

Money
    Every amount is a ``Decimal``; floats are refused (``TypeError``) because
    they cannot hold most cent amounts exactly. ``money()`` rounds to whole cents
    with ``ROUND_HALF_UP``: a half cent goes away from zero, so 2.575 becomes 2.58
    and -2.575 becomes -2.58. A credit is therefore always the exact negative of
    the matching charge.

Terms
    A monthly term ends on the same day of the next month, an annual term on the
    same day of the next year. Where that month is shorter the date is clamped to
    its last day: Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year), Feb 29 + 1
    year = Feb 28. Term ends are exclusive: the term [Jan 1, Feb 1) has 31 days.
    Clamping drifts when terms are chained (Jan 31 -> Feb 28 -> Mar 28), so
    compute every boundary from the subscription's first day with ``periods=n``
    (Jan 31 + 2 months = Mar 31) rather than from the previous term's end.

Proration
    A mid-term change is charged or credited by whole days: the share of the
    term amount for the days from the change day (inclusive) to the term end
    (exclusive), ``term_amount * remaining_days / term_days``. The exact
    quotient is rounded once, at the end, half up; nothing is rounded per day
    or per license. A change before the term starts counts the whole term, a
    change on or after its end counts nothing.

    A quantity change prorates the total difference (unit price times the number
    of licenses added or removed), not each license: 3 licenses at 7.99 over 10
    of 31 days cost 23.97 * 10 / 31 = 7.7322... = 7.73, not 3 * 2.58 = 7.74.
    Adding and then removing the same licenses on the same day nets exactly 0.
"""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MONTHS_PER_YEAR = 12

# Working precision for the one division in a proration: far more digits than a
# cent amount needs, and fixed so that the caller's decimal context cannot
# change a result.
DECIMAL_PRECISION = 34


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


# How many calendar months one term of each frequency lasts.
_TERM_MONTHS = {Frequency.MONTHLY: 1, Frequency.ANNUAL: MONTHS_PER_YEAR}


def to_decimal(value: Decimal | int | str, *, name: str = "value") -> Decimal:
    """Return ``value`` (a Decimal, int or numeric string) as a finite Decimal.

    Raise TypeError for a float, a bool or any other type, and ValueError for
    text that is no number, NaN or infinity.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"{name} must be a Decimal, int or str, not {type(value).__name__}; "
            "floats cannot hold cent amounts exactly."
        )
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def money(value: Decimal | int | str) -> Decimal:
    """Return ``value`` rounded to whole cents, half up (away from zero)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def term_price(
    *,
    monthly_price: Decimal,
    frequency: Frequency | str,
    annual_discount_percent: Decimal = Decimal("0"),
) -> Decimal:
    """Return the price of one license for one term of ``frequency``.

    Monthly: the monthly price. Annual: twelve months less the annual discount
    (a percentage from 0 to 100), ``12 * monthly_price * (1 - discount / 100)``,
    rounded once to cents. The discount applies to annual terms only.
    """
    monthly_price = to_decimal(monthly_price, name="monthly_price")
    discount = to_decimal(annual_discount_percent, name="annual_discount_percent")
    if monthly_price < 0:
        raise ValueError("monthly_price cannot be negative")
    if not 0 <= discount <= HUNDRED:
        raise ValueError("annual_discount_percent must be between 0 and 100")
    if Frequency(frequency) == Frequency.MONTHLY:
        return money(monthly_price)
    with localcontext() as context:
        context.prec = DECIMAL_PRECISION
        annual = MONTHS_PER_YEAR * monthly_price * (HUNDRED - discount) / HUNDRED
    return money(annual)


def add_months(start: date, months: int) -> date:
    """Return ``start`` moved by ``months`` calendar months, clamped to month end."""
    index = start.year * MONTHS_PER_YEAR + start.month - 1 + months
    year, month = divmod(index, MONTHS_PER_YEAR)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def term_end(start: date, frequency: Frequency | str, *, periods: int = 1) -> date:
    """Return the exclusive end of the term of ``frequency`` starting on ``start``.

    With ``periods=n``, return the end of the n-th consecutive term counted from
    ``start``; pass the subscription's first day to avoid month-end drift.
    """
    if periods < 1:
        raise ValueError("periods must be at least 1")
    return add_months(start, _TERM_MONTHS[Frequency(frequency)] * periods)


def prorate(*, term_amount: Decimal, term_start: date, term_end: date, on: date) -> Decimal:
    """Return the share of ``term_amount`` for the days from ``on`` to ``term_end``.

    Count whole days, ``on`` inclusive and ``term_end`` exclusive, and round
    ``term_amount * remaining_days / term_days`` once, half up. Before
    ``term_start`` the whole amount is due, from ``term_end`` on nothing. A
    negative ``term_amount`` (a credit) gives the exact negative of the charge.
    """
    amount = to_decimal(term_amount, name="term_amount")
    if term_end <= term_start:
        raise ValueError("term_end must be after term_start")
    if on <= term_start:
        return money(amount)
    if on >= term_end:
        return money(0)
    term_days = (term_end - term_start).days
    remaining_days = (term_end - on).days
    with localcontext() as context:
        context.prec = DECIMAL_PRECISION
        share = amount * remaining_days / term_days
    return money(share)


def quantity_change_amount(
    *,
    unit_term_price: Decimal,
    old_quantity: int,
    new_quantity: int,
    term_start: date,
    term_end: date,
    on: date,
) -> Decimal:
    """Return the charge (positive) or credit (negative) for a quantity change.

    Prorate the whole difference, ``unit_term_price * (new - old)``, over the
    rest of the term, rounding once, rather than prorating each license.
    """
    for name, quantity in (("old_quantity", old_quantity), ("new_quantity", new_quantity)):
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValueError(f"{name} must be a whole number of licenses, 0 or more")
    unit = to_decimal(unit_term_price, name="unit_term_price")
    return prorate(
        term_amount=unit * (new_quantity - old_quantity),
        term_start=term_start,
        term_end=term_end,
        on=on,
    )
