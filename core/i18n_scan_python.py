"""Finds string literals in the project's Python code that reach a reader without being marked for
translation (issue 12): the template scan's counterpart (core/i18n_scan.py).

    python -m core.i18n_scan_python      # lists every finding, by file and line

It reads the syntax tree and looks only where people read a string:

- the message of `messages.success/error/info/warning/debug/add_message(...)` and of the admin's
  `message_user(...)`;
- `ValidationError(...)` and the project's refusals (`Refused`, `ParticipantRefused`, ...: any
  call of a name ending in `Refused`);
- in any call, the keywords that carry a text for people (`label=`, `help_text=`, `verbose_name=`,
  `empty_label=`, `description=` as in `@admin.display`, `title=`, `note=`, `summary=`, `reason=`,
  `message=`: READ_KEYWORDS); the `choices=` labels of any `...Field(...)`, and a model field's
  first positional argument (its verbose name);
- class bodies: `verbose_name` / `verbose_name_plural` (Meta, AppConfig), `short_description`,
  and the labels of `TextChoices` / `IntegerChoices` members;
- `x.short_description = ...`.

A `core.stored_text.Sentence`'s msgid must be marked too (with gettext_noop), or makemessages
would not extract it.

A literal is unmarked when it holds a word and is not inside a gettext call: a plain string, an
f-string (its text cannot be extracted), `"..." % x`, `"...".format(...)`, a concatenation, or
`format_html` / `mark_safe` of one. Names of Norec and the words that read the same everywhere
(core.i18n_scan.SAME_IN_EVERY_LANGUAGE) are not words here either. Migrations, tests, benchmarks
and demo data (demo.py, and functions with "demo" in their name: content, not interface) are not
scanned.
"""

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from core.i18n_scan import words_of

BASE_DIR = Path(__file__).resolve().parent.parent
# The project's packages (core, members, the feature apps, the back office, the wiring; an app
# added later is scanned as soon as it exists), not the tests or the benchmarks.
APPS = sorted(
    path.name
    for path in BASE_DIR.iterdir()
    if (path / "__init__.py").is_file() and path.name not in {"tests", "bench"}
)
SKIPPED_PARTS = {"migrations", "tests", "bench", "__pycache__"}
SKIPPED_NAMES = {"demo.py"}

MARKERS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
WRAPPERS = {"format_html", "mark_safe", "format_lazy"}
MESSAGE_FUNCTIONS = {"success", "error", "info", "warning", "debug"}
# Keywords that carry a text for people in any call: a field's label, a chart's title, a reason.
READ_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "description",
    "title",
    "note",
    "summary",
    "reason",
    "message",
}
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey"}
CLASS_ATTRIBUTES = {"verbose_name", "verbose_name_plural", "short_description"}
# What a reader never sees: markup and placeholders inside a literal.
NOT_TEXT = re.compile(r"<[^>]*>|%\(\w+\)[sdfr]|%[sdfr]|\{[^{}]*\}")


@dataclass(frozen=True)
class UnmarkedString:
    path: Path
    line: int
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(BASE_DIR)}:{self.line}: {self.where}: {self.text!r}"


def project_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (BASE_DIR / app).rglob("*.py")
        if not SKIPPED_PARTS & set(path.relative_to(BASE_DIR).parts)
        and path.name not in SKIPPED_NAMES
    )


