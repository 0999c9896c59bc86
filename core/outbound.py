"""The one bulk sender: batched, throttled, crash-safe mail for invitation waves, newsletters and
broadcasts to an activity's registrants. One-off mail (`core.mail`) is a stream too, sent
row by row (`send_one`), so that one tracking receiver and one sweep serve every mail.

Each message is a row of a model that inherits `outbound_model.OutboundMessage` (an `Invitation`, a
newsletter `Delivery`); the row, in PostgreSQL, is the only truth about whether it was sent. Neither
Redis nor the broker's redelivery is trusted: losing either loses nothing.

How a message travels

1. A *stream* (one per kind of row) is registered with `register_stream()` from an app's
   `AppConfig.ready()`. It says which campaigns (a wave, a newsletter) may send now, with their pace
   and sending window, and how to build the message for a row.
2. `outbound_tick` (beat, every OUTBOUND_TICK_SECONDS; the tasks are in `core.tasks`) first lets
   each stream move its campaigns on (`advance_campaigns`: a wave whose start has come begins
   sending), then enqueues one `outbound_send_batch` per campaign that `due_batches` names (asking
   which campaigns are due never writes). That task claims the campaign's next pending rows with
   `SELECT ... FOR UPDATE SKIP LOCKED` (so two workers never take the same row), within the rate per
   hour, the batch size and the recipients' local sending window, and marks them `sending`.
3. It sends the claimed rows in id order over one backend connection and, right after the backend
   accepted each message, marks that row `sent` with the ESP's message id, one commit per message.
   A worker killed at any moment therefore leaves at most one row whose fate is unknown: the lowest
   id of its batch that is still `sending`. Before each message it reads whether the row is still
   its own and the campaign still sends (the stream's `campaign_sends`): a pause or a cancel stops
   the batch after the message in flight, and the rest goes back to `pending`, no attempt counted.
4. `outbound_sweep` (beat, every OUTBOUND_SWEEP_SECONDS) finds the batches of dead workers: a
   claim records the worker process (`claimed_by`, "<node>/<pid>"), and a batch whose process no
   longer answers Celery's broadcast (`live_workers`) is dead at once; any batch `sending` for
   longer than a live one can take (OUTBOUND_STALE_SECONDS) is dead too, whoever answers. Its rows
   that were certainly never handed over go back to `pending` at once. The one that may have been
   in flight goes back with them over plain SMTP, where no webhook will ever say it was sent; with
   an ESP that reports back (OUTBOUND_AWAIT_WEBHOOKS) it waits until OUTBOUND_UNCERTAIN_SECONDS
   after its claim for the webhook (the tracking receiver then marks it `sent`). Recovery never
   waits for the broker's visibility timeout.
5. Every message carries anymail metadata `{"stream": <name>, "id": <row id>}` and its own
   Message-ID. The tracking receiver (`anymail.signals.tracking`) maps each event back to its row:
   `delivered` stamps it; `bounced`/`rejected` mark it bounced and `complained` stamps a complaint,
   and all three mark the participant's address bad through the hooks members registers
   (`register_recipient_hooks`) while it is still their address (`is_soft_bounce`: a bounce the
   ESP calls temporary is only noted). An unsubscribe (`is_unsubscribe`) takes the person off the
   newsletter, never marking the address bad. A repeated event changes nothing; events for
   unknown messages are logged and ignored; refusing webhooks without the secret is anymail's job
   (ANYMAIL_WEBHOOK_SECRET). The receiver is connected in `CoreConfig.ready()`.
6. A campaign protects the sender's reputation: a bounce rate above 3 % or a complaint rate above
   0.08 % makes the stream pause it, with the reason, once OUTBOUND_MIN_SAMPLE messages went out,
   or, in a smaller campaign, once it has OUTBOUND_MIN_BOUNCES bounces (OUTBOUND_MIN_COMPLAINTS
   complaints).

Example: newsletters

    from core import outbound

    class Delivery(OutboundMessage):  # status, email, time_zone, claimed_at, sent_at, ...
        newsletter = models.ForeignKey(Newsletter, ...)
        participant = models.ForeignKey(Participant, ...)

    def active_newsletters(now):
        for newsletter in Newsletter.objects.filter(status="sending"):
            yield outbound.Campaign(id=newsletter.pk, rate_per_hour=2000, batch_size=200)

    def build_delivery(delivery):  # the row comes with `prepare`'s select_related
        return render_email("emails/newsletters/issue", {...}, to=[delivery.email])

    # in NewslettersConfig.ready():
    outbound.register_stream(outbound.OutboundStream(
        name="newsletter",
        model=Delivery,
        campaign_field="newsletter",
        active_campaigns=active_newsletters,
        build_message=build_delivery,
        prepare=lambda rows: rows.select_related("newsletter", "participant"),
        pause_campaign=lambda campaign_id, reason: newsletter_pause(pk=campaign_id, reason=reason),
        campaign_finished=lambda campaign_id: newsletter_mark_sent(pk=campaign_id),
    ))

    # after creating the Delivery rows (status pending) for a newsletter that is now "sending",
    # start at once rather than at the next tick:
    core.tasks.outbound_send_batch.delay_on_commit("newsletter", newsletter.pk)
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
import zoneinfo
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import time as clock_time
from datetime import timedelta
from email.utils import make_msgid
from smtplib import SMTPRecipientsRefused

from anymail.exceptions import AnymailRecipientsRefused
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail import get_connection
from django.core.mail.utils import DNS_NAME
from django.db import connection as db_connection
from django.db import models
from django.db import transaction
from django.db.models import Count
from django.db.models import F
from django.db.models import Min
from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus

logger = logging.getLogger(__name__)

# Reputation limits: ESPs suspend senders at about 5 % bounces and 0.1 % complaints.
BOUNCE_RATE_LIMIT = 0.03
COMPLAINT_RATE_LIMIT = 0.0008
# A message that failed this often (not a refused recipient) is given up as failed.
MAX_ATTEMPTS = 3


def min_sample() -> int:
    """Rates are judged once this many messages went out: two bounces among the first ten say
    little, and a pause would stop a healthy wave. Below it, see `min_bounces`."""
    return settings.OUTBOUND_MIN_SAMPLE


def min_bounces() -> int:
    """A campaign smaller than the sample (a 28-person country wave is normal here) is judged on
    its bounce rate once it has this many bounces. Five is more than a healthy list gives below
    the sample (3 % of 100 is three), and few enough that a bad list of 28 stops at its fifth."""
    return settings.OUTBOUND_MIN_BOUNCES


def min_complaints() -> int:
    """The same for complaints: one may be a slip of the finger; a second says the mail is
    unwanted, which mailbox providers punish faster than bounces."""
    return settings.OUTBOUND_MIN_COMPLAINTS


def batch_seconds() -> float:
    """A batch stops taking new messages after this long and hands its rest back, so that a
    `sending` row older than OUTBOUND_STALE_SECONDS can only belong to a dead worker."""
    return settings.OUTBOUND_BATCH_SECONDS


def stale_after() -> timedelta:
    """A `sending` row older than this belongs to a dead worker, whatever the worker's liveness
    says (the fallback when nobody can be asked, e.g. a broker without broadcasts)."""
    return timedelta(seconds=settings.OUTBOUND_STALE_SECONDS)


def uncertain_after() -> timedelta:
    """How long after its claim the row maybe in flight at a worker's death waits for the ESP's
    webhook to say it was sent, when webhooks are awaited at all (`await_webhooks`)."""
    return timedelta(seconds=settings.OUTBOUND_UNCERTAIN_SECONDS)


def await_webhooks() -> bool:
    """Only an ESP with tracking reports back; over plain SMTP no webhook will ever come, and the
    row maybe in flight goes back to the queue with the rest (settings.py derives the default)."""
    return settings.OUTBOUND_AWAIT_WEBHOOKS


# How long the sweep waits for workers to answer (as /healthz waits for its ping, a little more):
# a live worker's main process answers within milliseconds even while its pool sends.
LIVENESS_TIMEOUT = 2.0


# --- what a stream declares ---------------------------------------------------------------------


@dataclass(frozen=True)
class SendingWindow:
    """Send only between `start` and `end` on `weekdays` (0 is Monday), in the recipient's zone.
    An `end` before `start` spans midnight; `start` equal to `end` is the whole day."""

    start: clock_time
    end: clock_time
    weekdays: frozenset[int]

    def is_open(self, zone_name: str, now: datetime) -> bool:
        local = now.astimezone(zone_for_name(zone_name))
        if local.weekday() not in self.weekdays:
            return False
        moment = local.time()
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class Campaign:
    """A campaign that may send now. `id` is the value of the stream's campaign field (None for
    rows without a campaign, e.g. a direct invitation). `rate_per_hour` 0 means no throttle."""

    id: int | None
    rate_per_hour: int = 0
    batch_size: int = 100
    window: SendingWindow | None = None


@dataclass(frozen=True)
class OutboundStream:
    """One kind of bulk message. Only `name`, `model`, `active_campaigns` and `build_message` are
    required.

    - `campaign_field`: the row's foreign key to its campaign (None: the stream has no campaigns,
      every pending row is sent as soon as `active_campaigns` yields `Campaign(id=None)`).
    - `active_campaigns(now)`: the campaigns allowed to send now (started, not paused). A read
      only: the tick and every batch ask it. One-off mail (`core.mail`) is a stream that yields
      none: each of its rows is sent by a task of its own through `send_one`, and the stream only
      lends it the tracking and the sweep.
    - `advance_campaigns(now)`: the stream's writes that move its campaigns on, done by the tick
      (and only there) before it asks `active_campaigns`: a scheduled wave whose start has come
      begins sending; a newsletter's deliveries to people who left meanwhile are skipped.
    - `build_message(row)`: the EmailMessage for a row, addressed to `row.email`; the sender adds
      metadata, a Message-ID and the connection.
    - `prepare(queryset)`: add select_related/prefetch_related for what `build_message` reads.
    - `sent_fields(row, now)`: extra fields written in the same UPDATE as `sent` (e.g. expiry).
    - `participant_path`: the lookup from the row to its `members.Participant`, whose address a
      bounce or complaint marks bad.
    - `pause_campaign(campaign_id, reason)`: called when the campaign's rates pass the limits.
    - `campaign_finished(campaign_id)`: called when a campaign has nothing pending or sending.
    - `on_event(row, event_type)`: the stream's own reaction after the common one (e.g. an
      invitation whose reminder bounced is bounced too).
    - `skip_reason(row)`: checked right before sending; a reason (text) means the message is no
      longer wanted (the person registered, declined, or their address went bad meanwhile): the
      row becomes `skipped` with that reason instead of being sent.
    - `campaign_sends`: a filter on the stream's rows that holds while their campaign may send
      (e.g. `Q(wave__status="sending")`). It is read before every message, so that a pause or a
      cancel stops a batch already claimed within the message in flight; the rest is handed back.
    """

    name: str
    model: type[OutboundMessage]
    active_campaigns: Callable[[datetime], Iterable[Campaign]]
    build_message: Callable[[OutboundMessage], EmailMessage]
    advance_campaigns: Callable[[datetime], None] | None = None
    campaign_field: str | None = None
    prepare: Callable[[models.QuerySet], models.QuerySet] = lambda rows: rows
    sent_fields: Callable[[OutboundMessage, datetime], dict] = lambda row, now: {}
    participant_path: str | None = "participant"
    pause_campaign: Callable[[int, str], None] | None = None
    campaign_finished: Callable[[int | None], None] | None = None
    on_event: Callable[[OutboundMessage, str], None] | None = None
    skip_reason: Callable[[OutboundMessage], str | None] | None = None
    campaign_sends: Q | None = None
    tags: tuple[str, ...] = field(default=())

    def rows_of(self, campaign_id: int | None) -> models.QuerySet:
        rows = self.model._default_manager.all()
        if self.campaign_field is None:
            return rows
        if campaign_id is None:
            return rows.filter(**{f"{self.campaign_field}__isnull": True})
        return rows.filter(**{f"{self.campaign_field}_id": campaign_id})


_streams: dict[str, OutboundStream] = {}


def register_stream(stream: OutboundStream) -> None:
    # Keyed by name so that a second ready() (tests, autoreload) replaces rather than repeats.
    _streams[stream.name] = stream


def get_stream(name: str) -> OutboundStream:
    return _streams[name]


def streams() -> list[OutboundStream]:
    return list(_streams.values())


def zone_for_name(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- sending ------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    refused: int = 0
    released: int = 0
    skipped: int = 0
    # A full batch of an unthrottled campaign: the task sends the next one at once rather than
    # wait for the next tick.
    more: bool = False


def _allowance(stream: OutboundStream, campaign: Campaign, now: datetime) -> int:
    """How many messages the campaign may still claim now: the batch size, limited by the rate per
    hour over the last hour and, so that a wave is spread over the hour, the last minute."""
    if campaign.rate_per_hour <= 0:
        return campaign.batch_size
    counts = (
        stream.rows_of(campaign.id)
        .filter(claimed_at__gt=now - timedelta(hours=1))
        .aggregate(
            hour=Count("pk"),
            minute=Count("pk", filter=Q(claimed_at__gt=now - timedelta(minutes=1))),
        )
    )
    per_minute = math.ceil(campaign.rate_per_hour / 60)
    return max(
        0,
        min(
            campaign.batch_size,
            per_minute - counts["minute"],
            campaign.rate_per_hour - counts["hour"],
        ),
    )


def _open_zones(pending: models.QuerySet, window: SendingWindow, now: datetime) -> list[str]:
    zones = pending.order_by().values_list("time_zone", flat=True).distinct()
    return [zone for zone in zones if window.is_open(zone, now)]


def claim(
    *,
    stream: OutboundStream,
    campaign: Campaign,
    now: datetime | None = None,
    claimed_by: str = "",
) -> list[int]:
    """Take the campaign's next pending rows (id order) and mark them `sending`, by `claimed_by`
    (the worker process, see `worker_identity`); returns their ids. Rows another worker holds are
    skipped, never waited for."""
    now = now or timezone.now()
    limit = _allowance(stream, campaign, now)
    if limit <= 0:
        return []
    with transaction.atomic():
        pending = stream.rows_of(campaign.id).filter(status=OutboundStatus.PENDING)
        if campaign.window is not None:
            pending = pending.filter(time_zone__in=_open_zones(pending, campaign.window, now))
        ids = list(
            pending.order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            manager = stream.model._default_manager
            manager.filter(pk__in=ids, status=OutboundStatus.PENDING).update(
                status=OutboundStatus.SENDING,
                claimed_at=now,
                claimed_by=claimed_by,
                attempts=F("attempts") + 1,
            )
            if db_connection.vendor != "postgresql":
                # No row locks (SQLite under `make run`): keep only what this claim took.
                ids = list(
                    manager.filter(pk__in=ids, status=OutboundStatus.SENDING, claimed_at=now)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
    return ids


def _stamp(message: EmailMessage, stream: OutboundStream, row: OutboundMessage) -> None:
    # Anymail sends the metadata to the ESP, which returns it with every tracking event. A
    # Message-ID of our own identifies the message with any backend (SMTP has no ESP id).
    message.metadata = {"stream": stream.name, "id": row.pk}
    # Each tag once: Postmark and Mailjet refuse more than one tag per message, so a stream's own
    # tag that repeats its name must not become a second one (tests/test_esp_payloads.py).
    message.tags = list(dict.fromkeys([stream.name, *stream.tags]))
    message.extra_headers.setdefault(
        "Message-ID", make_msgid(idstring=f"{stream.name}.{row.pk}", domain=str(DNS_NAME))
    )


def _message_id(message: EmailMessage) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        message_id = status.message_id
        # Anymail gives a set when recipients got different ids; ours have one recipient.
        if isinstance(message_id, set):
            message_id = sorted(message_id)[0]
        return str(message_id)[:255]
    return message.extra_headers.get("Message-ID", "")[:255]


def send_claimed(*, stream: OutboundStream, ids: list[int]) -> BatchResult:
    """Send rows this worker claimed, in id order, marking each `sent` as soon as the backend took
    it. Stops taking new rows after OUTBOUND_BATCH_SECONDS and hands the rest back as pending."""
    result = BatchResult(claimed=len(ids))
    if not ids:
        return result
    manager = stream.model._default_manager
    rows = list(
        stream.prepare(manager.filter(pk__in=ids, status=OutboundStatus.SENDING)).order_by("pk")
    )
    deadline = time.monotonic() + batch_seconds()
    with _fast_commits():
        return _send_rows(stream, rows, result, deadline)


@contextlib.contextmanager
def _fast_commits():
    """Each `sent` mark is its own commit; waiting for each one's WAL flush would cap a worker at a
    few hundred messages a second. Without it a worker killed at any moment still loses nothing
    (the server has the commit); only a crash of PostgreSQL itself could forget the last fraction
    of a second of marks, and those rows then wait OUTBOUND_STALE_SECONDS as `sending`, which
    gives the ESP's webhooks time to mark them sent before the sweep would send them again."""
    if db_connection.vendor != "postgresql" or not settings.OUTBOUND_ASYNC_COMMIT:
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _send_rows(stream: OutboundStream, rows: list, result: BatchResult, deadline: float):
    manager = stream.model._default_manager
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # the mail server is down: nothing was handed over
        logger.warning("outbound: %s cannot reach the mail backend: %s", stream.name, exc)
        result.released = _release(stream, rows, error=str(exc))
        return result
    try:
        for index, row in enumerate(rows):
            if time.monotonic() > deadline:
                result.released += _release(stream, rows[index:])
                break
            if not _still_ours_to_send(stream, row):
                # Paused or cancelled meanwhile (or the sweep took the row back): the adviser who
                # paused must see it stop now, not after the batch.
                result.released += _release(stream, rows[index:])
                logger.info(
                    "outbound: %s stopped a batch, %s rows handed back",
                    stream.name,
                    len(rows) - index,
                )
                break
            reason = stream.skip_reason(row) if stream.skip_reason else None
            if reason:
                manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
                    status=OutboundStatus.SKIPPED, last_error=reason[:500]
                )
                result.skipped += 1
                continue
            try:
                message = stream.build_message(row)
                _stamp(message, stream, row)
                message.connection = connection
                message.send()
            except (AnymailRecipientsRefused, SMTPRecipientsRefused) as exc:
                # The server refused the address itself: as good as a bounce.
                result.refused += 1
                _mark_refused(stream, row, error=str(exc))
                continue
            except Exception as exc:
                logger.exception("outbound: %s %s could not be sent", stream.name, row.pk)
                result.failed += _mark_failed_or_retry(stream, row, error=str(exc))
                # The connection may be broken: hand the rest back for the next batch.
                result.released += _release(stream, rows[index + 1 :])
                break
            now = timezone.now()
            manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
                status=OutboundStatus.SENT,
                sent_at=now,
                esp_message_id=_message_id(message),
                last_error="",
                **stream.sent_fields(row, now),
            )
            result.sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken SMTP connection may raise again
            logger.warning("outbound: closing the mail connection failed", exc_info=True)
    return result


