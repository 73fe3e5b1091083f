"""Money, numbers, dates and country names in the reader's language.

Everything here formats for people, in the active language unless a ``language``
is given (an invoice PDF is set in its billing account's language). Money and
percentages come from Babel with CLDR data ("€ 1.234,56" in Dutch, "€1,234.56" in
English); dates from Django's per-language formats (``core/formats/``: "3 Dec
2026", "3 dec 2026"), times in the active time zone, the organization's, with the
zone named; country names from django-countries' translations. Files meant for
machines (CSV exports, audit exports) keep ISO 8601 dates and times (with the UTC
offset) and plain decimals and do not use this module.
"""

import functools
import zoneinfo
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_percent, get_currency_precision
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import dateformat, dates, formats, timezone, translation
from django.utils.translation import gettext as _
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
    """Return the day and month of a date, short, in ``language``: "22 Nov", "22 nov"."""
    return format_date(value, "MONTH_DAY_FORMAT", language=language)


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


@functools.cache
def _month_names(language):
    """Return ``{format character: the 12 month names}`` of ``language``, as Django writes them.

    "M" is the capitalized abbreviation ("Dec"), "b" the lower-case one ("dec",
    "mrt"), "F" the full name ("december"): Django's own translations, looked up
    once per language instead of once per date.
    """
    with translation.override(language):
        return {
            "M": tuple(str(dates.MONTHS_3[month]).title() for month in range(1, 13)),
            "b": tuple(str(dates.MONTHS_3[month]) for month in range(1, 13)),
            "F": tuple(str(dates.MONTHS[month]) for month in range(1, 13)),
        }


def _month_part(names):
    return lambda value: names[value.month - 1]


@functools.lru_cache(maxsize=64)
def _compiled_format(format_string, language):
    """Return ``format_string`` (Django's syntax) as a tuple of literals and callables.

    Numbers and month names (from a per-language table) are evaluated here
    directly. None when the format uses any other character ("a.m.", week days):
    those are left to Django's own formatter.
    """
    months = _month_names(language)
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
        elif character in months:
            parts.append(_month_part(months[character]))
        elif character.isalpha():
            return None
        else:
            parts.append(character)
    return tuple(parts)


@functools.cache
def _datetime_format(language, seconds):
    """Return the date-time format of ``language``, to the second when ``seconds``."""
    if seconds:
        for module in formats.get_format_modules(language):
            if hasattr(module, "DATETIME_SECONDS_FORMAT"):
                return module.DATETIME_SECONDS_FORMAT
    return formats.get_format("DATETIME_FORMAT", lang=language)


def zone_name(value):
    """Return the name of the time zone of aware ``value`` at that moment: "CET", "UTC+03".

    Zones without an abbreviation of their own are named by their offset, which
    the time zone database writes as a bare "+03".
    """
    name = value.tzname() or ""
    if name.startswith(("+", "-")):
        return f"UTC{name}"
    return name or value.strftime("UTC%z")


# The same numbers as ``_NUMERIC_FORMAT_CHARACTERS``, as fields of ``str.format``
# read from the local time (argument 0): a date is then one call to a C method.
_FORMAT_FIELDS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _format_template(format_string, language):
    """Return ``format_string`` as a ``str.format`` template and its month names, or None.

    The template reads the numbers from argument 0, the local time, the month
    name (at most one, "M", "b" or "F") from argument 1 and the zone's name from
    the last argument; the names are the ones ``_compiled_format`` uses. None when
    the format has anything else: ``_compiled_format`` (or Django) writes it.
    """
    if _compiled_format(format_string, language) is None:
        return None
    months = _month_names(language)
    parts, names = [], None
    escaped = False
    for character in format_string:
        if escaped or (character not in _NUMERIC_FORMAT_CHARACTERS and character not in months):
            if character == "\\" and not escaped:
                escaped = True
                continue
            escaped = False
            parts.append(character.replace("{", "{{").replace("}", "}}"))
        elif character in months:
            if names is not None:  # a second month name: left to the parts
                return None
            names = months[character]
            parts.append("{1}")
        elif character in _FORMAT_FIELDS:
            parts.append(_FORMAT_FIELDS[character])
        else:  # "y", the year in two digits: left to the parts
            return None
    zone = "{2}" if names is not None else "{1}"
    return "".join(parts) + " " + zone, names


