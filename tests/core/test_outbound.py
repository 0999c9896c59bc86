"""The shared bulk sender: claims, throttle, window, crash recovery, reputation pause.

Exercised through the invitation stream (the first real user); the rules are the sender's own.
"""

from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import outbound
from core import tasks
from core.stored_text import shown
from invitations.models import Invitation
from invitations.models import Wave
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all

pytestmark = pytest.mark.django_db

STREAM = "invitation"


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def stream():
    return outbound.get_stream(STREAM)


def test_every_invitation_is_sent_once_with_metadata_and_the_esp_message_id():
    make_participants(5)
    wave = make_wave(batch_size=2)
    launch(wave)

    assert send_all(campaign_id=wave.pk) == 5

    assert len(mail.outbox) == 5
    invitations = list(Invitation.objects.filter(wave=wave))
    assert {i.status for i in invitations} == {"sent"}
    by_id = {i.pk: i for i in invitations}
    for message in mail.outbox:
        row = by_id[message.metadata["id"]]
        assert message.metadata == {"stream": "invitation", "id": row.pk}
        assert message.to == [row.email]
        assert row.esp_message_id == str(message.anymail_status.message_id)
        assert row.sent_at is not None and row.attempts == 1
    # Nothing left: another run sends nothing more.
    assert send_all(campaign_id=wave.pk) == 0
    assert len(mail.outbox) == 5


def test_a_batch_takes_at_most_the_batch_size():
    make_participants(5)
    wave = make_wave(batch_size=2, rate_per_hour=1000)
    launch(wave)

    result = outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk)

    assert (result.claimed, result.sent) == (2, 2)
    assert Invitation.objects.filter(status="pending").count() == 3


def test_a_full_batch_that_sends_the_last_rows_completes_the_wave():
    # With two workers, the last rows can go out in a full batch, or in a batch that ends first
    # while another's rows are still in flight: the wave must not wait for the next tick.
    make_participants(2)
    wave = make_wave(batch_size=2, rate_per_hour=1000)
    launch(wave)

    result = outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk)

    assert (result.claimed, result.sent) == (2, 2)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED


def test_the_rate_per_hour_limits_each_minute_and_the_hour():
    make_participants(10)
    wave = make_wave(batch_size=100, rate_per_hour=120)  # 2 a minute
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    now = timezone.now()

    first = outbound.claim(stream=stream(), campaign=campaign, now=now)
    again = outbound.claim(stream=stream(), campaign=campaign, now=now + timedelta(seconds=30))
    later = outbound.claim(stream=stream(), campaign=campaign, now=now + timedelta(seconds=61))

    assert (len(first), len(again), len(later)) == (2, 0, 2)


def test_the_hourly_rate_caps_a_slow_wave():
    make_participants(6)
    wave = make_wave(batch_size=100, rate_per_hour=3)  # 1 a minute, 3 an hour
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    now = timezone.now()

    taken = [
        len(outbound.claim(stream=stream(), campaign=campaign, now=now + timedelta(minutes=m)))
        for m in range(6)
    ]
    after_an_hour = outbound.claim(
        stream=stream(), campaign=campaign, now=now + timedelta(minutes=61)
    )

    assert taken == [1, 1, 1, 0, 0, 0]
    assert len(after_an_hour) == 1


def test_the_window_is_read_in_each_recipients_own_time_zone():
    make_participants(2, country="KE")  # Africa/Nairobi, UTC+3
    make_participants(2, country="NP")  # Asia/Kathmandu, UTC+5:45
    wave = make_wave(
        home_countries=["KE", "NP"],
        window_start=time(9, 0),
        window_end=time(17, 0),
        window_weekdays=[0, 1, 2, 3, 4],
    )
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    # Monday 2026-11-23 04:00 UTC: 07:00 in Nairobi (closed), 09:45 in Kathmandu (open).
    monday_early = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)

    ids = outbound.claim(stream=stream(), campaign=campaign, now=monday_early)

    zones = set(Invitation.objects.filter(pk__in=ids).values_list("time_zone", flat=True))
    assert zones == {"Asia/Kathmandu"} and len(ids) == 2
    # Saturday noon everywhere: nobody.
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert outbound.claim(stream=stream(), campaign=campaign, now=saturday) == []


