"""Country names and codes as rosters spell them, matched to ISO alpha-2 codes."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from django.utils import translation
from django_countries import countries
from django_countries.data import COUNTRIES as ISO_COUNTRY_NAMES

# Other names a roster uses for a country, beyond ISO's and django-countries' own.
COUNTRY_ALIASES = {
    "Ivory Coast": "CI",
    "Lao PDR": "LA",
    "Lao": "LA",
    "DR Congo": "CD",
    "DRC": "CD",
    "Congo-Kinshasa": "CD",
    "Congo Kinshasa": "CD",
    "Zaire": "CD",
    "Congo-Brazzaville": "CG",
    "Congo Brazzaville": "CG",
    "Republic of the Congo": "CG",
    "Burma": "MM",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "UK": "GB",
    "Great Britain": "GB",
    "England": "GB",
    "USA": "US",
    "United States": "US",
    "Norge": "NO",
    "Holland": "NL",
    "Bosnia": "BA",
    "Tanzania, United Republic of": "TZ",
}


def _fold_name(text: str) -> str:
    """A country name folded for matching: no accents, case, apostrophes, "the" or spaces."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text.replace("&", " and "))
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word and word != "the"]
    return "".join(words)


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded English country name -> ISO alpha-2 code (ISO, common, old names and aliases)."""
    exact: dict[str, str] = {}
    derived: dict[str, set[str]] = defaultdict(set)

    def add_name(name: str, code: str) -> None:
        exact.setdefault(_fold_name(name), code)
        # "Bolivia (Plurinational State of)" -> "Bolivia" and "Plurinational State of Bolivia";
        # "Tanzania, the United Republic of" -> "United Republic of Tanzania".
        match = re.match(r"^(.*?)\s*(?:\((.*)\)|,\s*(.*))$", name)
        if match:
            head, tail = match.group(1), match.group(2) or match.group(3)
            derived[_fold_name(head)].add(code)
            derived[_fold_name(f"{tail} {head}")].add(code)

    with translation.override("en"):
        for code, name in ISO_COUNTRY_NAMES.items():
            add_name(str(name), code)
        for code, name in countries:
            add_name(str(name), code)
        for code, name in countries.COMMON_NAMES.items():
            add_name(str(name), code)
        for code, names in countries.OLD_NAMES.items():
            for name in names:
                add_name(str(name), code)
    for name, code in COUNTRY_ALIASES.items():
        exact[_fold_name(name)] = code
    for key, codes in derived.items():
        # A shortened name that could mean two countries ("Korea") is left out.
        if key and key not in exact and len(codes) == 1:
            exact[key] = next(iter(codes))
    return exact


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """The ISO alpha-2 code for an alpha-2/alpha-3 code or an English name, or None."""
    text = value.strip()
    if text.isalpha() and len(text) in (2, 3):
        code = countries.alpha2(text)
        if code:
            return code
    return _country_index().get(_fold_name(text))
