"""The helper the language browser tests rely on (tests/support/i18n.py): it finds the portal's
own English in a text, and only that. Its work on real pages (an English page fails, the same
page in French passes) is in tests/browser/test_languages.py."""

import pytest

from tests.support.i18n import assert_no_portal_english
from tests.support.i18n import english_found
from tests.support.i18n import message_phrases as phrases_of


def found(text, language="fr"):
    return [hit.phrase for hit in english_found(text, language)]


def test_an_english_sentence_of_the_catalogue_is_found_and_named():
    text = "Mon profil\nYour profile is saved.\nAller au contenu"
    assert found(text) == ["Your profile is saved"]
    with pytest.raises(AssertionError, match="Your profile is saved"):
        assert_no_portal_english(text, "fr")


@pytest.mark.parametrize("language", ["fr", "es", "pt"])
def test_every_language_has_its_list(language):
    assert found("Skip to content", language) == ["Skip to content"]


def test_the_translation_passes():
    assert_no_portal_english("Votre profil est enregistré.\nAller au contenu\nAnnuaire", "fr")


def test_a_placeholder_splits_a_message_into_fragments_of_two_words_or_more():
    # "This number is too short for %(where)s: digits are missing."
    text = "This number is too short for Senegal (+221): digits are missing."
    assert set(found(text)) == {"This number is too short for", "digits are missing"}
    # One word left of a message ("Welcome, %(name)s") is not looked for on its own.
    assert phrases_of("Welcome, %(name)s") == []
    assert phrases_of("You will log in with <strong>%(email)s</strong>. You do not need") == [
        "You will log in with",
        "You do not need",
    ]
    assert phrases_of("Your profile is %(percent)s%% complete.") == ["Your profile is"]


def test_case_runs_of_white_space_and_line_breaks_inside_a_block_do_not_hide_a_sentence():
    assert found("YOUR   PROFILE IS\tSAVED.") == ["Your profile is saved"]


def test_whole_words_only_and_a_single_word_as_a_label_is_written():
    assert found("Directory") == ["Directory"]
    assert found("DIRECTORY") == ["Directory"]  # CSS capitals
    # "Search" is a button's label; a word that only holds it, or the word in lower case inside a
    # sentence, is not that label.
    assert found("Search") == ["Search"]
    assert found("Une research, une recherche.\nOn search ici") == []
    assert found("Directorys") == []


def test_short_words_words_the_language_shares_and_addresses_are_not_english():
    # "Total" is French too (its translation is itself); "Message" is used by French messages.
    assert found("Total\nMessage\nCode") == []
    assert found("https://meet.example.org/your-profile-is-saved") == []
    assert found("directory@example.org") == []
