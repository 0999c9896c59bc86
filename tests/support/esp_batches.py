"""What the ESP batch tests share: a newsletter started and prepared as the worker would, its rows
in the members' order, one batch sent as a worker process would, and Postmark's delivery webhook
for a message the fake ESP took."""

from __future__ import annotations

import base64
import json

from django.utils import timezone

from core import outbound
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.preparing import prepare_all

# A worker process's claim name (`sweep.worker_identity`), for the sweep's liveness rules.
WORKER = "norec@worker-1/4242"


def prepared_newsletter(
    django_capture_on_commit_callbacks, *, subject: str = "December news"
) -> Newsletter:
    """A newsletter to every member, sending, its deliveries made (a unit test's transaction
    never commits, so the worker's preparation runs here)."""
    newsletter = NewsletterFactory(subject=subject, rate_per_hour=0)
    newsletter_services.newsletter_schedule(
        newsletter=newsletter, actor=StaffUserFactory(), send_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False):
        newsletter_services.newsletter_start(newsletter=newsletter)
    prepare_all("newsletter", newsletter.pk)
    return newsletter


def send_newsletter_batch(newsletter: Newsletter):
    return outbound.send_batch(
        stream_name="newsletter", campaign_id=newsletter.pk, claimed_by=WORKER
    )


def deliveries_of(members) -> list[Delivery]:
    by_email = {delivery.email: delivery for delivery in Delivery.objects.all()}
    return [by_email[member.email] for member in members]


def report_postmark_delivery(client, accepted, secret: str) -> None:
    """What Postmark posts for a message it took (its webhook, with the basic-auth secret),
    through anymail's tracking view."""
    payload = {
        "RecordType": "Delivery",
        "MessageID": accepted.message_id,
        "Recipient": accepted.address,
        "DeliveredAt": "2026-12-06T10:15:54Z",
        "Details": "",
        "Tag": accepted.tag,
        "ServerID": 1,
        "MessageStream": "outbound",
        "Metadata": accepted.metadata,
    }
    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(secret.encode()).decode(),
    )
    assert response.status_code == 200


def invitations_accepted(fake) -> dict:
    """The fake ESP's accepted messages by address, after checking that every invitation was
    marked sent with its own ESP id, addressed by name and carrying its own metadata."""
    from invitations.models import Invitation

    accepted = {item.address: item for item in fake.accepted}
    for invitation in Invitation.objects.select_related("participant"):
        item = accepted[invitation.email]
        assert invitation.status == "sent" and invitation.esp_message_id == item.message_id
        assert item.subject.startswith(invitation.participant.first_name)
        assert item.metadata["stream"] == "invitation"
        assert str(item.metadata["id"]) == str(invitation.pk)
    return accepted
