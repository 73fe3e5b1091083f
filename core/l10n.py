"""Money, numbers, dates and country names in the reader's language.

Everything here formats for people, in the active language unless a ``language``
is given (an invoice PDF is set in its billing account's language). Money and
percentages come from Babel with CLDR data ("€ 1.234,56" in Dutch, "€1,234.56" in
English); dates from Django's per-language formats; country names from
django-countries' translations. Files meant for machines (CSV exports, audit
exports) keep ISO dates and plain decimals and do not use this module.
"""

import functools
from datetime import UTC
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_percent, get_currency_precision
from django.conf import settings
from django.utils import dateformat, formats, translation
from django_countries import countries


def _language(language):
    return language or translation.get_language() or settings.LANGUAGE_CODE


@functools.cache
def _babel_locale(language):
    """Return the Babel locale of a Django language code ("nl", "pt-br")."""
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(translation.to_locale(settings.LANGUAGE_CODE))


def _exact_context(value):
    """Return a decimal context that holds ``value`` whole and rounds half up, like pricing."""
    return Context(prec=max(28, value.adjusted() + 8), rounding=ROUND_HALF_UP)


def format_money(amount, currency, *, language=None):
    """Return ``amount`` of ``currency`` (an ISO 4217 code) as people of ``language`` write it.

    The amount is rounded half up to the currency's minor unit (cents for EUR), and
    never shows as "-0.00". Empty for None.
    """
    if amount is None or amount == "":
        return ""
    value = Decimal(amount)
    with localcontext(_exact_context(value)):
        value = value.quantize(Decimal(1).scaleb(-get_currency_precision(currency)))
        if value.is_zero():
            value = value.copy_abs()
        return format_currency(value, currency, locale=_babel_locale(_language(language)))


def format_percent_value(rate, *, language=None):
    """Return ``rate``, a percentage (21 for 21 %), as ``language`` writes it: "5,5%"."""
    value = Decimal(rate)
    with localcontext(_exact_context(value)):
        return format_percent(
            value.scaleb(-2),
            locale=_babel_locale(_language(language)),
            decimal_quantization=False,
        )


def format_number(value, *, language=None):
    """Return a number with the grouping and decimal sign of ``language``: "12.345,5"."""
    with translation.override(_language(language)):
        return formats.number_format(value, use_l10n=True, force_grouping=True)


def format_month_day(value, *, language=None):
    """Return the day and month of a date, short, in ``language``: "22-11", "11/22"."""
    return format_skeleton("Md", value, locale=_babel_locale(_language(language)))


def format_date(value, format_name="DATE_FORMAT", *, language=None):
    """Return a date (or datetime) in the named Django format of ``language``."""
    if value is None or value == "":
        return ""
    with translation.override(_language(language)):
        return formats.date_format(value, format_name)


# Django date format characters that are plain numbers, the same in every language.
_NUMERIC_FORMAT_CHARACTERS = {
    "d": lambda value: f"{value.day:02d}",
    "j": lambda value: str(value.day),
    "m": lambda value: f"{value.month:02d}",
    "n": lambda value: str(value.month),
    "Y": lambda value: f"{value.year:04d}",
    "y": lambda value: f"{value.year % 100:02d}",
    "H": lambda value: f"{value.hour:02d}",
    "G": lambda value: str(value.hour),
    "i": lambda value: f"{value.minute:02d}",
    "s": lambda value: f"{value.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _numeric_format(format_string):
    """Return ``format_string`` (Django's syntax) as a tuple of literals and callables.

    None when it uses a character that needs more than a number (month names,
    "a.m."): those are left to Django's own formatter.
    """
    parts = []
    escaped = False
    for character in format_string:
        if escaped:
            parts.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character in _NUMERIC_FORMAT_CHARACTERS:
            parts.append(_NUMERIC_FORMAT_CHARACTERS[character])
        elif character.isalpha():
            return None
        else:
            parts.append(character)
    return tuple(parts)


def format_utc_timestamp(value):
    """Return an aware datetime in UTC as the language's short date and a 24-hour time.

    "22-11-2026 07:15:57" in Dutch, "11/22/2026 07:15:57" in English: the clock of
    the audit log and of other event times, to the second. Tables show hundreds of
    these, so the numeric formats most languages use are evaluated here directly,
    several times faster than Django's date filter.
    """
    if value is None:
        return ""
    value = value.astimezone(UTC)
    format_string = f"{formats.get_format('SHORT_DATE_FORMAT')} H:i:s"
    parts = _numeric_format(format_string)
    if parts is None:
        return dateformat.format(value, format_string)
    return "".join(part if isinstance(part, str) else part(value) for part in parts)


def country_name(country, *, language=None):
    """Return the name of ``country`` (a code or a django-countries Country) in ``language``.

    Empty for an empty value; an unknown code is returned as given.
    """
    code = getattr(country, "code", country) or ""
    if not code:
        return ""
    with translation.override(_language(language)):
        return str(countries.name(code)) or str(code)


def localize_country_line(lines, country, *, language=None):
    """Return address ``lines`` with a last line that names ``country`` in ``language``.

    Addresses kept as text (an invoice's buyer, the seller's configured address)
    end in the country's name as written on the day they were kept, in whatever
    language was active then. When the last line names ``country`` in any language
    we speak (or is its code), it is given in ``language`` instead; other lines, and
    addresses that end in something else, stay as they are.
    """
    lines = tuple(lines)
    code = getattr(country, "code", country) or ""
    if not (lines and code) or lines[-1].strip().casefold() not in _country_names(code):
        return lines
    return (*lines[:-1], country_name(code, language=language))


@functools.cache
def _country_names(code):
    """Return the case-folded names of country ``code`` in every language we speak."""
    names = {str(code).casefold()}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.add(str(countries.name(code)).casefold())
    return frozenset(names)
