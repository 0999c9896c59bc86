"""Sentences the portal stores for staff (pause reasons, staff-log summaries) are shown in the
reader's language, not in the language of whoever caused them (issue 12, item 7)."""

from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation
from django.utils.translation import gettext_noop

from core.stored_text import Sentence
from core.stored_text import shown
from tests.support.catalogues import install_catalogue

PAUSED_BY = gettext_noop("Paused by %(who)s.")


@pytest.fixture
def french(tmp_path, settings):
    install_catalogue(
        tmp_path,
        settings,
        "fr",
        {
            PAUSED_BY: "Mis en pause par %(who)s.",
            "Rate %(rate)s%% of %(sent)s": "Taux de %(rate)s %% sur %(sent)s",
        },
    )


def test_a_stored_sentence_is_shown_in_the_readers_language(french):
    # Written while a French-speaking adviser's page was active: stored all the same.
    with translation.override("fr"):
        stored = Sentence(PAUSED_BY, {"who": "ama@example.org"}).stored()

    with translation.override("en"):
        assert shown(stored) == "Paused by ama@example.org."
    with translation.override("fr"):
        assert shown(stored) == "Mis en pause par ama@example.org."


def test_numbers_are_written_as_the_readers_language_writes_them(french):
    stored = Sentence("Rate %(rate)s%% of %(sent)s", {"rate": Decimal("4.0"), "sent": 28}).stored()

    with translation.override("en"):
        assert shown(stored) == "Rate 4.0% of 28"
    with translation.override("fr"):
        assert shown(stored) == "Taux de 4,0 % sur 28"


def test_text_a_person_typed_is_shown_as_typed():
    assert shown("Checking a typo in the subject") == "Checking a typo in the subject"
    assert shown('{"sentence" is how I start my notes}') == '{"sentence" is how I start my notes}'
    assert shown("") == ""


def test_a_sentence_whose_translation_breaks_falls_back_to_english(tmp_path, settings):
    install_catalogue(tmp_path, settings, "fr", {PAUSED_BY: "Mis en pause par %(qui)s."})
    stored = Sentence(PAUSED_BY, {"who": "ama@example.org"}).stored()
    with translation.override("fr"):
        assert shown(stored) == "Paused by ama@example.org."


def test_a_long_sentence_is_shortened_to_fit_its_column():
    sentence = Sentence(PAUSED_BY, {"who": "x" * 400 + "@example.org"})

    stored = sentence.stored(max_length=300)

    assert len(stored) == 300
    assert shown(stored).startswith("Paused by xxx") and shown(stored).endswith("….")
    with pytest.raises(ValueError):
        Sentence("A sentence far too long for its column " * 10).stored(max_length=100)


def test_the_template_filter_shows_a_stored_sentence(french):
    template = engines["django"].from_string("{% load stored_text %}{{ reason|shown_text }}")
    stored = Sentence(PAUSED_BY, {"who": "<b>ama</b>"}).stored()
    with translation.override("fr"):
        assert template.render({"reason": stored}) == "Mis en pause par &lt;b&gt;ama&lt;/b&gt;."
