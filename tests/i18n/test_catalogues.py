"""The translations are complete and stay complete (issue 12, "Keeping it true").

For French, Spanish and Portuguese (every language of settings.LANGUAGES but English):

a. no message of the catalogue is untranslated, fuzzy or obsolete, and the header names the
   language and its plural rule;
b. every translation keeps its msgid's placeholders, so formatting it can never crash a page;
c. the committed catalogues hold every string the code marks: the strings are extracted afresh
   (makemessages, into a copy of locale/) and compared; so every new string lands with its three
   translations;
d. a language of settings.LANGUAGES without a catalogue fails.

Each failure lists the msgids at fault. Run `make messages`, translate what it added (see
README.md, Languages), and run this file:

    make test PYTEST_ARGS="-q -p no:randomly tests/i18n/test_catalogues.py"

The checks themselves are tested on small catalogues in test_catalogue_tools.py.
"""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import override_settings

from core import i18n_catalogues as catalogues

LANGUAGES = catalogues.catalogue_languages()


def committed(language: str) -> polib.POFile:
    path = catalogues.catalogue_path(language)
    if not path.is_file():
        pytest.fail(f"No catalogue for {language!r} ({path}): run `make messages`.")
    return catalogues.load(path)


def listed(problems: list[str]) -> str:
    return "\n".join(problems) + f"\n({len(problems)} in all)"


def test_every_language_has_a_catalogue():
    missing = catalogues.languages_without_catalogue()
    assert not missing, (
        f"settings.LANGUAGES offers {missing} without a catalogue: run `make messages`, then "
        "translate locale/<language>/LC_MESSAGES/django.po"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    catalogue = committed(language)
    problems = catalogues.header_problems(catalogue, language) + catalogues.untranslated_problems(
        catalogue
    )
    assert not problems, f"locale/{language}: " + listed(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_its_placeholders(language):
    problems = catalogues.placeholder_problems(committed(language))
    assert not problems, f"locale/{language}: " + listed(problems)


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory) -> Path:
    """The catalogues as `make messages` would leave them now: the code copied aside (so that
    makemessages writes nothing into the project), locale/ copied beside it, and extracted."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: run `bash scripts/ensure_gettext.sh` (make test does)")
    root = tmp_path_factory.mktemp("extraction")
    source = root / "source"
    shutil.copytree(
        settings.BASE_DIR,
        source,
        ignore=shutil.ignore_patterns(
            *catalogues.IGNORED_PATHS, ".*", "locale", "__pycache__", "*.mo", "*.pyc"
        ),
    )
    fresh = root / "locale"
    if catalogues.locale_dir().is_dir():
        shutil.copytree(catalogues.locale_dir(), fresh, ignore=shutil.ignore_patterns("*.mo"))
    with override_settings(LOCALE_PATHS=[fresh]):
        catalogues.update_catalogues(source_root=source)
    return fresh


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_hold_every_string_the_code_marks(language, fresh_catalogues):
    missing, stale = catalogues.extraction_differences(
        committed(language), catalogues.load(catalogues.catalogue_path(language, fresh_catalogues))
    )
    problems = [f"not in the catalogue: {msgid}" for msgid in missing] + [
        f"no longer in the code: {msgid}" for msgid in stale
    ]
    assert not problems, (
        f"locale/{language} is behind the code; run `make messages` and translate:\n"
        + listed(problems)
    )