def test_a_window_across_midnight():
    window = outbound.SendingWindow(start=time(22, 0), end=time(6, 0), weekdays=frozenset(range(7)))

    assert window.is_open("UTC", datetime(2026, 11, 23, 23, 0, tzinfo=UTC))
    assert window.is_open("UTC", datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    assert not window.is_open("UTC", datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


def test_two_claims_never_take_the_same_row():
    make_participants(4)
    wave = make_wave(batch_size=2)
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())

    first = outbound.claim(stream=stream(), campaign=campaign)
    second = outbound.claim(stream=stream(), campaign=campaign)

    assert len(first) == len(second) == 2
    assert not set(first) & set(second)
    assert Invitation.objects.filter(status="sending").count() == 4


@pytest.mark.django_db(transaction=True)
def test_rows_another_worker_has_locked_are_skipped_not_waited_for():
    import threading

    from django.db import connections
    from django.db import transaction

    wave = make_wave(batch_size=2, status=Wave.Status.SENDING)
    for person in make_participants(4):
        # Made directly, not launched: a launch would send them at once (eager, on commit).
        Invitation.objects.create(wave=wave, participant=person, email=person.email)
    campaign = outbound.Campaign(id=wave.pk, batch_size=2)
    locked, release, held = [], threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                rows = Invitation.objects.select_for_update().filter(status="pending")
                locked.extend(rows.order_by("pk").values_list("pk", flat=True)[:2])
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        ids = outbound.claim(stream=stream(), campaign=campaign)
    finally:
        release.set()
        thread.join()

    assert len(ids) == 2
    assert not set(ids) & set(locked)


def test_a_paused_or_cancelled_wave_sends_nothing():
    make_participants(3)
    wave = make_wave()
    launch(wave)
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.PAUSED)

    assert outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk).claimed == 0
    assert mail.outbox == []


def _claim_all(wave):
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    return outbound.claim(stream=stream(), campaign=campaign)


@pytest.fixture
def pause_while_sending():
    """Make the invitation stream pause its wave while the `n`th message of a batch is being
    built, as an adviser pressing Pause while the batch sends; restored afterwards."""
    from invitations import sending
    from invitations import services

    def install(wave, n):
        built = []

        def build(invitation):
            built.append(invitation.pk)
            if len(built) == n:
                services.wave_pause(wave=wave, reason="Paused by staff.")
            return sending.build_invitation_message(invitation)

        outbound.register_stream(
            outbound.OutboundStream(**{**stream().__dict__, "build_message": build})
        )

    yield install
    sending.register()


@pytest.mark.parametrize(("group", "sent"), [(1, 3), (2, 4)])
def test_a_pause_stops_a_claimed_batch_after_the_group_in_flight(
    pause_while_sending, settings, group, sent
):
    from invitations import services

    settings.OUTBOUND_SEND_GROUP = group
    people = make_participants(6)
    wave = make_wave(batch_size=6)
    launch(wave)
    ids = _claim_all(wave)
    pause_while_sending(wave, 3)

    result = outbound.send_claimed(stream=stream(), ids=ids)

    # The third message was already on its way when the pause committed, with the rest of its
    # group (one message, or the third and fourth); nothing after it.
    assert (result.sent, result.released) == (sent, 6 - sent)
    assert len(mail.outbox) == sent
    rest = Invitation.objects.filter(pk__in=ids[sent:])
    assert {(row.status, row.attempts, row.claimed_at) for row in rest} == {("pending", 0, None)}

    services.wave_resume(wave=Wave.objects.get(pk=wave.pk))
    send_all(campaign_id=wave.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_a_batch_claimed_before_a_pause_sends_nothing():
    from invitations import services

    make_participants(3)
    wave = make_wave()
    launch(wave)
    ids = _claim_all(wave)

    services.wave_pause(wave=wave, reason="Paused by staff.")
    result = outbound.send_claimed(stream=stream(), ids=ids)

    assert (result.sent, result.released) == (0, 3)
    assert mail.outbox == []
    assert set(Invitation.objects.values_list("status", "attempts")) == {("pending", 0)}


def test_a_cancel_revokes_a_claimed_batch_and_sends_nothing_more():
    from invitations import services

    make_participants(3)
    wave = make_wave()
    launch(wave)
    ids = _claim_all(wave)

    assert services.wave_cancel(wave=wave) == 3
    result = outbound.send_claimed(stream=stream(), ids=ids)

    assert result.sent == 0
    assert mail.outbox == []
    # Nothing is left waiting in a cancelled wave.
    assert set(Invitation.objects.values_list("status", flat=True)) == {"revoked"}


def test_a_batch_goes_on_for_a_wave_that_still_sends():
    # The other side of the check before each message: nothing stops a wave nobody paused.
    make_participants(3)
    wave = make_wave()
    launch(wave)
    ids = _claim_all(wave)

    result = outbound.send_claimed(stream=stream(), ids=ids)

    assert (result.sent, result.released) == (3, 0)


def test_a_wave_that_has_not_started_sends_nothing():
    make_participants(2)
    wave = make_wave(starts_at=timezone.now() + timedelta(hours=2))
    launch(wave)

    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.SCHEDULED
    assert outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk).claimed == 0


