# English as Norec writes it: day before month, 24-hour clock (Django's "en" is American).
DATE_FORMAT = "j F Y"  # 2 March 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j F Y, H:i"  # 2 March 2026, 14:30
MONTH_DAY_FORMAT = "j F"  # 2 March
YEAR_MONTH_FORMAT = "F Y"  # March 2026

WEEKDAY_DATE_FORMAT = "D j M Y"  # Mon 2 Mar 2026
WEEKDAY_MONTH_DAY_FORMAT = "D j M"  # Mon 2 Mar
DATETIME_ZONE_FORMAT = "j F Y, H:i T"  # 2 March 2026, 14:30 CET
