# Django's Portuguese formats, plus the portal's own names (core/formats/__init__.py).
WEEKDAY_DATE_FORMAT = r"l, j \d\e F \d\e Y"  # segunda-feira, 2 de março de 2026
WEEKDAY_MONTH_DAY_FORMAT = r"l, j \d\e F"  # segunda-feira, 2 de março
DATETIME_ZONE_FORMAT = r"j \d\e F \d\e Y, H:i T"  # 2 de março de 2026, 14:30 CET