def _still_ours_to_send(stream: OutboundStream, row: OutboundMessage) -> bool:
    """One indexed read before each message: the row is still claimed by this batch (same claim
    time as when it was loaded) and its campaign may still send."""
    rows = stream.model._default_manager.filter(
        pk=row.pk,
        status=OutboundStatus.SENDING,
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
    )
    if stream.campaign_sends is not None:
        rows = rows.filter(stream.campaign_sends)
    return rows.exists()


def _release(stream: OutboundStream, rows: list[OutboundMessage], error: str = "") -> int:
    """Rows this batch claimed but certainly never handed over go back to the queue; the claim
    that did not send them is not counted as an attempt. Rows claimed again since (by another
    batch, after the sweep took them back) are not this batch's to give back."""
    if not rows:
        return 0
    ours = stream.model._default_manager.filter(
        pk__in=[row.pk for row in rows],
        status=OutboundStatus.SENDING,
        claimed_at__in={row.claimed_at for row in rows},
    )
    return _requeue(ours, attempted=False, error=error)


def _requeue(rows: models.QuerySet, *, attempted: bool, error: str = "") -> int:
    """Claimed rows back to `pending`. A row that was certainly never handed over (`attempted`
    False) does not count the claim as an attempt."""
    updates = {"status": OutboundStatus.PENDING, "claimed_at": None, "claimed_by": ""}
    if not attempted:
        updates["attempts"] = Greatest(F("attempts") - 1, 0)
    if error:
        updates["last_error"] = error[:500]
    return rows.update(**updates)


