"""ESP batch sending through a real worker process and the fake Postmark API on loopback: a
newsletter and a wave go out in a few calls, each recipient once with their own id; a worker
SIGKILLed while the ESP holds a group, or a call whose answer never comes in time, is settled by
the ESP's webhooks, and nobody is missed or mailed twice."""

import collections
import signal

import pytest
from django.utils import timezone

from invitations import services as invitation_services
from invitations.models import Invitation
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.tasks import newsletters_send_due
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.esp_batches import report_postmark_delivery
from tests.support.fake_esp import FakeEsp
from tests.support.fake_esp import Misbehaviour
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "hook:secret"
# As tests/integration/test_waves.py: a fast beat, and a stale time well above a batch's length.
BEAT_ENV = {
    "OUTBOUND_TICK_SECONDS": "1",
    "OUTBOUND_SWEEP_SECONDS": "1",
    "OUTBOUND_STALE_SECONDS": "20",
    "OUTBOUND_BATCH_SECONDS": "5",
    "OUTBOUND_UNCERTAIN_SECONDS": "6",
    "OUTBOUND_AWAIT_WEBHOOKS": "true",
}


@pytest.fixture
def fake_esp():
    with FakeEsp(delay=0.2) as esp:
        yield esp


@pytest.fixture
def worker_env(fake_esp):
    return fake_esp.postmark_env()


def start_with_beat(start_worker, tmp_path, **env):
    return start_worker(
        env={**BEAT_ENV, **env}, extra_args=("-B", "-s", str(tmp_path / "beat-schedule"))
    )


def start_newsletter(count: int) -> tuple[Newsletter, list]:
    members = MemberFactory.create_batch(count)
    newsletter = NewsletterFactory(subject="December news", rate_per_hour=0)
    newsletter_services.newsletter_schedule(
        newsletter=newsletter, actor=StaffUserFactory(), send_at=timezone.now()
    )
    return newsletter, members


def test_a_newsletter_and_a_wave_go_out_in_batches_through_the_worker(
    start_worker, fake_esp, tmp_path
):
    newsletter, members = start_newsletter(250)
    start_with_beat(start_worker, tmp_path, OUTBOUND_ESP_BATCH_SIZE="100")

    newsletters_send_due.delay()
    wait_until(lambda: Newsletter.objects.get(pk=newsletter.pk).status == "sent", timeout=120)

    accepted = {item.address: item for item in fake_esp.accepted}
    counts = collections.Counter(item.address for item in fake_esp.accepted)
    assert counts == collections.Counter({member.email: 1 for member in members})
    # Claims of 200 in groups of at most 100: a handful of calls, never one per message.
    assert all(path == "/email/batch" for path, _count in fake_esp.calls)
    assert len(fake_esp.calls) <= 6
    for delivery in Delivery.objects.all():
        assert delivery.status == "sent"
        assert delivery.esp_message_id == accepted[delivery.email].message_id
        assert accepted[delivery.email].metadata == {"stream": "newsletter", "id": delivery.pk}

    people = make_participants(120, with_exchange=False)
    wave = make_wave(batch_size=60)
    calls_before = len(fake_esp.calls)
    invitation_services.wave_launch(wave=wave, actor=StaffUserFactory())
    wait_until(
        lambda: Invitation.objects.filter(wave=wave, status="sent").count() == 120, timeout=120
    )
    invited = collections.Counter(
        item.address for item in fake_esp.accepted if item.metadata["stream"] == "invitation"
    )
    assert invited == collections.Counter({person.email: 1 for person in people})
    assert len(fake_esp.calls) - calls_before <= 4
    for invitation in Invitation.objects.filter(wave=wave):
        item = next(i for i in fake_esp.accepted if i.address == invitation.email)
        assert invitation.esp_message_id == item.message_id
        assert "/invitations/accept/" in item.text and "ZqMRG" not in item.text


def test_a_worker_killed_while_the_esp_holds_a_group_misses_nobody_and_mails_nobody_twice(
    start_worker, fake_esp, tmp_path, client, settings
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    newsletter, members = start_newsletter(400)
    # Small groups and a slow ESP: the kill finds a group in the ESP's hands.
    fake_esp.delay = 0.6
    worker = start_with_beat(start_worker, tmp_path, OUTBOUND_ESP_BATCH_SIZE="20")

    newsletters_send_due.delay()
    fake_esp.wait_for(60, timeout=120)
    in_flight_before = len(fake_esp.calls)
    worker.kill(signal.SIGKILL)
    taken_at_kill = fake_esp.accepted
    assert len(taken_at_kill) < 400, "the newsletter finished before the kill: make it longer"
    # What the ESP took but the dead worker never marked.
    unmarked = Delivery.objects.filter(
        email__in=[item.address for item in taken_at_kill], status="sending"
    ).count()
    assert unmarked > 0, "the kill came between two calls: nothing was in the ESP's hands"

    # The ESP's webhooks arrive for what it took, including the group in flight at the kill.
    for item in taken_at_kill:
        report_postmark_delivery(client, item, SECRET)
    worker.start()
    reported = {item.message_id for item in taken_at_kill}

    def done() -> bool:
        for item in fake_esp.accepted:  # and for what it takes from here on
            if item.message_id not in reported:
                reported.add(item.message_id)
                report_postmark_delivery(client, item, SECRET)
        return Newsletter.objects.get(pk=newsletter.pk).status == "sent"

    wait_until(done, timeout=180)
    worker.stop()

    counts = collections.Counter(item.address for item in fake_esp.accepted)
    assert set(counts) == {member.email for member in members}, "somebody was left out"
    assert max(counts.values()) == 1, [address for address, n in counts.items() if n > 1]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    print(
        f"killed after {in_flight_before} calls, {len(taken_at_kill)} taken, "
        f"{unmarked} of them unmarked at the kill"
    )


def test_a_call_whose_answer_never_comes_in_time_is_settled_by_the_webhooks_not_sent_again(
    start_worker, fake_esp, tmp_path, client, settings
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    newsletter, members = start_newsletter(100)
    # The ESP takes the first group of 20 and answers only after the worker stopped waiting
    # (ANYMAIL_REQUESTS_TIMEOUT from the environment, as an operator sets it).
    fake_esp.misbehave(Misbehaviour(take=True, hang=3.0))
    start_with_beat(
        start_worker, tmp_path, OUTBOUND_ESP_BATCH_SIZE="20", ANYMAIL_REQUESTS_TIMEOUT="1"
    )

    newsletters_send_due.delay()
    # Webhooks come after delivery, seconds to minutes later: none before the ESP has taken a
    # hundred messages (the first group again among them, had the worker sent it twice).
    fake_esp.wait_for(100, timeout=60)
    reported: set[str] = set()

    def done() -> bool:
        for item in fake_esp.accepted:  # the ESP's webhooks, for everything it took
            if item.message_id not in reported:
                reported.add(item.message_id)
                report_postmark_delivery(client, item, SECRET)
        return Newsletter.objects.get(pk=newsletter.pk).status == "sent"

    wait_until(done, timeout=120)

    counts = collections.Counter(item.address for item in fake_esp.accepted)
    assert set(counts) == {member.email for member in members}, "somebody was left out"
    assert max(counts.values()) == 1, [address for address, n in counts.items() if n > 1]
    accepted = {item.address: item for item in fake_esp.accepted}
    for delivery in Delivery.objects.all():
        assert delivery.status == "sent"
        assert delivery.esp_message_id == accepted[delivery.email].message_id
