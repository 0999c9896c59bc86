# Django's French formats, plus the portal's own names (core/formats/__init__.py).
WEEKDAY_DATE_FORMAT = "l j F Y"  # lundi 2 mars 2026
WEEKDAY_MONTH_DAY_FORMAT = "l j F"  # lundi 2 mars
DATETIME_ZONE_FORMAT = "j F Y à H:i T"  # 2 mars 2026 à 14:30 CET
