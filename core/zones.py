"""A country's time zone, the one suggestion every part of the portal makes: the time an invitation
is timed for (the participant's own zone, else their home country's) and the zone the profile
suggests to a member who has not chosen one.

Countries with one zone take it from the tz database's zone.tab (shipped with Python's tzdata).
For a country spanning several zones, zone.tab's first line is not the main one (Brazil's is
America/Noronha, an island; Canada's St John's, Australia's Lord Howe Island, Russia's
Kaliningrad): each such country names its zone here, the one most of its people live in.
"""

from __future__ import annotations

import functools
import zoneinfo
from pathlib import Path

# Several zones: the one most people live in (the capital's, in practice). Every country that
# zone.tab gives several zones is here (tests/core/test_zones.py checks it).
MAIN_ZONE = {
    "AQ": "Antarctica/McMurdo",
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PG": "Pacific/Port_Moresby",
    "PS": "Asia/Gaza",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
    "DE": "Europe/Berlin",
    "CY": "Asia/Nicosia",
    "FM": "Pacific/Chuuk",
    "GL": "America/Nuuk",
    "KI": "Pacific/Tarawa",
    "MH": "Pacific/Majuro",
    "PF": "Pacific/Tahiti",
    "UM": "Pacific/Midway",
}
FALLBACK_ZONE = "UTC"


def _zone_tab_paths() -> list[Path]:
    paths = [Path(base) / "zone.tab" for base in zoneinfo.TZPATH]
    try:
        import tzdata

        paths.append(Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab")
    except ImportError:  # pragma: no cover - tzdata is a dependency of Django on some systems
        pass
    return paths


@functools.cache
def _single_zones() -> dict[str, str]:
    for path in _zone_tab_paths():
        if path.exists():
            zones: dict[str, str] = {}
            for line in path.read_text().splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                code, _coordinates, name = line.split("\t")[:3]
                zones.setdefault(code, name)
            return zones
    return {}


def is_valid_zone(name: str) -> bool:
    if not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_for_country(code: str, default: str = FALLBACK_ZONE) -> str:
    """The main zone of the country with ISO code `code`; `default` for an unknown code."""
    code = (code or "").upper()
    return MAIN_ZONE.get(code) or _single_zones().get(code) or default


def zone_for_participant(*, time_zone: str, home_country: str) -> str:
    """The participant's own zone when they set a valid one, else their home country's."""
    if is_valid_zone(time_zone):
        return time_zone
    return zone_for_country(str(home_country or ""))
