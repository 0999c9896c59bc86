"""How dates and times read in each of the portal's languages (settings.FORMAT_MODULE_PATH).

Django's own format modules come after these, so each module here names only what the portal
changes or adds:

- English reads the British way, as Norec writes it (2 March 2026, 14:30), not Django's American
  default (March 2, 2026, 2:30 p.m.); French, Spanish and Portuguese keep Django's own formats.
- Two names of the portal's own, used through `formats.date_format(value, "NAME")` or the `date`
  filter like Django's: `WEEKDAY_DATE_FORMAT` (an activity's day: "Mon 2 Mar 2026", "lundi 2 mars
  2026") and `WEEKDAY_MONTH_DAY_FORMAT` (the same without the year, for an end on another day).
  Every language the portal offers defines both (tests/core/test_formats.py checks it): a format
  name that no module defines would be read as format characters.
- `DATETIME_ZONE_FORMAT`: a moment with its time zone's abbreviation, for mails ("2 March 2026,
  14:30 CET").

Month and day names come from Django's own catalogues, so they are translated even where the
portal's catalogues are not.
"""

# The portal's own format names (checked for every language by the tests).
CUSTOM_FORMATS = ("WEEKDAY_DATE_FORMAT", "WEEKDAY_MONTH_DAY_FORMAT", "DATETIME_ZONE_FORMAT")