def _mark_failed_or_retry(stream: OutboundStream, row: OutboundMessage, error: str) -> int:
    manager = stream.model._default_manager
    give_up = row.attempts >= MAX_ATTEMPTS
    manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.FAILED if give_up else OutboundStatus.PENDING,
        claimed_at=None if not give_up else F("claimed_at"),
        claimed_by="" if not give_up else F("claimed_by"),
        last_error=error[:500],
    )
    return 1 if give_up else 0


def _mark_refused(stream: OutboundStream, row: OutboundMessage, error: str) -> None:
    now = timezone.now()
    stream.model._default_manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.BOUNCED, bounced_at=now, last_error=error[:500]
    )
    _mark_participant(stream, row.pk, "bounced")
    if stream.on_event:
        stream.on_event(row, "rejected")
    check_campaign_health(stream=stream, campaign_id=_campaign_id(stream, row))


def _campaign_id(stream: OutboundStream, row: OutboundMessage) -> int | None:
    if stream.campaign_field is None:
        return None
    return getattr(row, f"{stream.campaign_field}_id")


def active_campaign(*, stream: OutboundStream, campaign_id: int | None, now: datetime):
    return next((c for c in stream.active_campaigns(now) if c.id == campaign_id), None)


def send_batch(*, stream_name: str, campaign_id: int | None, claimed_by: str = "") -> BatchResult:
    """Claim and send one batch of a campaign, if it may send now."""
    stream = get_stream(stream_name)
    now = timezone.now()
    campaign = active_campaign(stream=stream, campaign_id=campaign_id, now=now)
    if campaign is None:
        return BatchResult()
    ids = claim(stream=stream, campaign=campaign, now=now, claimed_by=claimed_by)
    result = send_claimed(stream=stream, ids=ids)
    if result.claimed < campaign.batch_size:
        # A short batch may have been the last one.
        _finish_if_done(stream, campaign_id)
    else:
        result.more = campaign.rate_per_hour <= 0 and not result.released
    return result