def _name(node: ast.AST) -> str:
    """The last name of a called thing: `messages.success` -> "success", `_` -> "_"."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _has_words(text: str) -> bool:
    return bool(words_of(NOT_TEXT.sub(" ", text)))


def unmarked(node: ast.AST | None) -> str | None:
    """The reader-visible text of `node` when it is a literal not marked for translation."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) and _has_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value if isinstance(part, ast.Constant) else "{…}" for part in node.values
        )
        return f"f{text!r}" if _has_words(text) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return unmarked(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return unmarked(node.left) or unmarked(node.right)
    if isinstance(node, ast.IfExp):
        return unmarked(node.body) or unmarked(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return next(filter(None, map(unmarked, node.elts)), None)
    if isinstance(node, ast.Dict):
        return next(filter(None, map(unmarked, node.values)), None)
    if isinstance(node, ast.Call):
        called = _name(node.func)
        if called in MARKERS:
            return None
        if called == "format" and isinstance(node.func, ast.Attribute):
            return unmarked(node.func.value)
        if called in WRAPPERS and node.args:
            return unmarked(node.args[0])
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _choice_labels(call: ast.Call) -> list[ast.AST]:
    choices = next((item.value for item in call.keywords if item.arg == "choices"), None)
    if isinstance(choices, (ast.List, ast.Tuple)):
        return [
            pair.elts[-1]
            for pair in choices.elts
            if isinstance(pair, (ast.List, ast.Tuple)) and len(pair.elts) == 2
        ]
    return []


def _call_findings(call: ast.Call) -> list[tuple[str, ast.AST | None]]:
    """(what the string is, the argument) for every place of this call that a person reads."""
    called = _name(call.func)
    owner = _name(getattr(call.func, "value", None))
    found = [
        (f"{called}({item.arg}=)", item.value)
        for item in call.keywords
        if item.arg in READ_KEYWORDS
    ]
    if called in MESSAGE_FUNCTIONS and owner == "messages":
        found.append((f"messages.{called}", _argument(call, 1, "message")))
    elif called == "add_message":
        found.append(("messages.add_message", _argument(call, 2, "message")))
    elif called == "message_user":
        found.append(("message_user", _argument(call, 1, "message")))
    elif called == "ValidationError" or called.endswith("Refused"):
        found.append((called, _argument(call, 0, "message")))
    elif called == "Sentence":
        found.append(("Sentence msgid (mark it with gettext_noop)", _argument(call, 0, "msgid")))
    elif called.endswith("Field") or called in RELATION_FIELDS:
        found += [(f"{called} choice", label) for label in _choice_labels(call)]
        if owner == "models" and called not in RELATION_FIELDS and call.args:
            found.append((f"{called} verbose name", call.args[0]))
    return found


def _class_findings(node: ast.ClassDef) -> list[tuple[str, ast.AST | None]]:
    is_choices = any(_name(base).endswith("Choices") for base in node.bases)
    found = []
    for statement in node.body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            if isinstance(target, ast.Name) and target.id in CLASS_ATTRIBUTES:
                found.append((f"{node.name}.{target.id}", statement.value))
            elif is_choices and isinstance(target, ast.Name) and target.id.isupper():
                value = statement.value
                label = (
                    value.elts[-1] if isinstance(value, ast.Tuple) and len(value.elts) > 1 else None
                )
                found.append((f"{node.name}.{target.id} label", label))
    return found


def _walk(tree: ast.AST):
    """Every node, less the bodies of functions that make demo data (content, not interface)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "demo" in node.name:
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def unmarked_strings(path: Path) -> list[UnmarkedString]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in _walk(tree):
        if isinstance(node, ast.Call):
            places = _call_findings(node)
        elif isinstance(node, ast.ClassDef):
            places = _class_findings(node)
        elif isinstance(node, ast.Assign):
            places = [
                (f"{_name(target)}", node.value)
                for target in node.targets
                if isinstance(target, ast.Attribute) and target.attr == "short_description"
            ]
        else:
            places = []
        for where, value in places:
            text = unmarked(value)
            if text is not None:
                found.append(UnmarkedString(path, value.lineno, where, text[:120]))
    return sorted(found, key=lambda item: item.line)


def all_unmarked_strings() -> list[UnmarkedString]:
    return [item for path in project_modules() for item in unmarked_strings(path)]


if __name__ == "__main__":
    items = all_unmarked_strings()
    print(*items, sep="\n")
    print(f"{len(items)} unmarked strings", file=sys.stderr)
