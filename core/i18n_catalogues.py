"""The translation catalogues, `locale/<language>/LC_MESSAGES/django.po` (issue 12): updating them
from the code, compiling them without GNU gettext, and the checks that keep them complete.

- `update_catalogues()` (behind `make messages`, `manage.py update_catalogues`) extracts every
  marked string of the code with Django's makemessages, which needs GNU gettext's xgettext,
  msgmerge and msgattrib (`scripts/ensure_gettext.sh` installs them), then sets each catalogue's
  header (Language, Plural-Forms).
- `compile_catalogues()` (behind `make run`, `make test` and the Dockerfile) writes each .po's
  .mo with polib, so a machine with only Python gets translated pages.
- The checks (`untranslated_problems`, `header_problems`, `placeholder_problems`,
  `extraction_differences`, `languages_without_catalogue`) are what tests/i18n/test_catalogues.py
  asserts; each returns human-readable lines naming the msgid at fault.
"""

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command

# The catalogue's one domain: the portal has no JavaScript catalogue.
DOMAIN = "django"

# What makemessages must not read: installed packages, generated files, and code whose strings
# are not the portal's interface (tests, benchmarks).
IGNORED_PATHS = [".venv", "var", "tests", "bench", "test-artifacts", "node_modules", "staticfiles"]

# Each catalogue's plural rule (GNU gettext's, as the languages' grammars have them). Django's own
# catalogues use three forms for fr, es and pt (a special form for millions); the portal's
# strings never need it, and translators fill two forms: one and other. A new language needs its
# line here (https://www.gnu.org/software/gettext/manual/html_node/Plural-forms.html).
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "pt": "nplurals=2; plural=(n != 1);",
}

# File suffixes of templates: their strings are always %-formatted by Django's translate and
# blocktranslate tags (a literal % is written %% in the msgid and must be in the translation).
TEMPLATE_SUFFIXES = (".html", ".txt", ".ics", ".xml")

# A %-directive as Python's % operator reads it: %(name)s, %s, %5.1f, %% ...
PERCENT_DIRECTIVE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<kind>[diouxXeEfFgGcrsa%])"
)
# A str.format field: {name}, {name!r}, {name:>5}, {0}, {}.
BRACE_FIELD = re.compile(r"\{[A-Za-z_]\w*(?:[.\[][^{}]*)?(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}")


