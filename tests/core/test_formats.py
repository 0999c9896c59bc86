"""Dates and times in each language's own way (issue 12, item 4): core/formats/ for the portal's
formats, Django's own catalogues for the day and month names, so none of this waits for the
portal's catalogues."""

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats
from django.utils import translation

from activities.timefmt import when
from core.formats import CUSTOM_FORMATS
from tests.activities.factories import ActivityFactory

ROOT = Path(__file__).resolve().parent.parent.parent
MAPUTO = zoneinfo.ZoneInfo("Africa/Maputo")
MOMENT = datetime.datetime(2026, 3, 2, 14, 30, tzinfo=MAPUTO)  # a Monday

ENGLISH_NAMES = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)


@pytest.mark.parametrize("code", [code for code, _name in settings.LANGUAGES])
def test_every_language_defines_the_portals_own_formats(code):
    """A format name no module defines is read as format characters ("WEEKDAY_DATE_FORMAT"
    would print a jumble of numbers): each language the portal offers must define them all."""
    with translation.override(code):
        for name in CUSTOM_FORMATS:
            assert formats.get_format(name) != name, (code, name)


EXPECTED = {
    "en": {
        "DATE_FORMAT": "2 March 2026",
        "YEAR_MONTH_FORMAT": "March 2026",
        "MONTH_DAY_FORMAT": "2 March",
        "WEEKDAY_DATE_FORMAT": "Mon 2 Mar 2026",
        "DATETIME_ZONE_FORMAT": "2 March 2026, 14:30 CAT",
    },
    "fr": {
        "DATE_FORMAT": "2 mars 2026",
        "YEAR_MONTH_FORMAT": "mars 2026",
        "MONTH_DAY_FORMAT": "2 mars",
        "WEEKDAY_DATE_FORMAT": "lundi 2 mars 2026",
        "DATETIME_ZONE_FORMAT": "2 mars 2026 à 14:30 CAT",
    },
    "es": {
        "DATE_FORMAT": "2 de marzo de 2026",
        "YEAR_MONTH_FORMAT": "marzo de 2026",
        "MONTH_DAY_FORMAT": "2 de marzo",
        "WEEKDAY_DATE_FORMAT": "lunes 2 de marzo de 2026",
        "DATETIME_ZONE_FORMAT": "2 de marzo de 2026, 14:30 CAT",
    },
    # Django's Portuguese names its months with a capital, as Mozambique still writes them.
    "pt": {
        "DATE_FORMAT": "2 de Março de 2026",
        "YEAR_MONTH_FORMAT": "Março de 2026",
        "MONTH_DAY_FORMAT": "2 de Março",
        "WEEKDAY_DATE_FORMAT": "Segunda-feira, 2 de Março de 2026",
        "DATETIME_ZONE_FORMAT": "2 de Março de 2026, 14:30 CAT",
    },
}


@pytest.mark.parametrize("code", EXPECTED)
def test_dates_read_the_way_each_language_writes_them(code):
    with translation.override(code):
        shown = {name: formats.date_format(MOMENT, name) for name in EXPECTED[code]}
        assert formats.time_format(MOMENT) == "14:30"
    assert shown == EXPECTED[code]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "Mon 2 Mar 2026, 14:30–16:00"),
        ("fr", "lundi 2 mars 2026, 14:30–16:00"),
        ("es", "lunes 2 de marzo de 2026, 14:30–16:00"),
        ("pt", "Segunda-feira, 2 de Março de 2026, 14:30–16:00"),
    ],
)
def test_an_activitys_time_reads_in_the_readers_language(code, expected):
    activity = ActivityFactory(
        starts_at=MOMENT, ends_at=MOMENT + datetime.timedelta(hours=1, minutes=30)
    )
    with translation.override(code):
        shown = when(activity, MAPUTO)
    assert shown.local == expected
    if code != "en":
        assert not ENGLISH_NAMES.search(str(shown)), str(shown)


@pytest.mark.django_db
def test_an_activity_over_two_days_names_the_second_day_in_the_language_too():
    activity = ActivityFactory(starts_at=MOMENT, ends_at=MOMENT + datetime.timedelta(days=1))
    with translation.override("fr"):
        assert when(activity, MAPUTO).local == "lundi 2 mars 2026, 14:30 – mardi 3 mars 14:30"


# What Python's strftime writes is always English (the C locale): a month or day name from it
# would stay English on a French page. Numbers (%Y-%m-%d, %H:%M) are the same in every language.
NAMES_BY_STRFTIME = re.compile(r"""strftime\([^)]*%[aAbBc]|\{[^}\n]*:[^}\n]*%[aAbBc][^}\n]*\}""")


def project_python_files():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "tests", "var", "node_modules") or "migrations" in parts:
            continue
        yield path


def names_by_strftime(text: str) -> list[tuple[int, str]]:
    """(line, code) of each place in `text` that writes a name with strftime (a call's format
    may start on the next line)."""
    return [
        (text.count("\n", 0, match.start()) + 1, " ".join(match.group(0).split()))
        for match in NAMES_BY_STRFTIME.finditer(text)
    ]


def test_no_code_writes_month_or_day_names_with_strftime():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in project_python_files()
        for line, code in names_by_strftime(path.read_text(encoding="utf-8"))
    ]
    assert not found, "Use django.utils.formats.date_format instead:\n" + "\n".join(found)


def test_the_scan_finds_names_written_by_strftime():
    for text in (
        'day.strftime("%B %Y")',
        'f"{self.month:%B %Y}"',
        'f"{day:%b %Y}"',
        'when.strftime(\n    "%d %B %Y, %H:%M"\n)',
        'f"{start:%A}"',
    ):
        assert names_by_strftime(text), text
    for text in ('f"{day:%Y-%m}"', 'value.strftime("%Y-%m-%d-%H%M")', 'f"{start:%H:%M}"'):
        assert not names_by_strftime(text), text
