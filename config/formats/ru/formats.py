# "30 ноября 2026": E is the month in the genitive, as a Russian date needs.
DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, H:i"
# Agora prints a month and year only after "since" («с ноября 2026»): genitive too.
YEAR_MONTH_FORMAT = "E Y"
