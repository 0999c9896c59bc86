"""Invitation waves through a real worker process, a real broker and a local SMTP server:
everyone gets exactly one message, also when the worker is SIGKILLed mid-wave or the broker
loses every queued task."""

import base64
import collections
import json
import re
import signal

import pytest
from django.db.models import Count

from core import outbound
from invitations import services
from invitations.models import Invitation
from invitations.models import Wave
from members.models import Participant
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.support.waiting import wait_until
from tests.support.worker import purge_queues

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "esp:webhook-secret"
# Fast beat for the test: tick and sweep every second; batches of at most 2 s; a batch older than
# 8 s belongs to a dead worker even if no worker answers the liveness check (which finds a killed
# one at once); the message maybe in flight waits 10 s from its claim for a webhook. The stale
# time keeps a wide margin over a batch: on a loaded machine a live batch taken for dead was sent
# twice.
BEAT_ENV = {
    "OUTBOUND_TICK_SECONDS": "1",
    "OUTBOUND_SWEEP_SECONDS": "1",
    "OUTBOUND_STALE_SECONDS": "8",
    "OUTBOUND_BATCH_SECONDS": "2",
    "OUTBOUND_UNCERTAIN_SECONDS": "10",
}


def start_with_beat(start_worker, tmp_path, **env):
    return start_worker(
        env={**BEAT_ENV, **env},
        extra_args=("-B", "-s", str(tmp_path / "beat-schedule")),
    )


def recipients(sink) -> collections.Counter:
    return collections.Counter(message.envelope_to[0] for message in sink.messages)


def wave_done(wave) -> bool:
    return not Invitation.objects.filter(wave=wave, status__in=["pending", "sending"]).exists()


def nothing_more_can_go_out(worker) -> None:
    """Instead of waiting a while to see that nothing more arrives: stop the worker (a warm
    shutdown finishes the batch in hand, so whatever it was sending has arrived), then check that
    nothing is left that a later tick or sweep would send: no row waiting or claimed, and a sweep
    finds no batch to give back."""
    worker.stop()
    assert not Invitation.objects.filter(status__in=["pending", "sending"]).exists()
    assert outbound.sweep()["invitation"] == 0


def test_a_wave_goes_out_through_the_worker_once_per_participant(celery_worker, smtp_sink):
    people = make_participants(30)
    wave = make_wave(batch_size=7)

    services.wave_launch(wave=wave, actor=StaffUserFactory())  # commits, then kicks the worker

    smtp_sink.wait_for(30, timeout=90)
    wait_until(lambda: Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED)
    assert recipients(smtp_sink) == collections.Counter({p.email: 1 for p in people})
    by_email = {m.envelope_to[0]: m for m in smtp_sink.messages}
    for invitation in Invitation.objects.filter(wave=wave):
        assert invitation.status == "sent"
        # The row keeps the id of the message that went out (SMTP: our own Message-ID).
        assert invitation.esp_message_id == by_email[invitation.email]["Message-ID"]
        assert "/invitations/accept/" in by_email[invitation.email].text()


# How a batch sends: one message at a time, marked one by one; or in groups of five over four
# connections at once, each group checked and marked together (the defaults are 20 and 4).
ONE_BY_ONE = {"OUTBOUND_SEND_GROUP": "1", "OUTBOUND_CONNECTIONS": "1"}
IN_GROUPS = {"OUTBOUND_SEND_GROUP": "5", "OUTBOUND_CONNECTIONS": "4"}


@pytest.mark.parametrize("sending", [ONE_BY_ONE, IN_GROUPS], ids=["one-by-one", "in-groups"])
def test_pausing_a_wave_mid_batch_stops_it_after_the_group_in_flight(
    start_worker, smtp_sink, settings, sending
):
    start_worker(env=sending)
    settings.OUTBOUND_PARALLEL_BATCHES = 1  # one batch, so one group in flight
    group = int(sending["OUTBOUND_SEND_GROUP"])
    people = make_participants(60, with_exchange=False)
    # One batch holds the whole wave: without a check while it sends, all 60 would go out.
    wave = make_wave(batch_size=60)
    smtp_sink.hold_after(10)
    services.wave_launch(wave=wave, actor=StaffUserFactory())
    smtp_sink.wait_held(1)  # ten arrived; the worker waits with the next group in flight

    services.wave_pause(wave=wave, reason="Paused by staff.")  # commits before it returns
    at_pause = len(smtp_sink.messages)
    smtp_sink.release()
    # The worker has stopped once it holds no row any more (sent, or handed back).
    wait_until(lambda: not Invitation.objects.filter(wave=wave, status="sending").exists())

    received = smtp_sink.messages
    assert len(received) - at_pause <= group, "more than the group in flight went out"
    rows = Invitation.objects.filter(wave=wave)
    assert rows.filter(status="sent").count() == len(received)
    assert set(rows.filter(status="pending").values_list("attempts", flat=True)) == {0}
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.PAUSED

    services.wave_resume(wave=Wave.objects.get(pk=wave.pk))
    smtp_sink.wait_for(60, timeout=90)
    wait_until(lambda: Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED)
    assert recipients(smtp_sink) == collections.Counter({p.email: 1 for p in people})


