"""Community mail through a real worker: a reply's notification (one-off path, `email` queue)
and a weekly digest (bulk stream "community_digest", `bulk` queue) reach the SMTP sink once."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from community import digests
from community import services
from community.models import CommunityMember
from community.models import DigestDelivery
from core.tasks import outbound_tick
from tests.community.factories import regular_member
from tests.community.factories import topic
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_notification_and_a_digest_go_through_the_worker(celery_worker, smtp_sink, client):
    services.network_room()
    amina = regular_member(first_name="Amina", email="amina@example.org")
    tendai = regular_member(first_name="Tendai", email="tendai@example.org")
    question = topic(amina, title="Solar pumps", text="Who has installed one?")

    client.force_login(tendai.user)
    response = client.post(reverse("community:topic", args=[question.pk]), {"text": "I did."})
    assert response.status_code == 302
    (notification,) = smtp_sink.wait_for(1)
    assert notification.envelope_to == ("amina@example.org",)
    assert "Solar pumps" in notification["Subject"]
    assert "I did." in notification.text()

    today = digests.today_local(timezone.now())
    monday = today + datetime.timedelta(days=7 - today.weekday())
    CommunityMember.objects.update(digest="weekly", last_digest_at=None)
    assert digests.digest_start(frequency="weekly", day=monday) == 2
    outbound_tick.delay()  # what beat does every 15 s
    received = smtp_sink.wait_for(3, timeout=60)
    digests_received = list(received[1:])
    assert sorted(message.envelope_to[0] for message in digests_received) == [
        "amina@example.org",
        "tendai@example.org",
    ]
    for message in digests_received:
        assert "Solar pumps" in message.text()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The sink has the messages a moment before the worker commits their ``sent`` marks.
    wait_until(
        lambda: set(DigestDelivery.objects.values_list("status", flat=True)) == {"sent"}, timeout=30
    )
    # Started again: nothing more.
    assert digests.digest_start(frequency="weekly", day=monday) == 0
