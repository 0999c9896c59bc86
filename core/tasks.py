"""The project's shared Celery tasks: the one-off mail's and the bulk sender's.

Task names are a wire format: beat's schedule, the queue routes in settings and any message
already queued when a new version is deployed carry them. They keep their first names
("norec_network.*") although the code moved here.

A task may enqueue itself or another task; the modules whose work it runs never import this one
(`core.mail` does, to enqueue): so `core.outbound` says what is due (`due_batches`, and
`BatchResult.more` after a full batch) and the tasks here enqueue it, and the one-off stream that
`core.mail` registers is looked up here by its name.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from core import outbound
from core.models import OutgoingMail
from core.outbound_model import OutboundStatus

# --- one-off mail (the `email` queue; see CELERY_TASK_ROUTES) ------------------------------------

# A pending row older than this has lost its task, or waits for another attempt after an error.
RETRY_AFTER = datetime.timedelta(seconds=60)
# At most this many rows enqueued per run of `retry_due` (a mail server back after an outage).
RETRY_BATCH = 500


def outgoing_mail_send(*, mail_id: int, claimed_by: str = "") -> str:
    """Send one stored mail unless it is in flight or done; returns its status afterwards."""
    return outbound.send_one(
        stream=outbound.get_stream(OutgoingMail.STREAM), row_id=mail_id, claimed_by=claimed_by
    )


def retry_due(*, now: datetime.datetime | None = None) -> int:
    """Enqueue the pending mails whose task is late or lost, or which wait for another attempt.
    A mail whose first task is merely slow gets a second one, which finds it done and leaves."""
    now = now or timezone.now()
    due = list(
        OutgoingMail.objects.filter(status=OutboundStatus.PENDING, created_at__lt=now - RETRY_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    for mail_id in due:
        send_email.delay(mail_id)
    return len(due)


@shared_task(name="norec_network.send_email", bind=True)
def send_email(self, mail_id: int) -> str:
    """Safe to run twice or in parallel: the row says whether the mail is in flight or done."""
    return outgoing_mail_send(mail_id=mail_id, claimed_by=outbound.worker_identity(self.request))


@shared_task(name="norec_network.outgoing_mail_retry_due")
def outgoing_mail_retry_due() -> int:
    return retry_due()


# --- the bulk sender (core.outbound; beat runs the tick and the sweep) -------------------------


@shared_task(name="norec_network.outbound_tick")
def outbound_tick() -> int:
    """Move every campaign on, then one batch for each that may send now; returns how many batches
    were enqueued."""
    outbound.advance_campaigns()
    batches = outbound.due_batches()
    for stream_name, campaign_id in batches:
        outbound_send_batch.delay(stream_name, campaign_id)
    return len(batches)


@shared_task(name="norec_network.outbound_send_batch", bind=True)
def outbound_send_batch(self, stream_name: str, campaign_id: int | None) -> int:
    """Safe to run twice or in parallel: a row is claimed by one batch only (SKIP LOCKED), and a
    claimed row is sent only by the batch that claimed it. Services start a campaign now rather
    than at the next tick through `start_campaign`."""
    result = outbound.send_batch(
        stream_name=stream_name,
        campaign_id=campaign_id,
        claimed_by=outbound.worker_identity(self.request),
    )
    if result.more:
        outbound_send_batch.delay(stream_name, campaign_id)
    return result.sent


def start_campaign(stream_name: str, campaign_id: int | None) -> None:
    """Start sending a campaign now rather than at the next tick, once the transaction commits:
    one chain of batches per process of the bulk worker (OUTBOUND_PARALLEL_BATCHES), so that a
    small campaign uses every process too (a full batch enqueues the next at once; SKIP LOCKED
    keeps the chains on different rows, and one that finds nothing left stops). Every service
    that makes a campaign's rows (or puts them back in the queue) calls this."""
    for _chain in range(outbound.parallel_batches()):
        outbound_send_batch.delay_on_commit(stream_name, campaign_id)


@shared_task(name="norec_network.outbound_prepare")
def outbound_prepare(stream_name: str, campaign_id: int, after: int | None = None) -> int:
    """One chunk of a campaign's preparation (`core.outbound.preparing`), then the next as a task
    of its own, so a chunk is a short task and memory never grows with the audience. Safe to run
    twice or in parallel: each chunk locks the campaign and its rows are unique per recipient."""
    result = outbound.prepare_chunk(stream_name=stream_name, campaign_id=campaign_id, after=after)
    if result.more:
        outbound_prepare.delay(stream_name, campaign_id, result.after)
    return result.rows


@shared_task(name="norec_network.outbound_sweep")
def outbound_sweep() -> int:
    # A preparation whose chain of chunks died with a worker goes on where its rows stop.
    for stream_name, campaign_id in outbound.stalled_preparations():
        outbound_prepare.delay(stream_name, campaign_id)
    return sum(outbound.sweep().values())


@shared_task(name="norec_network.ping")
def ping(value: str) -> str:
    """A no-op used by the integration tests to prove a worker runs tasks."""
    return value