def send_one(*, stream: OutboundStream, row_id: int, claimed_by: str = "") -> str:
    """Send one row now, outside any campaign: the one-off mail path (`core.mail`), where
    each row has a task of its own. Returns the row's status afterwards ("" if it is gone).

    The same promises as a batch, one row long: the row is locked only while it is claimed, never
    while its message is built or handed over; a second task for the same row finds it in flight
    or done and leaves, so a task that runs twice sends once; a refused address is a bounce;
    another error puts the row back to `pending` for a later attempt (`failed` after
    MAX_ATTEMPTS), and a mail server that cannot be reached costs no attempt. A row whose worker
    died stays `sending` until the sweep gives it back, as a batch's rows do."""
    manager = stream.model._default_manager
    with transaction.atomic():
        row = manager.select_for_update().filter(pk=row_id).first()
        if row is None:
            return ""
        if row.status != OutboundStatus.PENDING:
            return row.status
        # The status in the filter keeps a second claim out where there are no row locks (SQLite).
        claimed = manager.filter(pk=row_id, status=OutboundStatus.PENDING).update(
            status=OutboundStatus.SENDING,
            claimed_at=timezone.now(),
            claimed_by=claimed_by,
            attempts=F("attempts") + 1,
        )
    if claimed:
        send_claimed(stream=stream, ids=[row_id])
    return manager.filter(pk=row_id).values_list("status", flat=True).first() or ""


