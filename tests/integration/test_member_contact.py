"""The directory's contact relay through a real worker: the message reaches the recipient by SMTP
without the sender's address, and the reply reaches the sender with the replier's as Reply-To."""

import pytest
from django.urls import reverse

from members import services
from members.models import ContactMessage
from members.models import Participant
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_and_its_reply_go_through_the_worker(celery_worker, smtp_sink, client):
    sender = MemberFactory(first_name="Sam", email="sam@example.org")
    recipient = MemberFactory(first_name="Rita", email="rita@example.org")
    services.participant_update_profile(
        participant=recipient, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    client.force_login(sender.user)

    response = client.post(
        reverse("members:directory_contact", args=[recipient.pk]),
        {"subject": "Malaria project", "body": "Can we talk?"},
    )
    assert response.status_code == 302
    (received,) = smtp_sink.wait_for(1)
    assert received.envelope_to == ("rita@example.org",)
    assert "sam@example.org" not in received.message.as_string()
    assert "Can we talk?" in received.text()
    message = ContactMessage.objects.get()
    assert reverse("members:message", args=[message.pk]) in received.text()

    client.force_login(recipient.user)
    client.post(reverse("members:message", args=[message.pk]), {"body": "Yes, gladly."})
    received = smtp_sink.wait_for(2)[1]
    assert received.envelope_to == ("sam@example.org",)
    assert received["Reply-To"] == "rita@example.org"
    assert "Yes, gladly." in received.text()
