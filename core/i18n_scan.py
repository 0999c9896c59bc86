"""Finds text in the project's templates that is not marked for translation.

Used by the completeness test (tests/i18n/) and handy by hand:

    python -m core.i18n_scan            # lists every unmarked text, by file and line

A template's text is "marked" when it sits inside `{% blocktranslate %}` or comes from
`{% translate %}`; everything else that holds a word is reported: plain text between tags, and the
values of the attributes people read (alt, title, placeholder, aria-label, content of a meta
description). Markup, template variables and a short list of words that are the same in every
language (the names Norec and Norec Network, units, separators) are not text.
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from django.template.base import DebugLexer
from django.template.base import TokenType

BASE_DIR = Path(__file__).resolve().parent.parent

# Where the project's own templates live (not .venv's).
TEMPLATE_ROOTS = [BASE_DIR / "templates"] + [
    path for path in BASE_DIR.glob("*/templates") if path.parent.name != ".venv"
]
TEMPLATE_SUFFIXES = {".html", ".txt", ".ics", ".xml"}

# Words that read the same in every language the portal speaks.
SAME_IN_EVERY_LANGUAGE = {
    "norec",
    "network",  # only ever as part of the name "Norec Network"
    "ok",
    "csv",
    "ics",
    "pdf",
    "url",
    "id",
    "km",
    "kb",
    "mb",
    "ms",
    "px",
    "utc",
    "cet",
    "http",
    "https",
    "www",
    "mailto",
    "linkedin",
}

READ_ATTRIBUTES = re.compile(
    r"""\b(?:alt|title|placeholder|aria-label|aria-description)\s*=\s*(["'])(.*?)\1""",
    re.IGNORECASE | re.DOTALL,
)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&#?\w+;")
URL_OR_ADDRESS = re.compile(r"\S+@\S+|\w+://\S+|\bwww\.\S+")
WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class UnmarkedText:
    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(BASE_DIR)}:{self.line}: {self.text!r}"


def project_templates() -> list[Path]:
    return sorted(
        path
        for root in TEMPLATE_ROOTS
        for path in root.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
    )


def words_of(text: str) -> list[str]:
    """The words a reader would see in `text`, less the ones that are the same in every language."""
    text = URL_OR_ADDRESS.sub(" ", ENTITY.sub(" ", text))
    return [word for word in WORD.findall(text) if word.lower() not in SAME_IN_EVERY_LANGUAGE]


def _blank(text: str) -> str:
    """`text` with every character but newlines replaced, so that offsets keep their line."""
    return re.sub(r"[^\n]", "\x00", text)


def _masked_source(source: str) -> str:
    """The template with its tags, variables, comments and blocktranslate blocks blanked out."""
    masked = []
    depth = 0  # inside {% blocktranslate %} or {% comment %}
    for token in DebugLexer(source).tokenize():
        start, end = token.position
        raw = source[start:end]
        if token.token_type == TokenType.BLOCK:
            name = (token.contents.split() or [""])[0]
            depth += name in ("blocktranslate", "blocktrans", "comment")
            depth -= name in ("endblocktranslate", "endblocktrans", "endcomment")
        if token.token_type == TokenType.TEXT and not depth:
            masked.append(raw)
        else:
            masked.append(_blank(raw))
    return "".join(masked)


def unmarked_text(path: Path) -> list[UnmarkedText]:
    source = path.read_text(encoding="utf-8")
    masked = _masked_source(source)
    found = []

    def report(offset: int, text: str):
        if words_of(text.replace("\x00", " ")):
            line = masked.count("\n", 0, offset) + 1
            shown = re.sub("\x00+", "…", " ".join(text.split()))
            found.append(UnmarkedText(path, line, shown[:120]))

    if path.suffix in {".txt", ".ics"}:
        offset = 0
        for line in masked.split("\n"):
            report(offset, line)
            offset += len(line) + 1
        return found
    for pattern in (COMMENT, SCRIPT_OR_STYLE):
        masked = pattern.sub(lambda match: _blank(match.group(0)).replace("\x00", " "), masked)
    position = 0
    for tag in TAG.finditer(masked):
        report(position, masked[position : tag.start()])
        for attribute in READ_ATTRIBUTES.finditer(tag.group(0)):
            report(tag.start() + attribute.start(2), attribute.group(2))
        position = tag.end()
    report(position, masked[position:])
    return found


def all_unmarked_text() -> list[UnmarkedText]:
    return [item for path in project_templates() for item in unmarked_text(path)]


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")
    django.setup()
    items = all_unmarked_text()
    print(*items, sep="\n")
    print(f"{len(items)} unmarked texts", file=sys.stderr)