def test_the_sweep_gives_back_a_killed_workers_batch_at_once_and_leaves_a_live_one(
    start_worker, smtp_sink, settings
):
    # Default stale time (minutes): only the worker's liveness can tell it is gone.
    settings.OUTBOUND_STALE_SECONDS = 180
    settings.OUTBOUND_AWAIT_WEBHOOKS = False  # plain SMTP, as here: no webhook will come
    settings.OUTBOUND_SEND_GROUP = 1  # the sweep reads it too
    settings.OUTBOUND_PARALLEL_BATCHES = 1  # one batch takes the 20
    celery_worker = start_worker(env=ONE_BY_ONE)  # each message marked as it goes
    make_participants(20, with_exchange=False)
    wave = make_wave(batch_size=20)
    smtp_sink.hold_after(3)
    services.wave_launch(wave=wave, actor=StaffUserFactory())
    smtp_sink.wait_held(1)  # the worker is mid-batch, its fourth message in flight
    (claimer,) = set(
        Invitation.objects.filter(status="sending").values_list("claimed_by", flat=True)
    )
    assert claimer.startswith(f"{celery_worker.name}/")

    assert outbound.sweep()["invitation"] == 0  # it answers: its batch is left alone
    assert Invitation.objects.filter(wave=wave, status="sending").count() == 17

    celery_worker.kill(signal.SIGKILL)
    # Started again (as compose restarts it) under the same name: its old process is gone, and
    # the next sweep knows it at once, not minutes later.
    celery_worker.start()
    recovered = outbound.sweep()

    assert recovered["invitation"] == 17
    assert Invitation.objects.filter(wave=wave, status="sent").count() == 3
    assert Invitation.objects.filter(wave=wave, status="pending").count() == 17


def _postmark_delivery(client, message):
    """What the ESP would post for a message it took: its metadata maps back to the row."""
    stream, row_id = re.search(r"\.([a-z_]+)\.(\d+)@", message["Message-ID"]).groups()
    payload = {
        "RecordType": "Delivery",
        "MessageID": message["Message-ID"],
        "Recipient": message.envelope_to[0],
        "DeliveredAt": "2026-11-23T10:15:54Z",
        "Details": "",
        "Tag": "",
        "ServerID": 1,
        "MessageStream": "outbound",
        "Metadata": {"stream": stream, "id": row_id},
    }
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 200


