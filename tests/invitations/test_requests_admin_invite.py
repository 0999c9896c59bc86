"""The adviser's triage actions that invite: correcting an address, creating a participant."""

import pytest

from invitations.models import Invitation
from invitations.models import InvitationRequest
from members.models import Participant
from tests.invitations.test_requests_admin import ADVISER_PERMISSIONS
from tests.invitations.test_requests_admin import create_url
from tests.invitations.test_requests_admin import invite_url
from tests.invitations.test_requests_admin import make_request
from tests.invitations.test_requests_admin import with_permissions
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def adviser(client):
    user = with_permissions(StaffUserFactory(email="adviser@norec.no"), *ADVISER_PERMISSIONS)
    client.force_login(user)
    return user


def test_correcting_the_address_invites_the_participant_now(client, adviser):
    participant = ParticipantFactory(
        first_name="Amina",
        last_name="Odhiambo",
        email="amina@oldmail.example",
        email_status=Participant.EmailStatus.BOUNCED,
    )
    request_row = make_request()

    # As the confirmation page posts it: the address the adviser saw being replaced.
    response = client.post(
        invite_url(request_row, participant), {"replaces": "amina@oldmail.example"}, follow=True
    )

    assert "now amina.new@example.org, and an invitation is on its way" in response.text
    participant.refresh_from_db()
    assert participant.email == "amina.new@example.org"
    assert participant.email_source == Participant.EmailSource.ADVISER
    assert participant.email_status == Participant.EmailStatus.UNKNOWN
    invitation = Invitation.objects.get(participant=participant)
    assert invitation.email == "amina.new@example.org"
    assert invitation.wave is None
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.INVITED
    assert request_row.matched_participant == participant
    assert request_row.handled_by == adviser
    assert request_row.handled_at is not None


def test_inviting_replaces_an_open_invitation_to_the_old_address(client, adviser):
    participant = ParticipantFactory(email="amina@oldmail.example")
    old = Invitation.objects.create(
        participant=participant, email=participant.email, status=Invitation.Status.SENT
    )
    request_row = make_request()

    client.post(invite_url(request_row, participant), {"replaces": "amina@oldmail.example"})

    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED
    new = Invitation.objects.exclude(pk=old.pk).get(participant=participant)
    assert new.email == "amina.new@example.org"
    assert new.status in Invitation.OPEN_STATUSES


def test_a_request_lifts_an_earlier_decline(client, adviser):
    participant = ParticipantFactory(declined_invitations=True)
    request_row = make_request()

    client.post(invite_url(request_row, participant), {"replaces": participant.email})

    participant.refresh_from_db()
    assert not participant.declined_invitations
    assert Invitation.objects.filter(participant=participant).exists()


def test_creating_a_participant_from_the_request_invites_them(client, adviser):
    request_row = make_request()

    response = client.post(create_url(request_row), follow=True)

    assert "is now on the roster" in response.text
    participant = Participant.objects.get(participant_id=f"REQ-{request_row.pk}")
    assert (participant.first_name, participant.last_name) == ("Amina", "Odhiambo")
    assert participant.email == "amina.new@example.org"
    assert participant.home_country == "KE"
    exchange = participant.exchanges.get()
    assert (exchange.year, exchange.partner_organisation) == (2009, "KCMC")
    assert Invitation.objects.get(participant=participant).email == "amina.new@example.org"
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.CREATED
    assert request_row.matched_participant == participant


def test_a_handled_request_cannot_be_handled_again(client, adviser):
    request_row = make_request()
    client.post(create_url(request_row))

    response = client.post(create_url(request_row), follow=True)

    assert "already handled" in response.text
    assert Participant.objects.count() == 1
    assert Invitation.objects.count() == 1
