"""Country names as a member reads them: in the active language, sorted by the name shown."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django_countries import countries


def name_sort_key(name: str) -> str:
    """Sort "Égypte" among the E's and "Åland" among the A's, as django-countries sorts its
    own full list: accents and case do not count."""
    decomposed = unicodedata.normalize("NFKD", str(name).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def countries_by_name(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) for each country of `codes`, named in the active language and sorted by that
    name (a short list of the countries that occur; the full list is django-countries' own)."""
    pairs = {(code, str(countries.name(code) or code)) for code in codes if code}
    return sorted(pairs, key=lambda pair: name_sort_key(pair[1]))
