"""The portal's own vocabularies in the reader's language: the languages members speak and the
fields of expertise (issue 12).

Both are rows (staff add to them, members suggest fields), seeded by the migration
`0002_seed_languages_and_expertise` with English names. Those names are the portal's own words, so
they are in the catalogues: the names below are marked here for `makemessages`, and
`Language.__str__` / `ExpertiseField.__str__` show a name in the active language. A name staff or a
member typed later has no translation and shows as typed. Lists are sorted by the name shown, so
"Anglais" sits among the A's of a French page.
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_noop

# The names of migration 0002, word for word (tests/members/test_vocabulary.py keeps them in step).
SEEDED_LANGUAGE_NAMES = (
    gettext_noop("Amharic"),
    gettext_noop("Arabic"),
    gettext_noop("Bengali"),
    gettext_noop("Burmese"),
    gettext_noop("Chinese"),
    gettext_noop("English"),
    gettext_noop("French"),
    gettext_noop("German"),
    gettext_noop("Gujarati"),
    gettext_noop("Hausa"),
    gettext_noop("Hindi"),
    gettext_noop("Igbo"),
    gettext_noop("Indonesian"),
    gettext_noop("Kinyarwanda"),
    gettext_noop("Lao"),
    gettext_noop("Luganda"),
    gettext_noop("Malagasy"),
    gettext_noop("Nepali"),
    gettext_noop("Norwegian"),
    gettext_noop("Oromo"),
    gettext_noop("Portuguese"),
    gettext_noop("Quechua"),
    gettext_noop("Sinhala"),
    gettext_noop("Somali"),
    gettext_noop("Spanish"),
    gettext_noop("Swahili"),
    gettext_noop("Tagalog"),
    gettext_noop("Tamil"),
    gettext_noop("Thai"),
    gettext_noop("Tigrinya"),
    gettext_noop("Vietnamese"),
    gettext_noop("Yoruba"),
    gettext_noop("Zulu"),
    gettext_noop("Chichewa"),
    gettext_noop("Shona"),
)

SEEDED_EXPERTISE_NAMES = (
    gettext_noop("Agriculture and food security"),
    gettext_noop("Climate and environment"),
    gettext_noop("Communication and media"),
    gettext_noop("Culture and the arts"),
    gettext_noop("Democracy and governance"),
    gettext_noop("Disability inclusion"),
    gettext_noop("Education and teaching"),
    gettext_noop("Energy"),
    gettext_noop("Engineering and technology"),
    gettext_noop("Finance and microcredit"),
    gettext_noop("Gender equality"),
    gettext_noop("Human rights"),
    gettext_noop("Information technology"),
    gettext_noop("Journalism"),
    gettext_noop("Law and justice"),
    gettext_noop("Management and leadership"),
    gettext_noop("Nursing and midwifery"),
    gettext_noop("Peace and reconciliation"),
    gettext_noop("Public health"),
    gettext_noop("Sports and youth work"),
    gettext_noop("Water and sanitation"),
)


def name_sort_key(name: str) -> str:
    """Accents and case do not count: "Égalité" among the E's, "inglés" among the I's."""
    decomposed = unicodedata.normalize("NFKD", str(name).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class ByShownNameIterator(ModelChoiceIterator):
    """A model's choices sorted by the label shown (the name in the reader's language), the
    empty choice first."""

    def __iter__(self):
        # The empty choice before any query, as Django's own iterator does: a <select> peeks at
        # the first choice only (for its `required` attribute).
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        choices = (self.choice(obj) for obj in self.queryset)
        yield from sorted(choices, key=lambda choice: name_sort_key(choice[1]))


class ByShownNameChoiceField(forms.ModelChoiceField):
    iterator = ByShownNameIterator


class ByShownNameMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ByShownNameIterator
