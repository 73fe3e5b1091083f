"""Dutch dates: "3 dec 2026", "3 dec 2026, 17:22" (month names are lower case in Dutch)."""

# "b" is the lower-case month abbreviation ("mrt", "mei"); "M" would capitalize it.
DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
# A chart's axis: the day and the month, no year.
MONTH_DAY_FORMAT = "j b"
# The audit log's clock, to the second.
DATETIME_SECONDS_FORMAT = "j b Y, H:i:s"
