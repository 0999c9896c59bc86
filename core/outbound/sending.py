"""Claiming and sending: a batch takes its campaign's next pending rows under a row lock, within the
pace, the batch size and the sending window, and sends them in small groups over several
connections at once, marking each group's rows `sent` as soon as the backend took them.
`send_one` is the same, one row long, for one-off mail."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection as db_connection
from django.db import models
from django.db import transaction
from django.db.models import Count
from django.db.models import F
from django.db.models import Q
from django.utils import timezone

from core.outbound import batching
from core.outbound import wire
from core.outbound.handover import FAILED
from core.outbound.handover import REFUSED
from core.outbound.handover import SENT
from core.outbound.handover import hand_over
from core.outbound.handover import is_django_smtp
from core.outbound.handover import mark_sent
from core.outbound.handover import open_connections
from core.outbound.marks import mark_failed_or_retry as _mark_failed_or_retry
from core.outbound.marks import mark_refused as _mark_refused
from core.outbound.marks import new_message_id
from core.outbound.marks import release as _release
from core.outbound.marks import row_metadata
from core.outbound.marks import still_ours
from core.outbound.marks import stream_tags
from core.outbound.registry import Campaign
from core.outbound.registry import OutboundStream
from core.outbound.registry import SendingWindow
from core.outbound.registry import active_campaign
from core.outbound.registry import batch_seconds
from core.outbound.registry import connections_per_worker
from core.outbound.registry import get_stream
from core.outbound.registry import send_group
from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus

logger = logging.getLogger(__name__)


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
    message.metadata = row_metadata(stream, row)
    message.tags = stream_tags(stream)
    message.extra_headers.setdefault("Message-ID", new_message_id(stream, row))


def send_claimed(*, stream: OutboundStream, ids: list[int]) -> BatchResult:
    """Send rows this worker claimed, in id order: through an ESP that sends batches, a stream
    with templates goes out in ESP-sized groups (`batching`); otherwise in small groups over
    several connections at once (`_send_rows`), each group's rows marked `sent` as soon as the
    backend took them. Stops taking new rows after OUTBOUND_BATCH_SECONDS and hands the rest back
    as pending."""
    result = BatchResult(claimed=len(ids))
    if not ids:
        return result
    manager = stream.model._default_manager
    rows = list(
        stream.prepare(manager.filter(pk__in=ids, status=OutboundStatus.SENDING)).order_by("pk")
    )
    deadline = time.monotonic() + batch_seconds()
    esp = batching.batches(stream)
    with _fast_commits():
        if esp is not None:
            return batching.send_rows(stream, rows, result, deadline, esp)
        return _send_rows(stream, rows, result, deadline)


@contextlib.contextmanager
def _fast_commits():
    """Each group's `sent` marks are a commit of their own; waiting for each one's WAL flush would
    slow a worker down for nothing. Without it a worker killed at any moment still loses nothing
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
    """Send `rows` (id order) in groups of `send_group()`: before each group, one read that its
    rows are still this batch's and the campaign still sends; then every message of the group is
    built here and handed over through up to `connections_per_worker()` connections at once; then
    one UPDATE marks the group's sent rows `sent`, each with its own message id.

    What a kill can cost: the rows of earlier groups are marked (sent, skipped, bounced or back to
    pending); the group in hand, at most `send_group()` rows and the lowest ids of the batch still
    `sending`, is uncertain as a whole (any of its messages may have been handed over); the rows
    after it were certainly never handed over. The sweep treats the group so (`sweep`)."""
    size = send_group()
    connections = open_connections(min(connections_per_worker(), len(rows)))
    if isinstance(connections, Exception):  # the mail server is down: nothing was handed over
        logger.warning("outbound: %s cannot reach the mail backend: %s", stream.name, connections)
        result.released = _release(stream, rows, error=str(connections))
        return result
    pool = ThreadPoolExecutor(len(connections)) if len(connections) > 1 else None
    try:
        for start in range(0, len(rows), size):
            group = rows[start : start + size]
            if time.monotonic() > deadline:
                result.released += _release(stream, rows[start:])
                break
            if len(still_ours(stream, group)) < len(group):
                # Paused or cancelled meanwhile (or the sweep took rows back): the adviser who
                # paused must see it stop now, not after the batch.
                result.released += _release(stream, rows[start:])
                logger.info(
                    "outbound: %s stopped a batch, %s rows handed back",
                    stream.name,
                    len(rows) - start,
                )
                break
            if not _send_group(stream, group, connections, pool, result):
                # The connection may be broken: hand the rest back for the next batch.
                result.released += _release(stream, rows[start + size :])
                break
    finally:
        if pool is not None:
            pool.shutdown()
        for connection in connections:
            try:
                connection.close()
            except Exception:  # closing a broken SMTP connection may raise again
                logger.warning("outbound: closing the mail connection failed", exc_info=True)
    return result


