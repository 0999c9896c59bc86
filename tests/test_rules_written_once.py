"""Each rule is written once (issue 11): its old spellings must not come back elsewhere. A rule
written twice drifts ("bounced" once meant two things on two pages); when a new place needs a
rule, it calls the one function: `Participant.objects.with_bad_address()` / `bad_address_q`,
`.invitable()` / `invitable_q`, `.newsletter_recipients()` / `newsletter_recipient_q`,
`Registration.SEAT_STATUSES`, `invitations.selectors.invitation_progress_conditions`."""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("members", "invitations", "activities", "newsletters", "norec_network")

# (what the rule is, an old spelling, the only files allowed to spell it out)
SPELLINGS = [
    ("a bad address", r"email_status__in", {"members/models.py"}),
    (
        "a bad address",
        r"EmailStatus\.BOUNCED,\s*(Participant\.)?EmailStatus\.COMPLAINED",
        # members/services/addresses.py orders the statuses by severity (a complaint outranks a
        # bounce).
        {"members/models.py", "members/services/addresses.py"},
    ),
    ("who may be invited", r"participant__declined_invitations", set()),
    ("who may be invited", r"participant__user__isnull", set()),
    ("who gets the newsletter", r"user__is_active\s*=\s*True", set()),
    (
        "the statuses that hold a seat",
        r"Status\.CONFIRMED,\s*(Registration\.)?Status\.ATTENDED",
        {"activities/models.py"},
    ),
    (
        "a wave's counts",
        r"invitations__(status|sent_at|delivered_at|bounced_at)",
        {"invitations/selectors.py"},
    ),
]


def sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, path.read_text()


@pytest.mark.parametrize(("rule", "pattern", "allowed"), SPELLINGS)
def test_the_rule_is_spelled_out_in_one_place(rule, pattern, allowed):
    found = {relative for relative, text in sources() if re.search(pattern, text)}
    assert found <= allowed, f"{rule} is spelled out again in {sorted(found - allowed)}"
