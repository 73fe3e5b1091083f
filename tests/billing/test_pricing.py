"""Money, term prices, term ends and proration, checked to the cent."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.pricing import (
    CENT,
    Frequency,
    money,
    prorate,
    quantity_change_amount,
    term_end,
    term_price,
)

D = Decimal

# Amounts from -100,000.00 to 100,000.00, and non-negative ones, as whole cents.
cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda n: D(n) / 100)
non_negative_cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: D(n) / 100)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
frequencies = st.sampled_from(list(Frequency))


@st.composite
def terms(draw):
    """Draw (term_start, term_end, a day inside the term or around it)."""
    start = draw(starts)
    end = term_end(start, draw(frequencies))
    on = start + timedelta(days=draw(st.integers(min_value=-5, max_value=(end - start).days + 5)))
    return start, end, on


# --- money ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(D("2.575"), D("2.58"), id="half-cent-rounds-up"),
        pytest.param(D("2.585"), D("2.59"), id="half-cent-up-not-to-even"),
        pytest.param(D("-2.575"), D("-2.58"), id="negative-half-cent-away-from-zero"),
        pytest.param(D("2.57499"), D("2.57"), id="below-half-cent-down"),
        pytest.param(D("0.005"), D("0.01"), id="smallest-half-cent"),
        pytest.param(7, D("7.00"), id="int"),
        pytest.param("7.994", D("7.99"), id="string"),
        pytest.param(" 7.995 ", D("8.00"), id="string-with-spaces"),
    ],
)
def test_money_rounds_half_up_to_cents(value, expected):
    result = money(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [0.1, 7.99, True, None, [1]])
def test_money_refuses_floats_and_other_types(value):
    with pytest.raises(TypeError):
        money(value)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", D("NaN")])
def test_money_refuses_text_that_is_no_finite_number(value):
    with pytest.raises(ValueError):
        money(value)


# --- term prices ------------------------------------------------------------


@pytest.mark.parametrize(
    ("monthly", "frequency", "discount", "expected"),
    [
        pytest.param(D("6.00"), Frequency.MONTHLY, D("0"), D("6.00"), id="monthly"),
        pytest.param(D("6.00"), Frequency.MONTHLY, D("16.67"), D("6.00"), id="monthly-no-discount"),
        pytest.param(D("6.00"), Frequency.ANNUAL, D("0"), D("72.00"), id="annual-no-discount"),
        # 72.00 * 0.8333 = 59.9976
        pytest.param(D("6.00"), Frequency.ANNUAL, D("16.67"), D("60.00"), id="annual-16.67%"),
        # 95.88 * 0.8333 = 79.896804
        pytest.param(D("7.99"), Frequency.ANNUAL, D("16.67"), D("79.90"), id="annual-7.99-16.67%"),
        # 143.88 * 0.9 = 129.492
        pytest.param(D("11.99"), Frequency.ANNUAL, D("10"), D("129.49"), id="annual-10%"),
        # 12.50 * 12 * 0.95 = 142.50
        pytest.param(D("12.50"), "annual", D("5"), D("142.50"), id="frequency-as-string"),
        pytest.param(D("9.99"), Frequency.ANNUAL, D("100"), D("0.00"), id="annual-free"),
    ],
)
def test_term_price(monthly, frequency, discount, expected):
    price = term_price(monthly_price=monthly, frequency=frequency, annual_discount_percent=discount)
    assert price == expected


def test_term_price_annual_discount_defaults_to_none():
    assert term_price(monthly_price=D("4.00"), frequency=Frequency.ANNUAL) == D("48.00")


@pytest.mark.parametrize(
    ("monthly", "discount", "error"),
    [
        pytest.param(6.0, D("0"), TypeError, id="float-price"),
        pytest.param(D("6.00"), 16.67, TypeError, id="float-discount"),
        pytest.param(D("-1.00"), D("0"), ValueError, id="negative-price"),
        pytest.param(D("6.00"), D("-1"), ValueError, id="negative-discount"),
        pytest.param(D("6.00"), D("100.01"), ValueError, id="discount-over-100"),
    ],
)
def test_term_price_refuses_bad_input(monthly, discount, error):
    with pytest.raises(error):
        term_price(
            monthly_price=monthly, frequency=Frequency.ANNUAL, annual_discount_percent=discount
        )


def test_term_price_refuses_unknown_frequency():
    with pytest.raises(ValueError):
        term_price(monthly_price=D("6.00"), frequency="weekly")


# --- term ends ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "frequency", "expected"),
    [
        pytest.param(date(2025, 3, 15), Frequency.MONTHLY, date(2025, 4, 15), id="mid-month"),
        pytest.param(date(2025, 12, 10), Frequency.MONTHLY, date(2026, 1, 10), id="over-new-year"),
        pytest.param(date(2025, 1, 31), Frequency.MONTHLY, date(2025, 2, 28), id="jan31-clamped"),
        pytest.param(date(2024, 1, 31), Frequency.MONTHLY, date(2024, 2, 29), id="jan31-leap"),
        pytest.param(date(2025, 3, 31), Frequency.MONTHLY, date(2025, 4, 30), id="mar31-to-apr30"),
        pytest.param(date(2025, 2, 28), Frequency.MONTHLY, date(2025, 3, 28), id="feb28-not-end"),
        pytest.param(date(2025, 6, 1), Frequency.ANNUAL, date(2026, 6, 1), id="annual"),
        pytest.param(date(2024, 2, 29), Frequency.ANNUAL, date(2025, 2, 28), id="annual-leap-day"),
        pytest.param(date(2025, 5, 5), "monthly", date(2025, 6, 5), id="frequency-as-string"),
    ],
)
def test_term_end(start, frequency, expected):
    assert term_end(start, frequency) == expected


def test_term_end_counts_later_terms_from_the_first_day_without_drift():
    first = date(2025, 1, 31)
    ends = [term_end(first, Frequency.MONTHLY, periods=n) for n in range(1, 5)]
    assert ends == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]
    assert term_end(date(2024, 2, 29), Frequency.ANNUAL, periods=4) == date(2028, 2, 29)


def test_term_end_refuses_zero_periods():
    with pytest.raises(ValueError):
        term_end(date(2025, 1, 1), Frequency.MONTHLY, periods=0)


@given(start=starts, frequency=frequencies)
def test_term_end_is_one_calendar_month_or_year_later(start, frequency):
    end = term_end(start, frequency)
    days = (end - start).days
    if frequency == Frequency.MONTHLY:
        assert 28 <= days <= 31
        assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1
    else:
        assert days in (365, 366)
        assert (end.year, end.month) == (start.year + 1, start.month)
    assert end.day <= start.day


# --- proration: worked examples ------------------------------------------------

APRIL = (date(2025, 4, 1), date(2025, 5, 1))  # 30 days
JANUARY = (date(2025, 1, 1), date(2025, 2, 1))  # 31 days
FEB_LEAP = (date(2024, 2, 1), date(2024, 3, 1))  # 29 days
YEAR_2025 = (date(2025, 1, 1), date(2026, 1, 1))  # 365 days
YEAR_2024 = (date(2024, 1, 1), date(2025, 1, 1))  # 366 days


@pytest.mark.parametrize(
    ("amount", "term", "on", "expected"),
    [
        # 7.99 * 10 / 31 = 2.5774...
        pytest.param(D("7.99"), JANUARY, date(2025, 1, 22), D("2.58"), id="7.99-10-of-31-days"),
        # 6.00 * 20 / 30
        pytest.param(D("6.00"), APRIL, date(2025, 4, 11), D("4.00"), id="6.00-20-of-30-days"),
        # 10.00 * 1 / 30 = 0.3333...
        pytest.param(D("10.00"), APRIL, date(2025, 4, 30), D("0.33"), id="last-day"),
        # 9.99 * 15 / 29 = 5.1672...
        pytest.param(D("9.99"), FEB_LEAP, date(2024, 2, 15), D("5.17"), id="leap-february"),
        # 60.00 * 183 / 366 = 30.00 exactly
        pytest.param(D("60.00"), YEAR_2024, date(2024, 7, 2), D("30.00"), id="leap-year-half"),
        # 60.00 * 183 / 365 = 30.0821...
        pytest.param(D("60.00"), YEAR_2025, date(2025, 7, 2), D("30.08"), id="common-year"),
        # 79.90 * 100 / 365 = 21.8904...
        pytest.param(D("79.90"), YEAR_2025, date(2025, 9, 23), D("21.89"), id="annual-100-days"),
        # 0.10 * 15 / 30 = 0.05; 0.01 * 15 / 30 = 0.005 exactly: half up
        pytest.param(D("0.10"), APRIL, date(2025, 4, 16), D("0.05"), id="small-amount"),
        pytest.param(D("0.01"), APRIL, date(2025, 4, 16), D("0.01"), id="exact-half-cent-up"),
        pytest.param(D("-0.01"), APRIL, date(2025, 4, 16), D("-0.01"), id="negative-half-cent"),
        pytest.param(D("7.99"), JANUARY, date(2025, 1, 1), D("7.99"), id="on-term-start"),
        pytest.param(D("7.99"), JANUARY, date(2024, 12, 15), D("7.99"), id="before-term"),
        pytest.param(D("7.99"), JANUARY, date(2025, 2, 1), D("0.00"), id="on-term-end"),
        pytest.param(D("7.99"), JANUARY, date(2025, 3, 1), D("0.00"), id="after-term"),
    ],
)
def test_prorate_worked_examples(amount, term, on, expected):
    start, end = term
    result = prorate(term_amount=amount, term_start=start, term_end=end, on=on)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_prorate_refuses_an_empty_term():
    with pytest.raises(ValueError):
        prorate(
            term_amount=D("1.00"),
            term_start=date(2025, 1, 1),
            term_end=date(2025, 1, 1),
            on=date(2025, 1, 1),
        )


def test_prorate_refuses_float():
    start, end = JANUARY
    with pytest.raises(TypeError):
        prorate(term_amount=7.99, term_start=start, term_end=end, on=start)


# --- quantity changes: worked examples -----------------------------------------


@pytest.mark.parametrize(
    ("unit", "old", "new", "term", "on", "expected"),
    [
        # 3 added on day 11 of 30: 18.00 * 20 / 30
        pytest.param(D("6.00"), 2, 5, APRIL, date(2025, 4, 11), D("12.00"), id="add-3-day-11"),
        pytest.param(D("6.00"), 5, 2, APRIL, date(2025, 4, 11), D("-12.00"), id="remove-3-day-11"),
        # 7.99 * 10 / 31 = 2.5774...
        pytest.param(D("7.99"), 0, 1, JANUARY, date(2025, 1, 22), D("2.58"), id="add-1"),
        # The difference is prorated, not each license: 23.97 * 10 / 31 = 7.7322...
        # (3 * 2.58 would be 7.74).
        pytest.param(D("7.99"), 1, 4, JANUARY, date(2025, 1, 22), D("7.73"), id="add-3-once"),
        pytest.param(D("7.99"), 4, 1, JANUARY, date(2025, 1, 22), D("-7.73"), id="remove-3-once"),
        # Annual at 16.67% off (79.90), 10 licenses added with 100 of 366 days left:
        # 799.00 * 100 / 366 = 218.3060...
        pytest.param(
            D("79.90"), 10, 20, YEAR_2024, date(2024, 9, 23), D("218.31"), id="annual-leap"
        ),
        pytest.param(D("6.00"), 3, 3, APRIL, date(2025, 4, 11), D("0.00"), id="no-change"),
        pytest.param(D("6.00"), 0, 3, APRIL, date(2025, 4, 1), D("18.00"), id="on-term-start"),
        pytest.param(D("6.00"), 0, 3, APRIL, date(2025, 5, 1), D("0.00"), id="on-term-end"),
    ],
)
def test_quantity_change_amount_worked_examples(unit, old, new, term, on, expected):
    start, end = term
    amount = quantity_change_amount(
        unit_term_price=unit,
        old_quantity=old,
        new_quantity=new,
        term_start=start,
        term_end=end,
        on=on,
    )
    assert amount == expected


@pytest.mark.parametrize(("old", "new"), [(-1, 2), (2, -1), (1.0, 2), (1, True), ("1", 2)], ids=str)
def test_quantity_change_amount_refuses_bad_quantities(old, new):
    start, end = APRIL
    with pytest.raises(ValueError):
        quantity_change_amount(
            unit_term_price=D("6.00"),
            old_quantity=old,
            new_quantity=new,
            term_start=start,
            term_end=end,
            on=start,
        )


# --- proration: properties ------------------------------------------------------


@given(amount=non_negative_cents, term=terms())
def test_prorate_is_between_nothing_and_the_term_amount(amount, term):
    start, end, on = term
    result = prorate(term_amount=amount, term_start=start, term_end=end, on=on)
    assert D("0") <= result <= amount


@given(amount=cents, start=starts, frequency=frequencies)
def test_prorate_on_term_start_is_the_term_amount(amount, start, frequency):
    end = term_end(start, frequency)
    assert prorate(term_amount=amount, term_start=start, term_end=end, on=start) == amount


@given(amount=cents, term=terms())
def test_prorate_of_a_credit_is_the_exact_negative_of_the_charge(amount, term):
    start, end, on = term
    charge = prorate(term_amount=amount, term_start=start, term_end=end, on=on)
    credit = prorate(term_amount=-amount, term_start=start, term_end=end, on=on)
    assert credit == -charge


@given(a=cents, b=cents, term=terms())
def test_prorate_is_additive_within_one_cent(a, b, term):
    start, end, on = term
    separately = prorate(term_amount=a, term_start=start, term_end=end, on=on) + prorate(
        term_amount=b, term_start=start, term_end=end, on=on
    )
    together = prorate(term_amount=a + b, term_start=start, term_end=end, on=on)
    assert abs(separately - together) <= CENT


@given(amount=non_negative_cents, term=terms(), later=st.integers(min_value=0, max_value=400))
def test_prorate_never_grows_later_in_the_term(amount, term, later):
    start, end, on = term
    earlier_share = prorate(term_amount=amount, term_start=start, term_end=end, on=on)
    later_on = on + timedelta(days=later)
    later_share = prorate(term_amount=amount, term_start=start, term_end=end, on=later_on)
    assert later_share <= earlier_share


@given(
    unit=non_negative_cents,
    old=st.integers(min_value=0, max_value=500),
    added=st.integers(min_value=0, max_value=500),
    term=terms(),
)
def test_adding_then_removing_licenses_the_same_day_nets_zero(unit, old, added, term):
    start, end, on = term
    common = {"unit_term_price": unit, "term_start": start, "term_end": end, "on": on}
    up = quantity_change_amount(old_quantity=old, new_quantity=old + added, **common)
    down = quantity_change_amount(old_quantity=old + added, new_quantity=old, **common)
    assert up >= 0
    assert up + down == 0


@given(
    unit=non_negative_cents,
    added=st.integers(min_value=1, max_value=500),
    term=terms(),
    held=st.integers(min_value=0, max_value=400),
)
def test_licenses_held_for_some_days_never_leave_a_credit(unit, added, term, held):
    start, end, on = term
    common = {"unit_term_price": unit, "term_start": start, "term_end": end}
    up = quantity_change_amount(old_quantity=1, new_quantity=1 + added, on=on, **common)
    down = quantity_change_amount(
        old_quantity=1 + added, new_quantity=1, on=on + timedelta(days=held), **common
    )
    assert up + down >= 0


@given(
    unit=non_negative_cents,
    old=st.integers(min_value=0, max_value=500),
    new=st.integers(min_value=0, max_value=500),
    term=terms(),
)
def test_quantity_change_amount_is_the_prorated_difference(unit, old, new, term):
    start, end, on = term
    amount = quantity_change_amount(
        unit_term_price=unit,
        old_quantity=old,
        new_quantity=new,
        term_start=start,
        term_end=end,
        on=on,
    )
    expected = prorate(term_amount=unit * (new - old), term_start=start, term_end=end, on=on)
    assert amount == expected
    assert amount >= 0 if new >= old else amount <= 0