def _finish_if_done(stream: OutboundStream, campaign_id: int | None) -> None:
    if stream.campaign_finished is None or campaign_id is None:
        return
    busy = stream.rows_of(campaign_id).filter(
        status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING]
    )
    if not busy.exists():
        stream.campaign_finished(campaign_id)


def due_batches(now: datetime | None = None) -> list[tuple[str, int | None]]:
    """(stream name, campaign id) of every campaign that may send now: the tick sends one batch
    of each."""
    now = now or timezone.now()
    return [
        (stream.name, campaign.id)
        for stream in streams()
        for campaign in stream.active_campaigns(now)
    ]


def advance_campaigns(now: datetime | None = None) -> None:
    """The tick's one writing step, before it asks `due_batches`: each stream moves its campaigns
    on (see `OutboundStream.advance_campaigns`)."""
    now = now or timezone.now()
    for stream in streams():
        if stream.advance_campaigns is not None:
            stream.advance_campaigns(now)


def worker_identity(request) -> str:
    """The worker process running a task, as `live_workers` lists it ("<celery node>/<pid>"); ""
    when the task does not run in a worker (eager, or called directly)."""
    if request is None or request.is_eager or not request.hostname:
        return ""
    return f"{request.hostname}/{os.getpid()}"


def live_workers() -> frozenset[str] | None:
    """Every worker process that answers now, as "<node>/<pid>": each node's own process and its
    pool's children (a child killed alone, or a whole worker killed, is missing). None when
    nobody answers at all: then the broadcast itself may be failing, and nothing is concluded."""
    try:
        replies = current_app.control.inspect(timeout=LIVENESS_TIMEOUT).stats() or {}
    except Exception as exc:  # the broker is unreachable: liveness is unknown
        logger.warning("outbound: cannot ask the workers whether they are alive: %s", exc)
        return None
    if not replies:
        return None
    alive = set()
    for node, info in replies.items():
        pool = info.get("pool") or {}
        pids = [info.get("pid"), *(pool.get("processes") or [])]
        alive.update(f"{node}/{pid}" for pid in pids if pid)
    return frozenset(alive)


