"""The catalogue machinery (core/i18n_catalogues.py): compiling without GNU gettext, updating from
the code, and each check of test_catalogues.py, on small catalogues made here."""

import io
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

from core import i18n_catalogues as catalogues


def entry(msgid, msgstr="", **fields) -> polib.POEntry:
    return polib.POEntry(msgid=msgid, msgstr=msgstr, **fields)


def catalogue(*entries, language="fr") -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Language": language,
        "Plural-Forms": catalogues.PLURAL_FORMS.get(language, ""),
        "Content-Type": "text/plain; charset=UTF-8",
    }
    for item in entries:
        po.append(item)
    return po


# --- Compiling --------------------------------------------------------------------------------


def test_compile_catalogues_makes_django_translate_without_gettext(tmp_path, settings):
    settings.LOCALE_PATHS = [tmp_path]  # Django forgets the translations it loaded
    po = catalogue(
        entry("A sentence only this test knows", "Une phrase que seul ce test connaît"),
        entry("A doubtful sentence of this test", "Une phrase douteuse", flags=["fuzzy"]),
        entry(
            "%(count)s test member",
            msgid_plural="%(count)s test members",
            msgstr_plural={0: "%(count)s membre de test", 1: "%(count)s membres de test"},
        ),
    )
    (tmp_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(tmp_path / "fr" / "LC_MESSAGES" / "django.po"))

    call_command("compile_catalogues", stdout=io.StringIO())

    assert (tmp_path / "fr" / "LC_MESSAGES" / "django.mo").is_file()
    with translation.override("fr"):
        assert translation.gettext("A sentence only this test knows") == (
            "Une phrase que seul ce test connaît"
        )
        # As msgfmt does: a fuzzy translation is left out, the English shows.
        assert translation.gettext("A doubtful sentence of this test") == (
            "A doubtful sentence of this test"
        )
        # French counts 0 and 1 as singular (the header's plural rule).
        assert translation.ngettext("%(count)s test member", "%(count)s test members", 0) == (
            "%(count)s membre de test"
        )
        assert translation.ngettext("%(count)s test member", "%(count)s test members", 2) == (
            "%(count)s membres de test"
        )


def test_compile_catalogues_without_catalogues_says_so(tmp_path, settings, capsys):
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compile_catalogues")
    assert "No catalogue to compile" in capsys.readouterr().out


# --- Updating from the code -------------------------------------------------------------------