def test_a_broken_mail_server_hands_the_batch_back(settings):
    make_participants(3)
    wave = make_wave()
    launch(wave)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    result = outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk)

    assert result.sent == 0
    rows = Invitation.objects.filter(wave=wave)
    assert {row.status for row in rows} == {"pending"}
    assert {row.attempts for row in rows} == {0}


def test_a_message_that_keeps_failing_ends_as_failed():
    make_participants(1)
    wave = make_wave()
    launch(wave)

    def broken(invitation):
        raise RuntimeError("template exploded")

    outbound.register_stream(
        outbound.OutboundStream(**{**stream().__dict__, "build_message": broken})
    )
    try:
        for _ in range(outbound.MAX_ATTEMPTS):
            outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk)
    finally:
        from invitations import sending

        sending.register()

    row = Invitation.objects.get(wave=wave)
    assert row.status == "failed"
    assert row.attempts == outbound.MAX_ATTEMPTS
    assert "template exploded" in row.last_error


def test_the_sending_of_a_batch_uses_a_fixed_number_of_queries(settings):
    settings.OUTBOUND_SEND_GROUP = 5

    def queries_for(count, country):
        make_participants(count, country=country)
        wave = make_wave(name=f"wave {count}", home_countries=[country], batch_size=100)
        launch(wave)
        with CaptureQueriesContext(connection) as captured:
            outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk)
        return len(captured)

    few = queries_for(2, "KE")  # one group
    many = queries_for(12, "UG")  # three groups
    # Per group of messages: the read that the wave still sends (so that a pause stops the batch
    # within the group in flight) and one UPDATE marking the group sent; nothing per message.
    assert many - few == 2 * 2


# --- crash recovery ---------------------------------------------------------------------------


def test_the_sweep_returns_rows_of_a_dead_batch_but_keeps_the_one_maybe_in_flight(settings):
    # With an ESP that reports back, the message maybe in flight waits for its webhook.
    settings.OUTBOUND_SEND_GROUP = 1  # marked one by one: one message can be in flight
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    settings.OUTBOUND_STALE_SECONDS = 60
    settings.OUTBOUND_UNCERTAIN_SECONDS = 300
    make_participants(4)
    wave = make_wave()
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    claimed_at = timezone.now() - timedelta(seconds=120)
    ids = outbound.claim(stream=stream(), campaign=campaign, now=claimed_at)
    # The dead worker had handed over the first message and marked it sent.
    Invitation.objects.filter(pk=ids[0]).update(status="sent", sent_at=claimed_at)

    outbound.sweep()

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses[ids[0]] == "sent"
    assert statuses[ids[1]] == "sending"  # maybe in flight: waits for a webhook
    assert statuses[ids[2]] == statuses[ids[3]] == "pending"

    outbound.sweep(now=timezone.now() + timedelta(seconds=301))
    assert Invitation.objects.get(pk=ids[1]).status == "pending"