def datetime_formatter(*, seconds=False, language=None):
    """Return a function that writes aware datetimes as ``format_datetime`` does.

    The language, its format and the active time zone are looked up once, here,
    and each call only does the arithmetic: a table formats all of its rows with
    one formatter (``core.tables.EventTimeColumn``).
    """
    language = _language(language)
    zone = timezone.get_current_timezone()
    format_string = _datetime_format(language, seconds)
    template = _format_template(format_string, language)
    if template is not None:
        write, names = template[0].format, template[1]

        def format_one(value):
            value = _in_zone(value, zone)
            if value is None:
                return ""
            if names is None:
                return write(value, zone_name(value))
            return write(value, names[value.month - 1], zone_name(value))

        return format_one
    parts = _compiled_format(format_string, language)

    def format_slow(value):
        value = _in_zone(value, zone)
        if value is None:
            return ""
        if parts is None:
            with translation.override(language):
                text = dateformat.format(value, format_string)
        else:
            text = "".join(part if isinstance(part, str) else part(value) for part in parts)
        return f"{text} {zone_name(value)}"

    return format_slow


def _in_zone(value, zone):
    """Return the aware datetime ``value`` in ``zone``; None for no value."""
    if value is None or value == "":
        return None
    if value.utcoffset() is None:
        raise ValueError("An event time must be an aware datetime.")
    return value.astimezone(zone)


def format_datetimes(values, *, seconds=False, language=None):
    """Return ``format_datetime`` of each of ``values`` (aware datetimes), in one pass.

    For a table's column of times: the language, format and zone are looked up
    once for all of them.
    """
    format_one = datetime_formatter(seconds=seconds, language=language)
    return [format_one(value) for value in values]


def format_datetime(value, *, seconds=False, language=None):
    """Return an aware datetime in the active time zone, as ``language`` writes it, zone named.

    "3 Dec 2026, 17:22 CET" in English, "3 dec 2026, 17:22 CET" in Dutch; with
    ``seconds`` (the audit log) "3 Dec 2026, 17:22:08 CET". The active time zone
    is the organization's (``accounts.middleware``). The one helper for the time
    of an event on a page. The format is compiled once per language into numbers
    and month names evaluated here directly, several times faster than Django's
    date filter. Empty for None.
    """
    if value is None or value == "":
        return ""
    return datetime_formatter(seconds=seconds, language=language)(value)


@functools.cache
def time_zone_names():
    """Return the IANA names of every time zone this machine knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _known_time_zones():
    return frozenset(time_zone_names())


def validate_time_zone(value):
    """Raise ValidationError unless ``value`` is an IANA time zone name ("Europe/Amsterdam")."""
    if value not in _known_time_zones():
        raise ValidationError(
            _("%(zone)s is not a time zone. Choose one from the list."),
            code="invalid",
            params={"zone": value},
        )


def _offset_label(offset):
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


# The regions of the time zone database's own names. Its aliases kept for old
# software ("US/Eastern", "Etc/GMT+5", whose sign is the reverse of what it reads)
# are valid but not offered.
_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)


def time_zone_choices(*, now=None, keep=()):
    """Return the time zones as select choices, grouped by region, with today's UTC offset.

    ``[("UTC", "UTC (UTC+00:00)"), ("Europe", [("Europe/Amsterdam", "Amsterdam
    (UTC+01:00)"), ...]), ...]``. Only the database's own names are offered, and
    the zones in ``keep`` (the one already chosen, even when it is an alias).
    """
    now = now or timezone.now()
    # Offsets change only at a zone's clock change: worked out once an hour, for all.
    hour = now.replace(minute=0, second=0, microsecond=0)
    return list(_time_zone_choices(hour, frozenset(keep)))


@functools.lru_cache(maxsize=16)
def _time_zone_choices(now, keep):
    plain = []
    groups = {}
    for name in time_zone_names():
        region, _slash, place = name.partition("/")
        if name not in keep and name != "UTC" and region not in _REGIONS:
            continue
        offset = _offset_label(now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset())
        if not place:
            plain.append((name, f"{name} ({offset})"))
        else:
            groups.setdefault(region, []).append(
                (name, f"{place.replace('_', ' ').replace('/', ' / ')} ({offset})")
            )
    return [*plain, *((region, list(zones)) for region, zones in groups.items())]


@receiver(setting_changed)
def _formats_changed(setting, **kwargs):
    if setting in {"FORMAT_MODULE_PATH", "LANGUAGES", "LANGUAGE_CODE"}:
        _month_names.cache_clear()
        _compiled_format.cache_clear()
        _format_template.cache_clear()
        _datetime_format.cache_clear()


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
