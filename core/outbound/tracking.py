"""The one tracking receiver: every ESP event, for bulk and one-off mail alike, mapped back to its
row by the metadata the sender stamped, and what it means for the person told to members through
the hooks it registers (a bad address, leaving the newsletter)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.outbound.registry import OutboundStream
from core.outbound.registry import find_stream
from core.outbound.registry import streams
from core.outbound.reputation import check_campaign_health
from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus

logger = logging.getLogger(__name__)

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
    stream = find_stream(str(metadata.get("stream", "")))
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


def mark_participant(stream: OutboundStream, row_id: int, event_type: str) -> None:
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
            mark_participant(stream, row.pk, "delivered")
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
        mark_participant(stream, row.pk, BAD_ADDRESS_EVENTS[event_type])
    if changed and stream.on_event:
        row.refresh_from_db()
        stream.on_event(row, event_type)
    if changed and event_type in BAD_ADDRESS_EVENTS:
        check_campaign_health(stream=stream, campaign_id=stream.campaign_id_of(row))
    return stream.name


def tracking_receiver(sender, event, esp_name, **kwargs) -> None:
    """anymail's `tracking` signal: every ESP's webhooks, normalised. Anymail has already refused
    requests without ANYMAIL_WEBHOOK_SECRET; nothing here refuses an event, since an ESP retries
    refused webhooks for days."""
    apply_event(event, esp_name=esp_name)