def test_the_sweep_keeps_a_dead_batchs_whole_group_in_hand_maybe_in_flight(settings):
    # Marked sent a group at a time, any message of the group in hand may have been handed over:
    # the `send_group()` lowest rows still `sending` wait for their webhooks, the rest comes back.
    settings.OUTBOUND_SEND_GROUP = 2
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    settings.OUTBOUND_STALE_SECONDS = 60
    settings.OUTBOUND_UNCERTAIN_SECONDS = 300
    make_participants(5)
    wave = make_wave()
    launch(wave)
    claimed_at = timezone.now() - timedelta(seconds=120)
    ids = outbound.claim(stream=stream(), campaign=_campaign(wave), now=claimed_at)
    # The dead worker had marked its first group (two rows) sent.
    Invitation.objects.filter(pk__in=ids[:2]).update(status="sent", sent_at=claimed_at)

    assert outbound.sweep()["invitation"] == 1

    statuses = [Invitation.objects.get(pk=pk).status for pk in ids]
    assert statuses == ["sent", "sent", "sending", "sending", "pending"]
    outbound.sweep(now=timezone.now() + timedelta(seconds=301))
    rows = [Invitation.objects.get(pk=pk) for pk in ids[2:]]
    # Maybe handed over: its attempt counts; never handed over: it does not.
    assert [(row.status, row.attempts) for row in rows] == [
        ("pending", 1),
        ("pending", 1),
        ("pending", 0),
    ]


def test_over_plain_smtp_the_row_maybe_in_flight_goes_back_with_the_rest(settings):
    # No webhook will ever say it was sent: waiting for one would only delay the wave.
    settings.OUTBOUND_SEND_GROUP = 1
    settings.OUTBOUND_AWAIT_WEBHOOKS = False
    settings.OUTBOUND_STALE_SECONDS = 60
    make_participants(3)
    wave = make_wave()
    launch(wave)
    ids = outbound.claim(
        stream=stream(), campaign=_campaign(wave), now=timezone.now() - timedelta(seconds=61)
    )

    recovered = outbound.sweep()

    assert recovered["invitation"] == 3
    rows = {row.pk: row for row in Invitation.objects.all()}
    assert {row.status for row in rows.values()} == {"pending"}
    # The one maybe handed over keeps its attempt; the others were never tried.
    assert [rows[pk].attempts for pk in ids] == [1, 0, 0]


def _campaign(wave):
    return outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())


def _claim_as(wave, worker, **fields):
    return outbound.claim(stream=stream(), campaign=_campaign(wave), claimed_by=worker, **fields)


def test_the_rows_of_a_worker_that_no_longer_answers_come_back_at_once(settings):
    settings.OUTBOUND_AWAIT_WEBHOOKS = False
    settings.OUTBOUND_STALE_SECONDS = 180
    make_participants(3)
    wave = make_wave()
    launch(wave)
    _claim_as(wave, "norec@worker-1/4242")  # claimed a moment ago, far from stale

    recovered = outbound.sweep(live=lambda: frozenset({"norec@worker-2/77", "norec@worker-1/99"}))

    assert recovered["invitation"] == 3
    assert set(Invitation.objects.values_list("status", "claimed_by")) == {("pending", "")}


def test_with_an_esp_a_dead_workers_row_maybe_in_flight_still_waits_for_its_webhook(settings):
    settings.OUTBOUND_SEND_GROUP = 1
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    settings.OUTBOUND_UNCERTAIN_SECONDS = 240
    make_participants(3)
    wave = make_wave()
    launch(wave)
    ids = _claim_as(wave, "norec@worker-1/4242")

    outbound.sweep(live=lambda: frozenset({"norec@worker-2/77"}))

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["sending", "pending", "pending"]
    outbound.sweep(now=timezone.now() + timedelta(seconds=241), live=lambda: frozenset())
    assert Invitation.objects.get(pk=ids[0]).status == "pending"


def test_the_rows_of_a_worker_that_answers_are_left_alone(settings):
    settings.OUTBOUND_AWAIT_WEBHOOKS = False
    make_participants(2)
    wave = make_wave()
    launch(wave)
    _claim_as(wave, "norec@worker-1/4242")

    recovered = outbound.sweep(live=lambda: frozenset({"norec@worker-1/4242"}))

    assert recovered["invitation"] == 0
    assert Invitation.objects.filter(status="sending").count() == 2


