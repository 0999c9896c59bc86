"""What the sender writes on a row besides `sent`: back to the queue, failed or retried, refused;
and what it stamps on every message (metadata, tags, Message-ID). Shared by the one-by-one sender
(`sending`) and the ESP batch sender (`batching`)."""

from __future__ import annotations

from email.utils import make_msgid

from django.core.mail.utils import DNS_NAME
from django.db import models
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from core.outbound.registry import OutboundStream
from core.outbound.reputation import check_campaign_health
from core.outbound.tracking import mark_participant
from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus

# A message that failed this often (not a refused recipient) is given up as failed.
MAX_ATTEMPTS = 3


def row_metadata(stream: OutboundStream, row: OutboundMessage) -> dict:
    # Anymail sends the metadata to the ESP, which returns it with every tracking event.
    return {"stream": stream.name, "id": row.pk}


def stream_tags(stream: OutboundStream) -> list[str]:
    # Each tag once: Postmark and Mailjet refuse more than one tag per message, so a stream's own
    # tag that repeats its name must not become a second one (tests/test_esp_payloads.py).
    return list(dict.fromkeys([stream.name, *stream.tags]))


def new_message_id(stream: OutboundStream, row: OutboundMessage) -> str:
    # A Message-ID of our own identifies the message with any backend (SMTP has no ESP id).
    return make_msgid(idstring=f"{stream.name}.{row.pk}", domain=str(DNS_NAME))


def still_ours(stream: OutboundStream, group: list[OutboundMessage]) -> set[int]:
    """One indexed read before each group (SMTP or ESP): which of its rows are still claimed by
    this batch (same claim as when they were loaded) while their campaign may still send. A
    pause or a cancel, or the sweep taking rows back, stops the batch after the group in flight."""
    first = group[0]
    rows = stream.model._default_manager.filter(
        pk__in=[row.pk for row in group],
        status=OutboundStatus.SENDING,
        claimed_at=first.claimed_at,
        claimed_by=first.claimed_by,
    )
    if stream.campaign_sends is not None:
        rows = rows.filter(stream.campaign_sends)
    return set(rows.values_list("pk", flat=True))


def release(stream: OutboundStream, rows: list[OutboundMessage], error: str = "") -> int:
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
    return requeue(ours, attempted=False, error=error)


def requeue(rows: models.QuerySet, *, attempted: bool, error: str = "") -> int:
    """Claimed rows back to `pending`. A row that was certainly never handed over (`attempted`
    False) does not count the claim as an attempt."""
    updates = {"status": OutboundStatus.PENDING, "claimed_at": None, "claimed_by": ""}
    if not attempted:
        updates["attempts"] = Greatest(F("attempts") - 1, 0)
    if error:
        updates["last_error"] = error[:500]
    return rows.update(**updates)


def mark_failed_or_retry(stream: OutboundStream, row: OutboundMessage, error: str) -> int:
    manager = stream.model._default_manager
    give_up = row.attempts >= MAX_ATTEMPTS
    manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.FAILED if give_up else OutboundStatus.PENDING,
        claimed_at=None if not give_up else F("claimed_at"),
        claimed_by="" if not give_up else F("claimed_by"),
        last_error=error[:500],
    )
    return 1 if give_up else 0


def mark_refused(stream: OutboundStream, row: OutboundMessage, error: str) -> None:
    now = timezone.now()
    stream.model._default_manager.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.BOUNCED, bounced_at=now, last_error=error[:500]
    )
    mark_participant(stream, row.pk, "bounced")
    if stream.on_event:
        stream.on_event(row, "rejected")
    check_campaign_health(stream=stream, campaign_id=stream.campaign_id_of(row))
