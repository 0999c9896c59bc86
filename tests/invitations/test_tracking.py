"""ESP webhooks, through anymail's own Postmark endpoint, with the payloads Postmark posts."""

import base64
import json
import logging

import pytest
from django.core import mail

from invitations.models import Invitation
from members.models import Participant
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"
SECRET = "hook:s3cret-webhook"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


@pytest.fixture
def sent():
    """Three invitations handed over to the (test) ESP."""
    make_participants(3)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    assert len(mail.outbox) == 3
    return list(Invitation.objects.filter(wave=wave).order_by("pk"))


def post(client, payload, secret=SECRET):
    headers = {}
    if secret:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def delivery(invitation, **extra):
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": invitation.esp_message_id,
        "Recipient": invitation.email,
        "Tag": "invitation",
        "DeliveredAt": "2026-11-23T10:15:54.9070259Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"stream": "invitation", "id": str(invitation.pk)},
        **extra,
    }


def bounce(invitation, **extra):
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "invitation",
        "MessageID": invitation.esp_message_id,
        "Metadata": {"stream": "invitation", "id": str(invitation.pk)},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": invitation.email,
        "From": "network@norec.no",
        "BouncedAt": "2026-11-23T10:16:54.9070259Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "You are invited",
        "MessageStream": "outbound",
        **extra,
    }


def complaint(invitation):
    return {
        **bounce(invitation),
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
    }


def test_a_webhook_without_the_secret_is_refused(client, sent):
    response = post(client, bounce(sent[0]), secret=None)
    wrong = post(client, bounce(sent[0]), secret="hook:guess")

    assert response.status_code == wrong.status_code == 400
    assert Invitation.objects.get(pk=sent[0].pk).status == "sent"


def test_delivered_stamps_the_invitation_and_confirms_the_address(client, sent):
    response = post(client, delivery(sent[0]))

    assert response.status_code == 200
    invitation = Invitation.objects.get(pk=sent[0].pk)
    assert invitation.delivered_at is not None and invitation.status == "sent"
    assert invitation.participant.email_status == Participant.EmailStatus.OK


def test_a_bounce_marks_the_invitation_and_the_address_bad(client, sent):
    response = post(client, bounce(sent[1]))

    assert response.status_code == 200
    invitation = Invitation.objects.get(pk=sent[1].pk)
    assert invitation.status == "bounced" and invitation.bounced_at is not None
    assert invitation.participant.email_status == Participant.EmailStatus.BOUNCED
    # The others are untouched.
    assert Invitation.objects.get(pk=sent[0].pk).status == "sent"


def test_a_complaint_marks_the_address_complained(client, sent):
    post(client, complaint(sent[2]))

    invitation = Invitation.objects.get(pk=sent[2].pk)
    assert invitation.complained_at is not None
    assert invitation.participant.email_status == Participant.EmailStatus.COMPLAINED


def test_the_same_event_twice_changes_nothing(client, sent):
    post(client, bounce(sent[0]))
    first = Invitation.objects.get(pk=sent[0].pk)
    participant_updated = first.participant.updated_at

    response = post(client, bounce(sent[0]))

    assert response.status_code == 200
    again = Invitation.objects.get(pk=sent[0].pk)
    assert (again.status, again.bounced_at, again.updated_at) == (
        first.status,
        first.bounced_at,
        first.updated_at,
    )
    assert again.participant.updated_at == participant_updated


def test_an_event_without_metadata_maps_back_by_message_id(client, sent):
    payload = delivery(sent[0])
    del payload["Metadata"]

    post(client, payload)

    assert Invitation.objects.get(pk=sent[0].pk).delivered_at is not None


def test_an_event_for_an_unknown_message_is_logged_and_ignored(client, sent, caplog):
    payload = bounce(sent[0], MessageID="not-one-of-ours", Metadata={})

    with caplog.at_level(logging.INFO, logger="core.outbound"):
        response = post(client, payload)

    assert response.status_code == 200
    assert "unknown message" in caplog.text
    assert not Invitation.objects.filter(status="bounced").exists()
    assert not Participant.objects.exclude(email_status="unknown").exists()


def test_metadata_pointing_at_a_missing_row_is_ignored(client, sent):
    payload = bounce(sent[0], MessageID="x", Metadata={"stream": "invitation", "id": "999999"})

    assert post(client, payload).status_code == 200
    assert not Invitation.objects.filter(status="bounced").exists()


def test_a_bounce_after_acceptance_keeps_the_invitation_accepted(client, sent):
    Invitation.objects.filter(pk=sent[0].pk).update(status="accepted")

    post(client, bounce(sent[0]))

    assert Invitation.objects.get(pk=sent[0].pk).status == "accepted"


def test_a_soft_bounce_is_noted_but_does_not_mark_the_address_bad(client, sent):
    payload = bounce(sent[0], Type="SoftBounce", TypeCode=4096, Name="Soft bounce")

    assert post(client, payload).status_code == 200

    invitation = Invitation.objects.get(pk=sent[0].pk)
    assert invitation.status == "sent" and invitation.bounced_at is None
    assert invitation.last_error.startswith("soft bounce")
    assert invitation.participant.email_status == Participant.EmailStatus.UNKNOWN
