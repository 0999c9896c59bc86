"""Country names as a member reads them: in the active language, sorted by the name shown."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.utils import translation
from django_countries import countries


def name_sort_key(name: str) -> str:
    """Sort "Égypte" among the E's and "Åland" among the A's, as django-countries sorts its
    own full list: accents and case do not count."""
    decomposed = unicodedata.normalize("NFKD", str(name).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def all_countries_by_name() -> list[tuple[str, str]]:
    """Every country as (code, name in the active language), sorted by that name, for the
    selects members choose a country in. django-countries sorts its own list too, but without
    the optional `pyuca` it puts upper case first ("Costa Rica" before "Costa de Marfil")."""
    language = translation.get_language()
    if language not in _ALL_BY_LANGUAGE:
        _ALL_BY_LANGUAGE[language] = countries_by_name(code for code, _name in countries)
    return _ALL_BY_LANGUAGE[language]


# The full sorted list per language: 250 names, sorted once per process and language.
_ALL_BY_LANGUAGE: dict[str | None, list[tuple[str, str]]] = {}


def countries_by_name(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) for each country of `codes`, named in the active language and sorted by that
    name (a short list of the countries that occur; the full list is django-countries' own)."""
    pairs = {(code, str(countries.name(code) or code)) for code in codes if code}
    return sorted(pairs, key=lambda pair: name_sort_key(pair[1]))
