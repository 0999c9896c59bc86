"""Invitations in the demo data and in a member's "Download my data" / account deletion."""

import pytest

from invitations import demo
from invitations import services
from invitations.models import Invitation
from invitations.models import Wave
from members.extensions import demo_seeders
from members.extensions import personal_data_sources
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def test_the_demo_waves_are_seeded_once_and_send_nothing(mailoutbox):
    from tests.members.factories import StaffUserFactory

    adviser = StaffUserFactory(email="adviser@norec.test")
    for n in range(12):
        ParticipantFactory(participant_id=f"DEMO-{n:05d}", home_country="KE")

    first = demo.invitations_seed_demo()
    again = demo.invitations_seed_demo()

    assert "one sent with 12 invitations" in first and "already there" in again
    sent = Wave.objects.get(name=demo.SENT_WAVE)
    assert sent.status == "completed" and sent.invitations.count() == 12
    assert {"sent", "bounced", "expired"} <= set(sent.invitations.values_list("status", flat=True))
    assert Wave.objects.get(name=demo.DRAFT_WAVE).status == "draft"
    assert mailoutbox == []
    assert set(sent.invitations.values_list("created_by", flat=True)) == {adviser.pk}
    assert {"invitations", "invitation_requests"} <= {s.name for s in demo_seeders()}


def test_a_members_invitations_are_in_their_data_and_go_with_their_account():
    person = ParticipantFactory()
    other = ParticipantFactory()
    services.invitation_send_direct(participant=person, actor=None)
    services.invitation_send_direct(participant=other, actor=None)
    source = next(s for s in personal_data_sources() if s.name == "invitations")

    exported = source.export(person)
    source.erase(person)

    assert [row["sent_to"] for row in exported] == [person.email]
    assert not Invitation.objects.filter(participant=person).exists()
    assert Invitation.objects.filter(participant=other).exists()