def sweep(
    now: datetime | None = None,
    *,
    live: Callable[[], frozenset[str] | None] = live_workers,
) -> dict[str, int]:
    """Recover the work of dead workers: see the module docstring (step 4). `live` says which
    worker processes answer (asked at most once per sweep, and only when a claim needs it)."""
    now = now or timezone.now()
    asked = False
    alive: frozenset[str] | None = None
    recovered: dict[str, int] = {}
    for stream in streams():
        sending = stream.model._default_manager.filter(status=OutboundStatus.SENDING)
        # One claim = one batch = one (claimed_at, claimed_by); only its lowest id still
        # `sending` can have been in flight when the worker died (rows are sent in id order).
        claims = sending.order_by().values("claimed_at", "claimed_by").annotate(first=Min("pk"))
        dead, maybe_in_flight, webhook_window_over = Q(pk__in=[]), [], []
        for group in claims:
            claimed_at, claimed_by = group["claimed_at"], group["claimed_by"]
            gone = claimed_at is None or claimed_at < now - stale_after()
            if not gone and claimed_by:
                if not asked:
                    alive, asked = live(), True
                gone = alive is not None and claimed_by not in alive
            if not gone:
                continue
            dead |= Q(claimed_at=claimed_at, claimed_by=claimed_by)
            maybe_in_flight.append(group["first"])
            if claimed_at is None or claimed_at < now - uncertain_after():
                webhook_window_over.append(group["first"])
        # Certainly never handed over: back at once, the claim not counted as an attempt.
        count = _requeue(sending.filter(dead).exclude(pk__in=maybe_in_flight), attempted=False)
        # Maybe handed over: where an ESP reports back, its webhook (which marks the row sent)
        # has OUTBOUND_UNCERTAIN_SECONDS to come; over plain SMTP nothing will come.
        retry = maybe_in_flight if not await_webhooks() else webhook_window_over
        count += _requeue(sending.filter(pk__in=retry), attempted=True)
        if count:
            logger.warning("outbound: %s rows of %s returned to the queue", count, stream.name)
        recovered[stream.name] = count
    return recovered


# --- reputation ---------------------------------------------------------------------------------


def campaign_rates(*, stream: OutboundStream, campaign_id: int | None) -> dict[str, float | int]:
    counts = (
        stream.rows_of(campaign_id)
        .filter(sent_at__isnull=False)
        .aggregate(
            sent=Count("pk"),
            bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
            complained=Count("pk", filter=Q(complained_at__isnull=False)),
        )
    )
    # Refused addresses were never "sent" but count against the sender all the same.
    refused = (
        stream.rows_of(campaign_id).filter(sent_at__isnull=True, bounced_at__isnull=False).count()
    )
    total = counts["sent"] + refused
    bounced = counts["bounced"] + refused
    return {
        "sent": total,
        "bounced": bounced,
        "complained": counts["complained"],
        "bounce_rate": bounced / total if total else 0.0,
        "complaint_rate": counts["complained"] / total if total else 0.0,
    }


def check_campaign_health(*, stream: OutboundStream, campaign_id: int | None) -> str | None:
    """Pause the campaign when its bounce or complaint rate passes the limit; returns the reason.
    A rate counts once the campaign reached the sample, or, for a small campaign, once it has
    the minimum count of that problem: both the rate and the count must be over."""
    if campaign_id is None or stream.pause_campaign is None:
        return None
    rates = campaign_rates(stream=stream, campaign_id=campaign_id)
    sampled = rates["sent"] >= min_sample()
    reason = None
    if rates["bounce_rate"] > BOUNCE_RATE_LIMIT and (sampled or rates["bounced"] >= min_bounces()):
        reason = (
            f"Bounce rate {rates['bounce_rate']:.1%} ({rates['bounced']} of {rates['sent']}) "
            f"is above {BOUNCE_RATE_LIMIT:.0%}. Fix or remove the bad addresses, then resume."
        )
    elif rates["complaint_rate"] > COMPLAINT_RATE_LIMIT and (
        sampled or rates["complained"] >= min_complaints()
    ):
        reason = (
            f"Complaint rate {rates['complaint_rate']:.2%} ({rates['complained']} of "
            f"{rates['sent']}) is above {COMPLAINT_RATE_LIMIT:.2%}. Check who was invited, "
            "then resume."
        )
    if reason:
        stream.pause_campaign(campaign_id, reason)
    return reason