@pytest.fixture
def small_project(tmp_path, settings):
    """A project of one view and one template, with its own locale/."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: run `bash scripts/ensure_gettext.sh` (make test does)")
    source = tmp_path / "source"
    (source / "app").mkdir(parents=True)
    (source / "app" / "views.py").write_text(
        "from django.utils.translation import gettext as _\n"
        "from django.utils.translation import ngettext\n\n"
        "TITLE = _('Welcome to the small project')\n"
        "COUNT = ngettext('%(n)s member', '%(n)s members', 2) % {'n': 2}\n"
    )
    (source / "tests").mkdir()
    (source / "tests" / "test_views.py").write_text("_('A test string is not interface')\n")
    (source / "templates").mkdir()
    (source / "templates" / "page.html").write_text(
        "{% load i18n %}<p>{% translate 'A sentence of the page' %}</p>"
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}"
    )
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    return source


def msgids(path: Path) -> set[str]:
    return {item.msgid for item in catalogues.load(path)}


def test_update_catalogues_creates_every_languages_catalogue_with_its_header(small_project):
    paths = catalogues.update_catalogues(source_root=small_project)

    assert [path.parent.parent.name for path in paths] == ["fr", "es", "pt"]
    for language, path in zip(["fr", "es", "pt"], paths, strict=True):
        po = catalogues.load(path)
        assert {item.msgid for item in po} == {
            "Welcome to the small project",
            "%(n)s member",
            "A sentence of the page",
            "Hello %(name)s",
        }
        assert catalogues.header_problems(po, language) == []
    assert catalogues.load(paths[0]).metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert catalogues.load(paths[1]).metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    # --add-location=file: no line numbers, so moving code does not churn the catalogues.
    assert "#: app/views.py\n" in paths[0].read_text()


def test_update_catalogues_keeps_translations_and_drops_what_the_code_lost(small_project):
    french = catalogues.update_catalogues(source_root=small_project)[0]
    po = catalogues.load(french)
    po.find("Welcome to the small project").msgstr = "Bienvenue dans le petit projet"
    po.save(str(french))
    views = small_project / "app" / "views.py"
    views.write_text(views.read_text().replace("'%(n)s member', '%(n)s members'", "'a', 'b'"))

    catalogues.update_catalogues(source_root=small_project)

    po = catalogues.load(french)
    assert po.find("Welcome to the small project").msgstr == "Bienvenue dans le petit projet"
    assert po.find("%(n)s member") is None and po.obsolete_entries() == []  # --no-obsolete
    assert po.find("a") is not None


# --- The checks -------------------------------------------------------------------------------


def test_untranslated_fuzzy_and_obsolete_messages_are_listed_by_msgid():
    po = catalogue(
        entry("Done", "Fait"),
        entry("Untranslated one"),
        entry("Fuzzy one", "Flou", flags=["fuzzy"]),
        entry("Obsolete one", "Obsolète", obsolete=True),
        entry("%(n)s day", msgid_plural="%(n)s days", msgstr_plural={0: "%(n)s jour", 1: ""}),
    )
    assert sorted(catalogues.untranslated_problems(po)) == [
        "fuzzy: 'Fuzzy one'",
        "obsolete: 'Obsolete one'",
        "untranslated: '%(n)s day'",
        "untranslated: 'Untranslated one'",
    ]
    assert catalogues.untranslated_problems(catalogue(entry("Done", "Fait"))) == []


def test_the_header_must_name_the_language_and_its_plural_rule():
    assert catalogues.header_problems(catalogue(), "fr") == []
    wrong = catalogue()
    wrong.metadata["Language"] = ""
    wrong.metadata["Plural-Forms"] = "nplurals=3; plural=(n == 0 || n == 1) ? 0 : 2;"
    wrong.metadata_is_fuzzy = True
    assert catalogues.header_problems(wrong, "fr") == [
        "header Language: '', expected 'fr'",
        "header Plural-Forms: 'nplurals=3; plural=(n == 0 || n == 1) ? 0 : 2;', "
        "expected 'nplurals=2; plural=(n > 1);'",
        "header: marked fuzzy (msgfmt would ignore it)",
    ]
    assert "no plural rule for 'de': add it to PLURAL_FORMS" in catalogues.header_problems(
        catalogue(language="de"), "de"
    )


def problems_of(*entries) -> list[str]:
    return catalogues.placeholder_problems(catalogue(*entries))


def test_translations_that_keep_their_placeholders_pass():
    assert (
        problems_of(
            entry("Hello %(name)s", "Bonjour %(name)s", flags=["python-format"]),
            entry("%s of %d", "%s sur %d", flags=["python-format"]),
            entry("{name} is here", "{name} est là", flags=["python-brace-format"]),
            entry("50%% done", "50 %% fait", occurrences=[("templates/page.html", "")]),
            entry("A plain sentence", "Une phrase simple"),
            entry("Rate 3%", "Taux 3 %"),  # from Python, never %-formatted
            # A singular form may leave out the count ("Un membre"); the others keep it.
            entry(
                "%(count)s member in %(country)s",
                msgid_plural="%(count)s members in %(country)s",
                msgstr_plural={
                    0: "Un membre au %(country)s",
                    1: "%(count)s membres au %(country)s",
                },
                flags=["python-format"],
            ),
        )
        == []
    )


@pytest.mark.parametrize(
    "broken, problem",
    [
        (entry("Hello %(name)s", "Bonjour", flags=["python-format"]), "missing %(name)s"),
        (entry("Hello %(name)s", "Bonjour %(nom)s", flags=["python-format"]), "unknown %(nom)s"),
        (entry("%s of %d", "%s sur", flags=["python-format"]), "positional placeholders %s"),
        (entry("%s of %d", "%d sur %s", flags=["python-format"]), "positional placeholders %d %s"),
        (entry("Hello %(name)s", "Bonjour %(name)", flags=["python-format"]), "missing %(name)s"),
        # A bare % in a template's translation: blocktranslate would crash or fall back.
        (
            entry("Half done", "50 % de fait", occurrences=[("templates/page.html", "")]),
            "positional placeholders %d",
        ),
        (entry("Rate: 5%%", "Taux : 5 %", flags=["python-format"]), "formatting fails"),
        (entry("{name} is here", "{nom} est là", flags=["python-brace-format"]), "unknown {nom}"),
        (entry("{name} is here", "Quelqu'un est là"), "missing {name}"),
        (entry("{name} is here", "{name} est là {"), "formatting fails"),
        (
            entry(
                "%(count)s member",
                msgid_plural="%(count)s members",
                msgstr_plural={0: "%(count)s membre", 1: "Des membres"},
                flags=["python-format"],
            ),
            "(plural form 1): missing %(count)s",
        ),
    ],
)
def test_a_translation_that_loses_or_breaks_a_placeholder_is_listed(broken, problem):
    problems = problems_of(broken)
    assert problem in "\n".join(problems)
    assert all(line.startswith(repr(broken.msgid)) for line in problems)


def test_fuzzy_and_untranslated_entries_are_not_checked_for_placeholders():
    assert problems_of(entry("Hello %(name)s", "", flags=["python-format"])) == []


def test_extraction_differences_name_missing_and_stale_messages():
    committed = catalogue(entry("Kept", "Gardé"), entry("Gone from the code", "Parti"))
    fresh = catalogue(
        entry("Kept"), entry("New in the code"), entry("May", msgctxt="month", msgstr="")
    )
    missing, stale = catalogues.extraction_differences(committed, fresh)
    assert missing == ["'New in the code'", "'May' (context 'month')"]
    assert stale == ["'Gone from the code'"]


def test_a_language_without_a_catalogue_is_named(tmp_path):
    (tmp_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "fr" / "LC_MESSAGES" / "django.po").write_text(str(catalogue()))
    assert catalogues.languages_without_catalogue(tmp_path) == ["es", "pt"]