def test_when_no_worker_answers_at_all_only_the_stale_time_counts(settings):
    # Nobody answering says more about the broadcast than about the workers: wait for staleness.
    settings.OUTBOUND_AWAIT_WEBHOOKS = False
    settings.OUTBOUND_STALE_SECONDS = 180
    make_participants(2)
    wave = make_wave()
    launch(wave)
    _claim_as(wave, "norec@worker-1/4242")

    assert outbound.sweep(live=lambda: None)["invitation"] == 0
    later = timezone.now() + timedelta(seconds=181)
    assert outbound.sweep(now=later, live=lambda: None)["invitation"] == 2


def test_the_sweep_asks_the_workers_only_when_a_fresh_claim_needs_it(settings):
    settings.OUTBOUND_STALE_SECONDS = 180
    asked = []

    def live():
        asked.append(1)
        return frozenset()

    make_participants(2)
    wave = make_wave()
    launch(wave)
    outbound.sweep(live=live)
    assert asked == []  # nothing is being sent
    _claim_as(wave, "")  # a claim made outside a worker: nobody to ask about
    outbound.sweep(live=live)
    assert asked == []

    make_participants(2, country="NP")
    other = make_wave(name="Nepal", home_countries=["NP"])
    launch(other)
    _claim_as(other, "norec@worker-1/4242")
    outbound.sweep(live=live)
    assert asked == [1]  # once per sweep, whatever the number of claims and streams


@pytest.mark.parametrize("group", [1, 2])
def test_a_batch_whose_rows_the_sweep_gave_away_stops_without_touching_them(settings, group):
    # A worker wrongly thought dead (it did not answer in time) must not go on sending rows
    # that another batch has claimed since: it stops after the group in flight.
    from invitations import sending

    settings.OUTBOUND_SEND_GROUP = group
    settings.OUTBOUND_AWAIT_WEBHOOKS = False
    make_participants(4)
    wave = make_wave()
    launch(wave)
    ids = _claim_as(wave, "norec@worker-1/4242")
    taken_over = []

    def build(invitation):
        if not taken_over:
            outbound.sweep(live=lambda: frozenset({"norec@worker-2/77"}))
            taken_over.extend(_claim_as(wave, "norec@worker-2/77"))
        return sending.build_invitation_message(invitation)

    outbound.register_stream(
        outbound.OutboundStream(**{**stream().__dict__, "build_message": build})
    )
    try:
        result = outbound.send_claimed(stream=stream(), ids=ids)
    finally:
        sending.register()

    # Only the group that was already being built went out; it is marked sent, so the other
    # batch will not send it again. The rest stays the other batch's.
    assert taken_over == ids
    assert (result.sent, len(mail.outbox)) == (group, group)
    assert set(Invitation.objects.filter(pk__in=ids[:group]).values_list("status", flat=True)) == {
        "sent"
    }
    rows = Invitation.objects.filter(pk__in=ids[group:])
    assert set(rows.values_list("status", "claimed_by")) == {("sending", "norec@worker-2/77")}


def test_a_task_outside_a_worker_claims_as_nobody():
    make_participants(1)
    wave = make_wave(batch_size=10)
    launch(wave)

    tasks.outbound_send_batch.delay(STREAM, wave.pk).get()  # eager in unit tests

    assert Invitation.objects.get().claimed_by == ""


def test_a_fresh_batch_is_left_alone_by_the_sweep(settings):
    settings.OUTBOUND_STALE_SECONDS = 60
    make_participants(2)
    wave = make_wave()
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    outbound.claim(stream=stream(), campaign=campaign)

    # Other apps register streams too (newsletters): only the invitation streams matter here.
    recovered = outbound.sweep()
    assert (recovered["invitation"], recovered["invitation_reminder"]) == (0, 0)
    assert Invitation.objects.filter(status="sending").count() == 2