# --- tracking -----------------------------------------------------------------------------------

BAD_ADDRESS_EVENTS = {"bounced": "bounced", "rejected": "bounced", "complained": "complained"}


def _esp_event(event) -> dict:
    raw = getattr(event, "esp_event", None)
    return raw if isinstance(raw, dict) else {}


def is_soft_bounce(event) -> bool:
    """A `bounced` event that the ESP itself calls temporary (a full mailbox, a server refusing for
    now): the address is not dead. Anymail normalises most soft bounces to `bounced` and passes the
    ESP's own signal through only in `esp_event`, where each ESP says it its own way."""
    if event.event_type != "bounced":
        return False
    raw = _esp_event(event)
    if "hard_bounce" in raw:  # Mailjet: every bounce says whether it is hard
        return raw["hard_bounce"] is False
    if raw.get("RecordType") == "Bounce":  # Postmark: the bounce's Type
        return raw.get("Type") in {"SoftBounce", "Transient", "DnsError"}
    if isinstance(raw.get("bounce"), dict):  # Amazon SES: Permanent, Transient or Undetermined
        return raw["bounce"].get("bounceType") == "Transient"
    if raw.get("event") == "bounce":  # SendGrid: "blocked" is a receiving server's refusal for now
        return raw.get("type") == "blocked"
    if raw.get("event") == "soft_bounce":  # Brevo (a hard one is "hard_bounce")
        return True
    event_data = raw.get("event-data")
    if isinstance(event_data, dict):  # Mailgun (anymail already calls most of these `deferred`)
        return event_data.get("severity") == "temporary"
    return False


def is_unsubscribe(event) -> bool:
    """The recipient told their mail provider or the ESP to stop: anymail's `unsubscribed` (every
    ESP; also Postmark's bounce type Unsubscribe and its manual suppressions, SendGrid's global and
    group unsubscribes), a message the ESP dropped because the address had unsubscribed, and Amazon
    SES's subscription events, which anymail passes on as `unknown`."""
    if event.event_type == "unsubscribed":
        return True
    if event.event_type == "rejected" and getattr(event, "reject_reason", None) == "unsubscribed":
        return True
    raw = _esp_event(event)
    if event.event_type == "unknown" and raw.get("eventType") == "Subscription":
        preferences = (raw.get("subscription") or {}).get("newTopicPreferences") or {}
        topics = preferences.get("topicSubscriptionStatus") or []
        # The portal has one list: opting out of all, or of any topic, is leaving it. (Events say
        # "OptOut", SES's API "OPT_OUT".)
        return bool(preferences.get("unsubscribeAll")) or any(
            str(topic.get("subscriptionStatus", "")).replace("_", "").lower() == "optout"
            for topic in topics
        )
    return False


def esp_source(esp_name: str) -> str:
    """How an ESP's report is recorded: "esp:" and anymail's backend name ("Amazon SES" gives
    "esp:amazon_ses", the name ANYMAIL_ESP takes)."""
    return "esp:" + ("_".join(esp_name.lower().split()) or "unknown")


def _row_for_event(event) -> tuple[OutboundStream, OutboundMessage] | None:
    metadata = getattr(event, "metadata", None) or {}
    stream = _streams.get(str(metadata.get("stream", "")))
    if stream is not None:
        try:
            row_id = int(metadata.get("id"))
        except (TypeError, ValueError):
            row_id = None
        if row_id is not None:
            row = stream.model._default_manager.filter(pk=row_id).first()
            if row is not None:
                return stream, row
    # Some ESPs drop metadata on some events: the message id still maps back.
    if event.message_id:
        for candidate in streams():
            row = candidate.model._default_manager.filter(
                esp_message_id=str(event.message_id)
            ).first()
            if row is not None:
                return candidate, row
    return None


# What an ESP's report means for the person (their address is bad, they left the newsletter) is
# the members app's to decide and to write: it registers its services here from its
# `AppConfig.ready()`, since this package imports no app. A row names its person by
# `participant_path`; the hooks get that id and the address the row's message went to.


@dataclass(frozen=True)
class RecipientHooks:
    """- `address_reported(participant_id=, address=, status=)`: the ESP's news about the address,
      `status` being "ok" (delivered), "bounced" or "complained".
    - `unsubscribed(participant_id=, address=, source=)`: the recipient left through their mail
      provider or the ESP (`source` as `esp_source` gives it)."""

    address_reported: Callable[..., None]
    unsubscribed: Callable[..., None]


_recipient_hooks: RecipientHooks | None = None


def register_recipient_hooks(hooks: RecipientHooks) -> None:
    global _recipient_hooks
    _recipient_hooks = hooks