def catalogue_languages() -> list[str]:
    """Every language of settings.LANGUAGES but the one the code is written in (English)."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def catalogue_path(language: str, root: Path | None = None) -> Path:
    return (root or locale_dir()) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# --- Updating from the code ------------------------------------------------------------------


def update_catalogues(*, source_root: Path | None = None, verbosity: int = 0) -> list[Path]:
    """Extract the marked strings of the code under `source_root` (the project) into the catalogue
    of every language (created when missing), keeping existing translations; messages the code no
    longer has are dropped. Writes into settings.LOCALE_PATHS[0]."""
    for language in catalogue_languages():
        catalogue_path(language).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(source_root or settings.BASE_DIR):
        # --all: every language folder just made sure of; --add-location=file and --no-wrap keep
        # the diffs of a change small (no line numbers, no re-wrapped paragraphs).
        call_command(
            "makemessages",
            all=True,
            domain=DOMAIN,
            ignore_patterns=IGNORED_PATHS,
            add_location="file",
            no_wrap=True,
            no_obsolete=True,
            verbosity=verbosity,
        )
    paths = [catalogue_path(language) for language in catalogue_languages()]
    for language, path in zip(catalogue_languages(), paths, strict=True):
        set_header(path, language)
    return paths


def set_header(path: Path, language: str) -> None:
    """The header makemessages leaves is a template ("Language: ", a fuzzy flag, Django's own
    plural rule): say which language this is and how it counts."""
    catalogue = polib.pofile(str(path), wrapwidth=0)
    catalogue.header = (
        f"Norec Network portal: the {language} catalogue. Updated by `make messages`;\n"
        "see README.md, Languages."
    )
    catalogue.metadata_is_fuzzy = False
    catalogue.metadata.update(
        {
            "Project-Id-Version": "Norec Network",
            "Language": language,
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": PLURAL_FORMS.get(language, ""),
        }
    )
    for template_field in ("Last-Translator", "Language-Team", "PO-Revision-Date"):
        catalogue.metadata.pop(template_field, None)
    catalogue.save(str(path))


# --- Compiling -------------------------------------------------------------------------------


def compile_catalogues(locale_paths: Iterable[Path] | None = None) -> list[Path]:
    """Write `<name>.mo` beside every `<locale path>/*/LC_MESSAGES/<name>.po`, as msgfmt would:
    untranslated and fuzzy messages are left out, so they show in English."""
    written = []
    for root in locale_paths or settings.LOCALE_PATHS:
        for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


# --- Checks ----------------------------------------------------------------------------------


def load(path: Path) -> polib.POFile:
    return polib.pofile(str(path), wrapwidth=0)


def describe(entry: polib.POEntry) -> str:
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"{entry.msgid!r}{context}"


def languages_without_catalogue(root: Path | None = None) -> list[str]:
    return [lang for lang in catalogue_languages() if not catalogue_path(lang, root).is_file()]


def untranslated_problems(catalogue: polib.POFile) -> list[str]:
    """Every message untranslated (a plural with an empty form too), fuzzy or obsolete."""
    problems = [f"untranslated: {describe(entry)}" for entry in catalogue.untranslated_entries()]
    problems += [f"fuzzy: {describe(entry)}" for entry in catalogue.fuzzy_entries()]
    problems += [f"obsolete: {describe(entry)}" for entry in catalogue.obsolete_entries()]
    return problems


def header_problems(catalogue: polib.POFile, language: str) -> list[str]:
    expected = {"Language": language, "Plural-Forms": PLURAL_FORMS.get(language)}
    problems = [
        f"header {field}: {catalogue.metadata.get(field)!r}, expected {value!r}"
        for field, value in expected.items()
        if catalogue.metadata.get(field) != value
    ]
    if language not in PLURAL_FORMS:
        problems.append(f"no plural rule for {language!r}: add it to PLURAL_FORMS")
    if catalogue.metadata_is_fuzzy:
        problems.append("header: marked fuzzy (msgfmt would ignore it)")
    return problems


def placeholder_problems(catalogue: polib.POFile) -> list[str]:
    """Every translation keeps its msgid's placeholders, so formatting it never raises (which
    would crash a page, or show English where blocktranslate falls back)."""
    problems = []
    for entry in catalogue.translated_entries():
        for index, translation in enumerate(_translations(entry)):
            form = f" (plural form {index})" if entry.msgid_plural else ""
            problems += [
                f"{describe(entry)}{form}: {problem} in {translation!r}"
                for problem in _percent_problems(entry, index, translation)
                + _brace_problems(entry, index, translation)
            ]
    return problems


def extraction_differences(
    committed: polib.POFile, fresh: polib.POFile
) -> tuple[list[str], list[str]]:
    """(messages of the code missing from the committed catalogue, messages of the catalogue the
    code no longer has), by msgid."""
    committed_keys = {_key(entry) for entry in committed if not entry.obsolete}
    fresh_entries = {_key(entry): entry for entry in fresh if not entry.obsolete}
    missing = [describe(entry) for key, entry in fresh_entries.items() if key not in committed_keys]
    stale = [
        describe(entry)
        for entry in committed
        if not entry.obsolete and _key(entry) not in fresh_entries
    ]
    return missing, stale


def _key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _percent_directives(text: str) -> tuple[set[str], list[str]]:
    """(names of %(name)s directives, conversions of the positional ones), %% left out."""
    names, positional = set(), []
    for match in PERCENT_DIRECTIVE.finditer(text):
        if match["kind"] == "%":
            continue
        if match["name"] is not None:
            names.add(match["name"])
        else:
            positional.append(match["kind"])
    return names, positional


def _is_percent_formatted(entry: polib.POEntry) -> bool:
    from_template = any(path.endswith(TEMPLATE_SUFFIXES) for path, _line in entry.occurrences)
    names, positional = _percent_directives(entry.msgid)
    return "python-format" in entry.flags or from_template or bool(names or positional)


def _percent_problems(entry: polib.POEntry, index: int, translation: str) -> list[str]:
    if not _is_percent_formatted(entry):
        return []
    names, positional = _percent_directives(entry.msgid)
    plural_names, plural_positional = _percent_directives(entry.msgid_plural or entry.msgid)
    got_names, got_positional = _percent_directives(translation)
    problems = []
    if entry.msgid_plural:
        # The singular form may leave out the count ("Un membre"); the other forms keep every
        # placeholder of msgid_plural. No form may bring one of its own.
        required = plural_names if index else set()
        allowed = names | plural_names
    else:
        required = allowed = names
    if required - got_names:
        problems.append(f"missing {_listed(required - got_names, '%({})s')}")
    if got_names - allowed:
        problems.append(f"unknown {_listed(got_names - allowed, '%({})s')}")
    if got_positional != plural_positional:
        problems.append(
            f"positional placeholders {_listed_in_order(got_positional)}, "
            f"the msgid has {_listed_in_order(plural_positional)}"
        )
    if not problems:
        values = (
            (1,) * len(positional)
            if positional
            else dict.fromkeys(names | plural_names | got_names, 1)
        )
        try:
            translation % values
        except (KeyError, ValueError, TypeError) as error:
            problems.append(f"formatting fails ({error}); write a literal % as %%")
    return problems


def _brace_fields(text: str) -> set[str]:
    """The names of str.format fields ({name}, {name:>5}, {0}, {} as "")."""
    return {re.split(r"[:!]", field[1:-1])[0] for field in BRACE_FIELD.findall(text)}


def _brace_problems(entry: polib.POEntry, index: int, translation: str) -> list[str]:
    fields = _brace_fields(entry.msgid) | _brace_fields(entry.msgid_plural or "")
    if "python-brace-format" not in entry.flags and not fields:
        return []
    got = _brace_fields(translation)
    problems = []
    if got - fields:
        problems.append(f"unknown {_listed(got - fields, '{{{}}}')}")
    required = _brace_fields(entry.msgid_plural if entry.msgid_plural and index else entry.msgid)
    if required - got:
        problems.append(f"missing {_listed(required - got, '{{{}}}')}")
    if not problems and not any(mark in field for field in fields for mark in ".["):
        try:
            translation.format(*(1,) * 10, **dict.fromkeys(fields, 1))
        except (KeyError, IndexError, ValueError) as error:
            problems.append(f"formatting fails ({error}); write a literal brace as {{{{ or }}}}")
    return problems


def _listed(names: set[str], shape: str) -> str:
    return ", ".join(shape.format(name) for name in sorted(names))


def _listed_in_order(conversions: list[str]) -> str:
    return " ".join(f"%{kind}" for kind in conversions) or "none"
