"""A branch announcement sent by a real worker process to a real SMTP server: queued by the
committee member's request, rendered and sent by the bulk worker, each in its member's language,
from "Norec Network <branch>", with the one-click unsubscribe headers."""

import pytest

from community import announcements
from community import services
from community.models import Announcement
from community.models import Branch
from tests.members.factories import MemberFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_sends_the_announcement_to_the_branch(celery_worker, smtp_sink):
    services.network_room()
    uganda = Branch.objects.create(name="Uganda", slug="uganda", countries=["UG"])
    services.branch_room_ensure(branch=uganda)
    okello = MemberFactory(first_name="Okello", email="okello@example.org", home_country="UG")
    uganda.committee.add(okello)
    MemberFactory(
        first_name="Grace", email="grace@example.org", home_country="UG", preferred_language="pt"
    )
    MemberFactory(first_name="Kamau", email="kamau@example.org", home_country="KE")

    announcement = announcements.announcement_send(
        branch=uganda, subject="Friday & <snacks>", body="See you at 5.", user=okello.user
    )

    received = smtp_sink.wait_for(2)
    assert sorted(message.envelope_to[0] for message in received) == [
        "grace@example.org",
        "okello@example.org",
    ]
    by_address = {message.envelope_to[0]: message for message in received}
    grace = by_address["grace@example.org"]
    assert "Norec Network Uganda" in grace["From"]
    assert grace["Subject"] == "Friday & <snacks>"
    assert "See you at 5." in grace.text()
    assert "Olá Grace," in grace.text()
    assert grace["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Hello Okello," in by_address["okello@example.org"].text()
    # The batch marks the announcement sent once nothing is left (same task, right after).
    wait_until(
        lambda: Announcement.objects.get(pk=announcement.pk).status == Announcement.Status.SENT,
        timeout=30,
    )
