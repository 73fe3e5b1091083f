"""English dates: "3 Dec 2026", "3 Dec 2026, 17:22" (day first, month as a word)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
# A chart's axis: the day and the month, no year.
MONTH_DAY_FORMAT = "j M"
# The audit log's clock, to the second.
DATETIME_SECONDS_FORMAT = "j M Y, H:i:s"
