"""Date and time formats of the languages we ship (``FORMAT_MODULE_PATH``).

One date format and one date-time format per language, with the month as a word
so that nobody reads 12/03 as the wrong day: "3 Dec 2026" and "3 Dec 2026, 17:22"
in English, "3 dec 2026" and "3 dec 2026, 17:22" in Dutch. The short formats are
the same on purpose: tables and prose read alike; a chart's axis has the day and
month ("3 Dec", ``MONTH_DAY_FORMAT``). Only the audit log shows
seconds (``DATETIME_SECONDS_FORMAT``, read by ``core.l10n``). Times carry the
zone's name, which ``core.l10n.format_datetime`` adds. Everything not set here
(input formats, separators) comes from Django's own format modules.
"""
