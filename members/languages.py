"""The language a participant's first mail is written in, before they choose one themselves.

Used by the roster import: a `language` column in the file wins; without it (or with an empty
cell) the language is guessed from the home country with the one table below. The README's
"Invitation language" section describes the same table for advisers.
"""

from __future__ import annotations

import unicodedata

# Where Norec's partners read French, Portuguese or Spanish first: the francophone African
# partners and Haiti, the lusophone countries, Latin America. Countries not listed, including
# multilingual ones where partners work in English (e.g. CA, CH, BE), get English.
COUNTRY_LANGUAGES: dict[str, str] = {
    **dict.fromkeys(
        (
            "MG", "CI", "SN", "BF", "ML", "NE", "TG", "BJ", "CM", "CD", "CG", "GA", "GN", "TD",
            "CF", "BI", "RW", "HT",
        ),
        "fr",
    ),
    **dict.fromkeys(("MZ", "AO", "BR", "GW", "CV", "ST", "TL"), "pt"),
    **dict.fromkeys(
        (
            "GT", "NI", "BO", "HN", "SV", "CO", "EC", "PE", "PY", "UY", "AR", "CL", "MX", "CR",
            "PA", "CU", "DO", "VE",
        ),
        "es",
    ),
}  # fmt: skip
DEFAULT_LANGUAGE = "en"

# How a roster spells each language, folded (lower case, no accents): code, English name and
# the language's own name.
_LANGUAGE_NAMES: dict[str, str] = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "anglais": "en",
    "ingles": "en",
    "fr": "fr",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "francais": "fr",
    "frances": "fr",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "pt": "pt",
    "por": "pt",
    "portuguese": "pt",
    "portugues": "pt",
}


def language_for_country(code: str) -> str:
    """The invitation language guessed from an ISO alpha-2 home country (English when unknown)."""
    return COUNTRY_LANGUAGES.get((code or "").upper(), DEFAULT_LANGUAGE)


def language_code(value: str) -> str | None:
    """The portal's code for a language as a roster spells it ("fr", "French", "Français",
    "pt-BR"), case- and accent-insensitive; None when it is not one the portal offers."""
    text = unicodedata.normalize("NFKD", value.strip().lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]
    # A regional tag ("pt-BR", "fr_CA", "es-419") means its language.
    base = text.replace("_", "-").split("-")[0]
    return _LANGUAGE_NAMES.get(base) if len(base) == 2 else None
