"""The roster's rules, each written once (members.models): a bad address, who may be invited, who
gets the newsletter. The queryset methods, the counts per reason that pages show and the checks
the sender makes on a loaded row must agree for every kind of person."""

import itertools

import pytest

from invitations import selectors as invitation_selectors
from members.models import BAD_ADDRESS
from members.models import Participant
from newsletters.selectors import newsletter_audience_counts
from newsletters.selectors import newsletter_recipients
from tests.invitations.sending_support import make_wave
from tests.members.factories import ParticipantFactory
from tests.members.factories import UserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db

STATUSES = list(Participant.EmailStatus.values)


@pytest.fixture
def everyone():
    """One participant of every combination that the three rules look at."""
    people = []
    accounts = [None, "active", "inactive"]
    for number, (account, declined, has_email, status, subscribed) in enumerate(
        itertools.product(accounts, [False, True], [True, False], STATUSES, [True, False])
    ):
        email = f"person{number}@example.org" if has_email else ""
        user = None
        if account is not None:
            user = UserFactory(email=f"login{number}@example.org", is_active=account == "active")
        people.append(
            ParticipantFactory(
                home_country="KE",
                user=user,
                declined_invitations=declined,
                email=email,
                email_status=status,
                newsletter_subscribed=subscribed,
            )
        )
    return people


def test_each_rule_reads_the_same_in_the_database_and_on_a_loaded_row(everyone):
    rows = list(Participant.objects.select_related("user"))
    assert len(rows) == 3 * 2 * 2 * len(STATUSES) * 2

    bad = set(Participant.objects.with_bad_address().values_list("pk", flat=True))
    assert bad == {p.pk for p in rows if p.has_bad_address}
    assert {p.email_status for p in rows if p.pk in bad} == {"bounced", "complained"}

    invitable = set(Participant.objects.invitable().values_list("pk", flat=True))
    assert invitable == {p.pk for p in rows if p.invitation_obstacle is None}
    assert invitable, "nobody may be invited: the test lost its point"

    recipients = set(Participant.objects.newsletter_recipients().values_list("pk", flat=True))
    assert recipients == {p.pk for p in rows if p.newsletter_obstacle is None}
    assert recipients


def test_the_wave_preview_counts_each_person_under_the_reason_the_sender_gives(everyone):
    wave = make_wave(home_countries=["KE"])
    rows = Participant.objects.select_related("user")
    expected = {invitation_selectors.ELIGIBLE: 0}
    for participant in rows:
        reason = participant.invitation_obstacle or invitation_selectors.ELIGIBLE
        expected[reason] = expected.get(reason, 0) + 1

    preview = {row["reason"]: row["count"] for row in invitation_selectors.wave_preview(wave=wave)}

    assert {reason: n for reason, n in preview.items() if n} == expected
    # Every reason of the rule occurs (an open invitation is the invitations app's own).
    assert set(expected) | {invitation_selectors.ALREADY_INVITED} == set(preview)


def test_the_newsletter_audience_counts_each_person_under_the_reason_the_sender_gives(everyone):
    newsletter = NewsletterFactory()
    rows = list(Participant.objects.select_related("user"))
    obstacles = [participant.newsletter_obstacle for participant in rows]

    counts = newsletter_audience_counts(newsletter=newsletter)

    assert counts.receive == obstacles.count(None)
    assert counts.not_registered == obstacles.count("not_registered")
    assert counts.unsubscribed == obstacles.count("unsubscribed")
    assert counts.bad_address == obstacles.count(BAD_ADDRESS)
    assert counts.receive + counts.left_out == len(rows)
    assert newsletter_recipients(newsletter=newsletter).count() == counts.receive
