"""The languages an activity is held in: one or more of the portal's languages
(`settings.LANGUAGES`), or "another language".

Stored as the codes in one text column ("en,es"), the same on PostgreSQL and on the SQLite file of
`make run` (which has no ArrayField). `held_in(code)` is the one rule for "held in this
language" (the member's activity list, the admin's filter); `language_list(codes)` says them in
the reader's language ("Spanish and English", "español e inglés").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django.utils.translation import pgettext_lazy

OTHER = "other"
DEFAULT = "en"
_SEPARATOR = ","

# How the names read inside a sentence ("Held in: Spanish and English"): French, Spanish and
# Portuguese write them in lower case there; lists and checkboxes put a capital first. A
# language added to settings.LANGUAGES without a name here shows the name settings give it.
_NAMES = {
    "en": pgettext_lazy("a language an activity is held in", "English"),
    "fr": pgettext_lazy("a language an activity is held in", "French"),
    "es": pgettext_lazy("a language an activity is held in", "Spanish"),
    "pt": pgettext_lazy("a language an activity is held in", "Portuguese"),
    OTHER: pgettext_lazy("a language an activity is held in", "another language"),
}

# A last name starting with an "i" sound ("inglés"): Spanish joins it with "e", not "y".
_I_SOUND = re.compile(r"^h?[iíï](?![aeouáéó])", re.IGNORECASE)


def language_codes() -> list[str]:
    """Every code an activity may have, in the order pages list them."""
    return [code for code, _name in settings.LANGUAGES] + [OTHER]


def default_languages() -> list[str]:
    return [DEFAULT]


def language_name(code: str) -> str:
    """The language's name in the active language, as it reads inside a sentence."""
    name = _NAMES.get(code) or dict(settings.LANGUAGES).get(code) or code
    return str(name)


def language_choices() -> list[tuple[str, str]]:
    """(code, name) for forms and filters, in the active language."""
    return [(code, capfirst(language_name(code))) for code in language_codes()]


def ordered(codes: Iterable[str]) -> list[str]:
    """The codes once each, in the order of `language_codes()` (unknown ones last)."""
    known = language_codes()
    unique = list(dict.fromkeys(code for code in codes if code))
    return sorted(unique, key=lambda code: known.index(code) if code in known else len(known))


def language_list(codes: Iterable[str]) -> str:
    """ "French", "Spanish and English", "French, Portuguese and English", in the active language.
    English comes after the others (what sets a bilingual activity apart comes first), "another
    language" last."""
    codes = sorted(ordered(codes), key=lambda code: (code == OTHER, code == DEFAULT))
    names = [language_name(code) for code in codes]
    if len(names) < 2:
        return "".join(names)
    first, last = ", ".join(names[:-1]), names[-1]
    if _I_SOUND.match(last):
        text = pgettext(
            "a list of languages whose last name starts with an i sound (Spanish: e, not y)",
            "%(first)s and %(last)s",
        )
    else:
        text = pgettext("a list of languages", "%(first)s and %(last)s")
    return text % {"first": first, "last": last}


def held_in(code: str) -> Q:
    """Activities held in `code` (among others, if they have several)."""
    return (
        Q(languages=code)
        | Q(languages__startswith=f"{code}{_SEPARATOR}")
        | Q(languages__endswith=f"{_SEPARATOR}{code}")
        | Q(languages__contains=f"{_SEPARATOR}{code}{_SEPARATOR}")
    )


UNKNOWN_LANGUAGE = _(
    "“%(value)s” is not a language an activity can be held in. Choose from the list."
)
NO_LANGUAGE = _("Choose at least one language.")


class LanguagesFormField(forms.MultipleChoiceField):
    """Checkboxes, one per language; the names follow the staff member's language."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {"invalid_choice": UNKNOWN_LANGUAGE, "required": NO_LANGUAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", language_choices)
        super().__init__(**kwargs)


class LanguagesField(models.Field):
    """A list of language codes in a text column ("en,es"): one or more, each a known code."""

    description = "Language codes"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "CharField"

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, tuple):
            return list(value)
        return [code for code in str(value).split(_SEPARATOR) if code]

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, (list, tuple)):
            # One spelling per set of languages: no repeats, always in the same order.
            return _SEPARATOR.join(ordered(value))
        return value  # a lookup's single code ("fr")

    def value_to_string(self, obj) -> str:
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance) -> None:
        if not value:
            raise ValidationError(NO_LANGUAGE, code="blank")
        super().validate(value, model_instance)
        known = language_codes()
        for code in value:
            if code not in known:
                raise ValidationError(
                    UNKNOWN_LANGUAGE, code="invalid_choice", params={"value": code}
                )

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LanguagesFormField, **kwargs})
