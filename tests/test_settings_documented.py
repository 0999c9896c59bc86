"""Every setting is declared once, in norec_network/settings.py, from the environment where an
operator would set it, and the README's configuration table names every variable it reads."""

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
ENV_READERS = {"bool", "int", "float", "str", "list", "db", "cache", "url", "json", "dict"}


def variables_settings_read() -> set[str]:
    """The names in every `env("NAME", ...)` / `env.int("NAME", ...)` call of settings.py."""
    tree = ast.parse((ROOT / "norec_network" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func
        is_env = (isinstance(function, ast.Name) and function.id == "env") or (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id == "env"
            and function.attr in ENV_READERS
        )
        first = node.args[0]
        if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def variables_the_readme_documents() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def test_the_parser_finds_the_variables():
    names = variables_settings_read()
    assert {"DATABASE_URL", "DJANGO_DEBUG", "OUTBOUND_MIN_SAMPLE", "CACHE_URL"} <= names


def test_the_readme_table_lists_every_variable_the_settings_read():
    missing = variables_settings_read() - variables_the_readme_documents()
    assert not missing, f"add to the README's configuration table: {sorted(missing)}"


def test_no_setting_is_read_with_a_default_outside_settings_py():
    # A default restated elsewhere drifts from the one in settings.py (and from the README).
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "tests", "build") or relative.name == "settings.py":
            continue
        if re.search(r"getattr\(\s*settings\s*,", path.read_text()):
            offenders.append(str(relative))
    assert offenders == []