def _participant_and_address(stream: OutboundStream, row_id: int) -> tuple[int | None, str]:
    """The id of the row's participant, and the address the row's message went to."""
    participant_id, address = stream.model._default_manager.filter(pk=row_id).values_list(
        f"{stream.participant_path}_id", "email"
    ).first() or (None, "")
    return participant_id, address


# The address statuses the tracking events give (the values of members' Participant.EmailStatus).
ADDRESS_STATUS = {"bounced": "bounced", "complained": "complained", "delivered": "ok"}


def _mark_participant(stream: OutboundStream, row_id: int, event_type: str) -> None:
    """Tell members what the ESP said about the address the row went to, through its hook, which
    changes nothing once that address is no longer the participant's (corrected since)."""
    if stream.participant_path is None or _recipient_hooks is None:
        return
    participant_id, address = _participant_and_address(stream, row_id)
    if participant_id is None:
        return
    _recipient_hooks.address_reported(
        participant_id=participant_id, address=address, status=ADDRESS_STATUS[event_type]
    )


def _unsubscribe_participant(stream: OutboundStream, row_id: int, source: str) -> None:
    """The recipient left through their mail provider: they leave the newsletter, through the
    service that owns the flag. Their address is not bad, and nothing else changes."""
    if stream.participant_path is None or _recipient_hooks is None:
        return
    participant_id, address = _participant_and_address(stream, row_id)
    if participant_id is None:
        return
    _recipient_hooks.unsubscribed(participant_id=participant_id, address=address, source=source)


@transaction.atomic
def apply_event(event, *, esp_name: str = "") -> str | None:
    """Apply one normalised tracking event to its row; returns the stream name, or None when the
    message is not ours. Safe to repeat: every change is conditional on the row not having it,
    and an ESP's retry that comes after the address was corrected leaves the new one alone."""
    found = _row_for_event(event)
    if found is None:
        logger.info(
            "outbound: ignored %s event for unknown message %r",
            event.event_type,
            event.message_id,
        )
        return None
    stream, row = found
    manager = stream.model._default_manager
    when = event.timestamp or timezone.now()
    # Any news from the ESP proves the message was handed over: a row a dead worker left
    # `sending` (or the sweeper already gave back) is sent and must not be sent again.
    if row.status in (OutboundStatus.PENDING, OutboundStatus.SENDING) and event.event_type in (
        "queued",
        "sent",
        "delivered",
        "deferred",
        "bounced",
        "complained",
        "opened",
        "clicked",
        "unsubscribed",
    ):
        manager.filter(
            pk=row.pk, status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING]
        ).update(
            status=OutboundStatus.SENT,
            sent_at=when,
            esp_message_id=str(event.message_id or row.esp_message_id)[:255],
            **stream.sent_fields(row, when),
        )
        row.refresh_from_db()

    event_type = event.event_type
    if is_unsubscribe(event):
        # A wish, not a fault: the address stays good and the row is not a bounce.
        _unsubscribe_participant(stream, row.pk, esp_source(esp_name))
        return stream.name
    if is_soft_bounce(event):
        # Noted on the row, which stays `sent` and is not counted as a bounce; not held against
        # the address. The ESP has retried already, so we do not send it again now: the
        # invitation's reminder, or next month's newsletter, is the next try.
        manager.filter(pk=row.pk).update(
            last_error=f"soft bounce: {event.description or event.mta_response or ''}"[:500]
        )
        return stream.name
    changed = False
    if event_type == "delivered":
        changed = bool(
            manager.filter(pk=row.pk, delivered_at__isnull=True).update(delivered_at=when)
        )
        if changed and stream.participant_path:
            _mark_participant(stream, row.pk, "delivered")
    elif event_type in ("bounced", "rejected"):
        changed = bool(manager.filter(pk=row.pk, bounced_at__isnull=True).update(bounced_at=when))
        manager.filter(
            pk=row.pk,
            status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING, OutboundStatus.SENT],
        ).update(status=OutboundStatus.BOUNCED)
    elif event_type == "complained":
        changed = bool(
            manager.filter(pk=row.pk, complained_at__isnull=True).update(complained_at=when)
        )
    elif event_type == "failed":
        changed = bool(
            manager.filter(
                pk=row.pk,
                status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING, OutboundStatus.SENT],
            ).update(status=OutboundStatus.FAILED, last_error=(event.description or "")[:500])
        )
    if event_type in BAD_ADDRESS_EVENTS:
        _mark_participant(stream, row.pk, BAD_ADDRESS_EVENTS[event_type])
    if changed and stream.on_event:
        row.refresh_from_db()
        stream.on_event(row, event_type)
    if changed and event_type in BAD_ADDRESS_EVENTS:
        check_campaign_health(stream=stream, campaign_id=_campaign_id(stream, row))
    return stream.name


def tracking_receiver(sender, event, esp_name, **kwargs) -> None:
    """anymail's `tracking` signal: every ESP's webhooks, normalised. Anymail has already refused
    requests without ANYMAIL_WEBHOOK_SECRET; nothing here refuses an event, since an ESP retries
    refused webhooks for days."""
    apply_event(event, esp_name=esp_name)