def _build(stream: OutboundStream, row: OutboundMessage, on_the_wire: bool):
    """The row's message: as bytes from its template's skeleton (`wire`) when it goes over
    Django's SMTP backend, else (or where a skeleton cannot write it) an EmailMessage."""
    if on_the_wire:
        template, values = stream.build_template(row)
        message_id = new_message_id(stream, row)
        message = wire.wire_message(template, values, to=row.email, message_id=message_id)
        if message is not None:
            return message
    message = stream.build_message(row)
    _stamp(message, stream, row)
    return message


def _send_group(stream, group, connections, pool, result: BatchResult) -> bool:
    """Build, hand over and mark one group; False when the batch must stop (a message failed:
    the connection may be broken)."""
    manager = stream.model._default_manager
    on_the_wire = stream.build_template is not None and all(map(is_django_smtp, connections))
    built = []
    healthy = True
    for index, row in enumerate(group):
        reason = stream.skip_reason(row) if stream.skip_reason else None
        if reason:
            manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
                status=OutboundStatus.SKIPPED, last_error=reason[:500]
            )
            result.skipped += 1
            continue
        try:
            message = _build(stream, row, on_the_wire)
        except Exception as exc:
            logger.exception("outbound: %s %s could not be built", stream.name, row.pk)
            result.failed += _mark_failed_or_retry(stream, row, error=str(exc))
            result.released += _release(stream, group[index + 1 :])
            healthy = False
            break
        built.append((row, message))
    # Message i goes over connection i mod n, each connection in one thread, in id order.
    lanes = [built[n :: len(connections)] for n in range(len(connections))]
    broken = threading.Event()
    if pool is None:
        outcomes = [
            hand_over(lane, connection, broken)
            for lane, connection in zip(lanes, connections, strict=True)
        ]
    else:
        outcomes = list(pool.map(hand_over, lanes, connections, [broken] * len(lanes)))
    now = timezone.now()
    sent, unsent = [], []
    for row, message, outcome, error in (item for lane in outcomes for item in lane):
        if outcome == SENT:
            sent.append((row, message))
        elif outcome == REFUSED:
            # The server refused the address itself: as good as a bounce.
            result.refused += 1
            _mark_refused(stream, row, error=error)
        elif outcome == FAILED:
            logger.error("outbound: %s %s could not be sent: %s", stream.name, row.pk, error)
            result.failed += _mark_failed_or_retry(stream, row, error=error)
        else:
            unsent.append(row)
    mark_sent(stream, sent, now)
    result.sent += len(sent)
    result.released += _release(stream, unsent)
    return healthy and not broken.is_set()


def send_batch(*, stream_name: str, campaign_id: int | None, claimed_by: str = "") -> BatchResult:
    """Claim and send one batch of a campaign, if it may send now."""
    stream = get_stream(stream_name)
    now = timezone.now()
    campaign = active_campaign(stream=stream, campaign_id=campaign_id, now=now)
    if campaign is None:
        return BatchResult()
    campaign = batching.widen(stream, campaign)
    ids = claim(stream=stream, campaign=campaign, now=now, claimed_by=claimed_by)
    result = send_claimed(stream=stream, ids=ids)
    if result.claimed >= campaign.batch_size:
        result.more = campaign.rate_per_hour <= 0 and not result.released
    # Every batch looks (one EXISTS): the last rows may have gone out in a full batch, or in
    # another worker's batch that ended first while these were still in flight. Whichever batch
    # ends last finds nothing pending or sending and finishes the campaign (finishing twice is a
    # no-op), rather than leaving it "sending" until the next tick.
    _finish_if_done(stream, campaign_id)
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
