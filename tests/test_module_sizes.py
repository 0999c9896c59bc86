"""Modules split along their seams stay readable: none grows back past the house style's "split a
module past ~400 lines" (issue 11, section 4). A module that outgrows this is split again, not
the limit raised."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Some slack over 400: a module at its seam is left whole rather than cut mid-subject.
MAX_LINES = 450

SPLIT_MODULES = [
    "core/outbound/__init__.py",
    "core/outbound/registry.py",
    "core/outbound/sending.py",
    "core/outbound/sweep.py",
    "core/outbound/reputation.py",
    "core/outbound/tracking.py",
    "invitations/accept.py",
    "invitations/requests.py",
    "invitations/triage.py",
    "invitations/admin.py",
    "invitations/admin_invitations.py",
    "members/admin_bad_addresses.py",
]


@pytest.mark.parametrize("module", SPLIT_MODULES)
def test_a_split_module_stays_short(module):
    lines = len((ROOT / module).read_text(encoding="utf-8").splitlines())

    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it along its seams"