def test_a_worker_killed_mid_wave_leaves_nobody_out_and_mails_nobody_twice(
    start_worker, smtp_sink, tmp_path, client, settings
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    people = make_participants(300, with_exchange=False)
    wave = make_wave(batch_size=25)
    worker = start_with_beat(start_worker, tmp_path)

    services.wave_launch(wave=wave, actor=StaffUserFactory())
    smtp_sink.wait_for(60, timeout=90)
    worker.kill(signal.SIGKILL)  # no warm shutdown, nothing cleaned up

    received_before = smtp_sink.messages
    assert len(received_before) < 300, "the wave finished before the kill: make it longer"
    stuck = Invitation.objects.filter(wave=wave, status="sending").count()
    # The ESP's webhooks arrive for what it took, including a message in flight at the kill.
    for message in received_before:
        _postmark_delivery(client, message)

    worker.start()
    wait_until(lambda: wave_done(wave) and len(smtp_sink.messages) >= 300, timeout=120)
    # The wave is marked completed by the batch (or tick) after its last message: wait for it
    # before stopping the worker, rather than race it.
    wait_until(lambda: Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED, timeout=60)
    nothing_more_can_go_out(worker)

    counts = recipients(smtp_sink)
    assert set(counts) == {person.email for person in people}, "somebody was left out"
    assert max(counts.values()) == 1, [e for e, n in counts.items() if n > 1]
    statuses = dict(
        Invitation.objects.filter(wave=wave).values_list("status").annotate(n=Count("pk"))
    )
    assert statuses == {"sent": 300}
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED
    print(f"killed with {len(received_before)} sent and {stuck} rows left sending")


@pytest.mark.parametrize("sending", [ONE_BY_ONE, IN_GROUPS], ids=["one-by-one", "in-groups"])
def test_a_killed_workers_wave_goes_on_long_before_the_stale_time(
    start_worker, smtp_sink, tmp_path, settings, sending
):
    # The default stale and webhook times (minutes): only the worker's liveness can bring its
    # rows back within the cap below. Over plain SMTP nothing waits for a webhook: the rows of the
    # group in flight (one message, or five) are sent again.
    people = make_participants(80, with_exchange=False)
    # One batch takes the whole wave, and keeps it: only one group is ever in flight. (A second
    # chain started at launch could take part of it and be killed between the server's "250" and
    # its mark: over plain SMTP that message would go out again, as the sender promises.)
    settings.OUTBOUND_PARALLEL_BATCHES = 1
    wave = make_wave(batch_size=80)
    worker = start_with_beat(
        start_worker,
        tmp_path,
        OUTBOUND_STALE_SECONDS="180",
        OUTBOUND_UNCERTAIN_SECONDS="240",
        OUTBOUND_BATCH_SECONDS="60",
        **sending,
    )
    smtp_sink.hold_after(15)
    services.wave_launch(wave=wave, actor=StaffUserFactory())
    smtp_sink.wait_held(1)
    # With its 16th message in flight (one by one), or the group of the 16th to 20th (in groups).
    worker.kill(signal.SIGKILL)
    smtp_sink.release(accept_held=False)  # none of them arrived
    assert len(smtp_sink.messages) == 15
    assert Invitation.objects.filter(wave=wave, status="sent").count() == 15
    assert Invitation.objects.filter(wave=wave, status="sending").count() == 65

    worker.start()
    # A cap far below the 180 s after which the rows would come back without liveness.
    wait_until(lambda: wave_done(wave) and len(smtp_sink.messages) >= 80, timeout=90)

    assert recipients(smtp_sink) == collections.Counter({p.email: 1 for p in people})


def test_losing_every_queued_task_loses_no_message(
    start_worker, smtp_sink, tmp_path, client, settings
):
    # What a Redis restart without persistence does to the broker: every queued task is gone,
    # here together with the worker. The rows in PostgreSQL still say what is left, and beat's
    # ticks pick it up again.
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    people = make_participants(120, with_exchange=False)
    wave = make_wave(batch_size=10, rate_per_hour=0)
    worker = start_with_beat(start_worker, tmp_path)

    services.wave_launch(wave=wave, actor=StaffUserFactory())
    smtp_sink.wait_for(20, timeout=90)
    worker.kill(signal.SIGKILL)
    purge_queues()
    for message in smtp_sink.messages:
        _postmark_delivery(client, message)
    worker.start()

    wait_until(lambda: wave_done(wave) and len(smtp_sink.messages) >= 120, timeout=120)
    nothing_more_can_go_out(worker)
    assert recipients(smtp_sink) == collections.Counter({p.email: 1 for p in people})


def test_a_launch_only_marks_the_wave_preparing_and_a_lost_preparation_is_taken_up_by_the_sweep(
    start_worker, smtp_sink, tmp_path
):
    """The launch returns with no invitation made (the request's work is a count and one task);
    the worker makes them in chunks of 2,000 and then sends. Here the queued task is lost before
    any worker runs (a Redis restart): the sweep finds the wave preparing and untouched, and
    enqueues the preparation again, which goes on until everyone is invited once."""
    count = outbound.PREPARE_CHUNK + 50  # two chunks
    Participant.objects.bulk_create(ParticipantFactory.build_batch(count, home_country="KE"))
    wave = make_wave(batch_size=500, rate_per_hour=0)

    assert services.wave_launch(wave=wave, actor=StaffUserFactory()) == count
    wave.refresh_from_db()
    assert (wave.status, wave.prepare_total) == (Wave.Status.PREPARING, count)
    assert not Invitation.objects.filter(wave=wave).exists()
    purge_queues()  # the first chunk's task is gone

    worker = start_with_beat(start_worker, tmp_path, OUTBOUND_PREPARE_STALE_SECONDS="2")

    wait_until(lambda: wave_done(wave) and len(smtp_sink.messages) >= count, timeout=240)
    wait_until(lambda: Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED)
    nothing_more_can_go_out(worker)
    assert Invitation.objects.filter(wave=wave).count() == count
    assert len(recipients(smtp_sink)) == count
    assert set(recipients(smtp_sink).values()) == {1}