def test_a_webhook_for_a_row_left_sending_marks_it_sent_so_it_is_never_sent_again(settings):
    from anymail.signals import AnymailTrackingEvent

    settings.OUTBOUND_STALE_SECONDS = 60
    settings.OUTBOUND_UNCERTAIN_SECONDS = 60
    make_participants(2)
    wave = make_wave()
    launch(wave)
    campaign = outbound.active_campaign(stream=stream(), campaign_id=wave.pk, now=timezone.now())
    ids = outbound.claim(
        stream=stream(), campaign=campaign, now=timezone.now() - timedelta(hours=1)
    )
    outbound.apply_event(
        AnymailTrackingEvent(
            event_type="delivered",
            message_id="esp-42",
            metadata={"stream": "invitation", "id": str(ids[0])},
            timestamp=timezone.now(),
        )
    )

    outbound.sweep()
    send_all(campaign_id=wave.pk)

    first = Invitation.objects.get(pk=ids[0])
    assert (first.status, first.esp_message_id) == ("sent", "esp-42")
    assert first.delivered_at is not None and first.expires_at is not None
    assert [m.metadata["id"] for m in mail.outbox] == [ids[1]]


# --- reputation -------------------------------------------------------------------------------


def _bounce(row, event_type="bounced"):
    from anymail.signals import AnymailTrackingEvent

    outbound.apply_event(
        AnymailTrackingEvent(
            event_type=event_type,
            message_id=row.esp_message_id,
            metadata={"stream": "invitation", "id": row.pk},
            timestamp=timezone.now(),
        )
    )


def test_a_wave_pauses_itself_when_bounces_pass_three_percent(settings):
    settings.OUTBOUND_MIN_SAMPLE = 50
    make_participants(100)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    rows = list(Invitation.objects.filter(wave=wave).order_by("pk"))

    for row in rows[:3]:
        _bounce(row)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED  # 3 % is the limit

    _bounce(rows[3])
    wave.refresh_from_db()
    assert wave.status == Wave.Status.PAUSED
    assert "Bounce rate 4.0%" in shown(wave.paused_reason)


def test_a_wave_pauses_itself_on_complaints_above_008_percent(settings):
    settings.OUTBOUND_MIN_SAMPLE = 50
    make_participants(60)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)

    _bounce(Invitation.objects.filter(wave=wave).first(), "complained")

    wave.refresh_from_db()
    assert wave.status == Wave.Status.PAUSED
    assert "Complaint rate" in shown(wave.paused_reason)


def test_a_small_wave_pauses_itself_at_the_fifth_bounce(settings):
    # 28 people, far below the sample of 100: the fifth bounce (18 %) is already a bad list.
    settings.OUTBOUND_MIN_SAMPLE = 100
    settings.OUTBOUND_MIN_BOUNCES = 5
    make_participants(28)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    rows = list(Invitation.objects.filter(wave=wave).order_by("pk"))

    for row in rows[:4]:
        _bounce(row)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED  # four say little yet

    _bounce(rows[4])
    wave.refresh_from_db()
    assert wave.status == Wave.Status.PAUSED
    assert "Bounce rate 17.9% (5 of 28)" in shown(wave.paused_reason)


def test_a_small_wave_pauses_itself_at_the_second_complaint(settings):
    settings.OUTBOUND_MIN_SAMPLE = 100
    settings.OUTBOUND_MIN_COMPLAINTS = 2
    make_participants(20)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    rows = list(Invitation.objects.filter(wave=wave).order_by("pk"))

    _bounce(rows[0], "complained")
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED  # one may be a slip

    _bounce(rows[1], "complained")
    wave.refresh_from_db()
    assert wave.status == Wave.Status.PAUSED
    assert "Complaint rate 10.00% (2 of 20)" in shown(wave.paused_reason)


def test_a_few_bounces_in_a_small_wave_do_not_pause_it(settings):
    settings.OUTBOUND_MIN_SAMPLE = 100
    settings.OUTBOUND_MIN_BOUNCES = 5
    make_participants(10)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)

    for row in Invitation.objects.filter(wave=wave)[:4]:
        _bounce(row)

    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED


def test_enough_bounces_under_the_rate_do_not_pause_a_large_wave(settings):
    # Five bounces is the count, but 5 of 200 (2.5 %) is a healthy rate: the wave goes on.
    settings.OUTBOUND_MIN_SAMPLE = 100
    settings.OUTBOUND_MIN_BOUNCES = 5
    make_participants(200, with_exchange=False)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)

    for row in Invitation.objects.filter(wave=wave)[:5]:
        _bounce(row)

    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED


def test_tick_enqueues_one_batch_per_sending_wave():
    make_participants(3)
    wave = make_wave()
    launch(wave)
    other = make_wave(name="paused", home_countries=["NP"])
    make_participants(1, country="NP")
    launch(other)
    Wave.objects.filter(pk=other.pk).update(status=Wave.Status.PAUSED)

    # Eager in unit tests: the tick's batch runs at once.
    assert tasks.outbound_tick() == 1
    assert len(mail.outbox) == 3
    # Once the last batch finds nothing left, the wave is completed.
    outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED


def test_a_full_unthrottled_batch_is_followed_at_once_by_the_next():
    make_participants(5)
    wave = make_wave(batch_size=2, rate_per_hour=0)
    launch(wave)

    # The sender says there is more; the task enqueues it (eager here: at once).
    assert outbound.send_batch(stream_name=STREAM, campaign_id=wave.pk).more is True
    assert len(mail.outbox) == 2
    tasks.outbound_send_batch.delay(STREAM, wave.pk).get()

    assert len(mail.outbox) == 5
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.COMPLETED


def test_a_throttled_batch_waits_for_the_next_tick():
    make_participants(5)
    wave = make_wave(batch_size=2, rate_per_hour=1000)
    launch(wave)

    assert tasks.outbound_send_batch.delay(STREAM, wave.pk).get() == 2
    assert len(mail.outbox) == 2


def test_the_batch_task_runs_twice_and_sends_once():
    make_participants(3)
    wave = make_wave(batch_size=10)
    launch(wave)

    first = tasks.outbound_send_batch.delay(STREAM, wave.pk).get()
    second = tasks.outbound_send_batch.delay(STREAM, wave.pk).get()

    assert (first, second) == (3, 0)
    assert len(mail.outbox) == 3


def test_the_sweep_and_tick_tasks_are_safe_to_repeat():
    make_participants(2)
    wave = make_wave()
    launch(wave)

    tasks.outbound_tick.delay().get()
    tasks.outbound_tick.delay().get()
    assert tasks.outbound_sweep.delay().get() == 0
    assert tasks.outbound_sweep.delay().get() == 0

    assert len(mail.outbox) == 2


@pytest.mark.parametrize("processes", [1, 3])
def test_launching_a_wave_starts_one_batch_chain_per_worker_process(
    settings, monkeypatch, django_capture_on_commit_callbacks, processes
):
    # A small wave kicked with one chain would leave the bulk worker's other processes idle.
    settings.OUTBOUND_PARALLEL_BATCHES = processes
    started = []
    monkeypatch.setattr(tasks.outbound_send_batch, "delay", lambda *args: started.append(args))
    make_participants(2)
    wave = make_wave()

    with django_capture_on_commit_callbacks(execute=True):
        launch(wave)
        assert started == []  # nothing before the wave's rows are committed

    assert started == [(STREAM, wave.pk)] * processes


def test_starting_a_newsletter_starts_one_batch_chain_per_worker_process(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from newsletters import services as newsletter_services
    from tests.members.factories import MemberFactory
    from tests.members.factories import StaffUserFactory
    from tests.newsletters.factories import NewsletterFactory

    settings.OUTBOUND_PARALLEL_BATCHES = 3
    started = []
    monkeypatch.setattr(tasks.outbound_send_batch, "delay", lambda *args: started.append(args))
    MemberFactory.create_batch(2)
    newsletter = NewsletterFactory(rate_per_hour=0)

    with django_capture_on_commit_callbacks(execute=True):
        # "Send now": the deliveries are made at once.
        newsletter_services.newsletter_schedule(newsletter=newsletter, actor=StaffUserFactory())

    assert started == [("newsletter", newsletter.pk)] * 3
