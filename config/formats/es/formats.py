# "30 nov 2026": the lower-case month abbreviation Spanish uses.
DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y, H:i"
YEAR_MONTH_FORMAT = r"F \d\e Y"
