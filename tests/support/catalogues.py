"""A catalogue of a test's own: a few translations, compiled as `make run` compiles them, so a
test can check that a text is shown in the reader's language without waiting for the project's
catalogues (locale/) to hold that translation."""

from pathlib import Path

import polib

from core.i18n_catalogues import PLURAL_FORMS
from core.i18n_catalogues import compile_catalogues


def install_catalogue(folder: Path, settings, language: str, translations: dict[str, str]) -> None:
    """Make `translations` (msgid -> translation) Django's for `language` for this test only;
    `settings` is pytest-django's fixture, which restores LOCALE_PATHS (and so Django's loaded
    translations) afterwards."""
    po = polib.POFile()
    po.metadata = {
        "Language": language,
        "Plural-Forms": PLURAL_FORMS[language],
        "Content-Type": "text/plain; charset=UTF-8",
    }
    for msgid, msgstr in translations.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    (folder / language / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    po.save(str(folder / language / "LC_MESSAGES" / "django.po"))
    compile_catalogues([folder])
    settings.LOCALE_PATHS = [folder]  # Django drops the translations it had loaded
