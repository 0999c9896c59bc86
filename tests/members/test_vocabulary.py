"""The languages members speak and the fields of expertise, in the reader's language (issue 12):
a French page lists "Anglais" among the A's, not "English" among the E's."""

import importlib

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from members import services
from members.forms import DirectorySearchForm
from members.forms import ProfileForm
from members.models import Language
from members.models import Participant
from members.vocabulary import SEEDED_EXPERTISE_NAMES
from members.vocabulary import SEEDED_LANGUAGE_NAMES
from members.vocabulary import name_sort_key
from tests.members.factories import MemberFactory
from tests.members.factories import seed_vocabularies

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields():
    return seed_vocabularies()


def test_the_marked_names_are_the_seeded_ones():
    migration = importlib.import_module("members.migrations.0002_seed_languages_and_expertise")
    assert list(SEEDED_LANGUAGE_NAMES) == [name for _code, name in migration.LANGUAGES]
    assert list(SEEDED_EXPERTISE_NAMES) == list(migration.EXPERTISE_FIELDS)


@pytest.mark.parametrize("language", ["fr", "es", "pt"])
def test_every_seeded_name_is_translated(language):
    """Needs the catalogues with /work/i18n/extra/i18n-journey.json merged."""
    catalogue = polib.pofile(
        str(settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po")
    )
    translated = {entry.msgid for entry in catalogue if entry.msgstr and not entry.fuzzy}
    missing = [
        name for name in SEEDED_LANGUAGE_NAMES + SEEDED_EXPERTISE_NAMES if name not in translated
    ]
    assert not missing


def test_a_language_shows_in_the_reader_s_language_and_lists_sort_by_that_name(fields):
    english = Language.objects.get(code="en")
    with translation.override("fr"):
        assert str(english) == "Anglais"
        profile = ProfileForm(instance=MemberFactory(home_country="SN"))
        labels = [label for _value, label in profile.fields["languages"].choices]
        directory = DirectorySearchForm(programmes=[])
        filter_labels = [label for value, label in directory.fields["language"].choices if value]
        expertise = [label for value, label in directory.fields["expertise"].choices if value]
        assert directory.fields["language"].choices[0][0] == ""  # "Any" stays first
    assert "Anglais" in labels and "English" not in labels
    assert labels == sorted(labels, key=name_sort_key)
    assert filter_labels == labels
    assert expertise == sorted(expertise, key=name_sort_key)
    assert str(english) == "English"  # outside the override: English again


def test_a_name_nobody_translated_shows_as_typed(fields):
    typed = Language.objects.create(code="xh", name="isiXhosa")
    with translation.override("fr"):
        assert str(typed) == "isiXhosa"


@pytest.fixture
def colleague(client, fields):
    viewer = MemberFactory(preferred_language="fr")
    colleague = MemberFactory(first_name="Moussa", home_country="SN", preferred_language="fr")
    services.participant_update_profile(
        participant=colleague,
        data={"directory_visibility": Participant.Visibility.MEMBERS},
        expertise=[fields["Public health"]],
        languages=[Language.objects.get(code="en")],
    )
    client.force_login(viewer.user)
    return colleague


def test_a_directory_profile_names_the_languages_in_the_reader_s_language(client, colleague):
    page = client.get(
        reverse("members:directory_profile", args=[colleague.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "<dd>Anglais</dd>" in page.text and "<dd>English</dd>" not in page.text


def test_the_directory_s_cards_name_the_fields_in_the_reader_s_language(client, colleague):
    """Needs the catalogues with /work/i18n/extra/i18n-journey.json merged."""
    listing = client.get(reverse("members:directory"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<span class="tag">Santé publique</span>' in listing.text
