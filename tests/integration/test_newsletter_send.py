"""A newsletter sent by a real worker process to an SMTP server; the worker is killed mid-send
and restarted: every recipient gets the issue exactly once. Paused mid-send, it stops at once."""

import re
import signal
import time
from collections import Counter

import pytest
from anymail.signals import AnymailTrackingEvent
from anymail.signals import tracking
from django.utils import timezone

from core.tasks import outbound_sweep
from core.tasks import outbound_tick
from newsletters import services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.tasks import newsletters_send_due
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 400
# The sender's own Message-ID names the row: "<...newsletter.<delivery id>@host>".
DELIVERY_IN_MESSAGE_ID = re.compile(r"\.newsletter\.(\d+)@")


@pytest.fixture
def worker_env(smtp_sink):
    # A dead worker's rows come back at once through the liveness check (its pid no longer
    # answers). The stale time is only the fallback when no worker answers, and must stay above the
    # length of a batch: a live worker's batch older than it is taken for dead, and on a loaded
    # machine (a batch of 200 taking more than 2 s) that sent some of its messages twice.
    return {
        **smtp_sink.env(),
        "OUTBOUND_STALE_SECONDS": "20",
        "OUTBOUND_UNCERTAIN_SECONDS": "3",
        "OUTBOUND_BATCH_SECONDS": "5",
        # The test plays an ESP that reports back (`report_as_the_esp`): the message a killed worker
        # may have handed over waits for that report, as it does with a real ESP. (Over plain SMTP
        # with nobody reporting, the default, it would be sent again at once.)
        "OUTBOUND_AWAIT_WEBHOOKS": "true",
    }


def report_as_the_esp(messages, reported: set[str]) -> None:
    """What an ESP's webhook does: say which messages it accepted. An SMTP sink has no webhooks, so
    the test plays that part, through the same anymail signal the real webhooks fire."""
    for received in messages:
        message_id = received["Message-ID"]
        if message_id in reported:
            continue
        reported.add(message_id)
        delivery_id = DELIVERY_IN_MESSAGE_ID.search(message_id).group(1)
        tracking.send(
            sender=object,
            event=AnymailTrackingEvent(
                event_type="delivered",
                message_id=message_id,
                recipient=received.envelope_to[0],
                metadata={"stream": "newsletter", "id": delivery_id},
                timestamp=timezone.now(),
            ),
            esp_name="sink",
        )


def test_a_worker_killed_mid_send_and_restarted_mails_everyone_exactly_once(
    start_worker, smtp_sink
):
    members = MemberFactory.create_batch(RECIPIENTS)
    newsletter = NewsletterFactory(subject="November news", rate_per_hour=0)
    services.newsletter_schedule(
        newsletter=newsletter, actor=StaffUserFactory(), send_at=timezone.now()
    )
    worker = start_worker(concurrency=2)

    newsletters_send_due.delay()  # what beat does every minute
    smtp_sink.wait_for(40, timeout=120)
    worker.kill(signal.SIGKILL)
    at_kill = len(smtp_sink.messages)
    assert at_kill < RECIPIENTS, "the worker finished before it could be killed"

    worker.restart()
    reported: set[str] = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        report_as_the_esp(smtp_sink.messages, reported)
        newsletter.refresh_from_db()
        if newsletter.status == Newsletter.Status.SENT:
            break
        outbound_sweep.delay()  # beat runs these two every minute and every 15 s
        outbound_tick.delay()
        time.sleep(1.5)
    else:
        pytest.fail(f"not sent after the restart: {newsletter.status}\n{worker.log()[-3000:]}")

    received = Counter(message.envelope_to[0] for message in smtp_sink.messages)
    assert received == Counter({member.user.email: 1 for member in members})
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert Delivery.objects.count() == RECIPIENTS
    (message,) = [m for m in smtp_sink.messages if m.envelope_to[0] == members[0].user.email]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Hello {members[0].first_name}," in message.text()


def test_pausing_mid_send_stops_after_the_group_in_flight(start_worker, smtp_sink):
    members = MemberFactory.create_batch(40)
    newsletter = NewsletterFactory(subject="Wrong link", rate_per_hour=0)
    services.newsletter_schedule(
        newsletter=newsletter, actor=StaffUserFactory(), send_at=timezone.now()
    )
    # Groups of five over four connections: the campaign is read again before each group.
    start_worker(concurrency=2, env={"OUTBOUND_SEND_GROUP": "5", "OUTBOUND_CONNECTIONS": "4"})
    smtp_sink.hold_after(5)

    newsletters_send_due.delay()  # one batch of 200 takes all 40
    smtp_sink.wait_held(1)  # five arrived; the worker waits with the next group in flight
    services.newsletter_pause(newsletter=newsletter, reason="wrong link")  # commits on return
    at_pause = len(smtp_sink.messages)
    smtp_sink.release()
    wait_until(lambda: not Delivery.objects.filter(status="sending").exists())

    assert len(smtp_sink.messages) - at_pause <= 5, "more than the group in flight went out"
    assert Delivery.objects.filter(status="sent").count() == len(smtp_sink.messages)
    assert set(Delivery.objects.filter(status="pending").values_list("attempts", flat=True)) == {0}

    services.newsletter_resume(newsletter=Newsletter.objects.get(pk=newsletter.pk))
    smtp_sink.wait_for(40, timeout=90)
    wait_until(lambda: Newsletter.objects.get(pk=newsletter.pk).status == Newsletter.Status.SENT)
    received = Counter(message.envelope_to[0] for message in smtp_sink.messages)
    assert received == Counter({member.user.email: 1 for member in members})
