"""The project's shared Celery tasks: the one-off mail task and the bulk sender's.

Task names are a wire format: beat's schedule, the queue routes in settings and any message
already queued when a new version is deployed carry them. They keep their first names
("norec_network.*") although the code moved here.

A task may enqueue itself or another task; the modules whose work it runs never import this one
(`core.mail` does, to enqueue): so `core.outbound` says what is due (`due_batches`, and
`BatchResult.more` after a full batch) and the tasks here enqueue it.
"""

from __future__ import annotations

import base64

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from core import outbound

# --- one-off mail -------------------------------------------------------------------------------


def message_to_payload(message: EmailMultiAlternatives) -> dict:
    """A JSON-safe form of a built message, for the send task."""
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ),
        None,
    )
    return {
        "subject": message.subject,
        "body": message.body,
        "html": html,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        # Small files only (an activity's .ics), base64 so the payload stays JSON.
        "attachments": [
            [name, base64.b64encode(_as_bytes(content)).decode("ascii"), mimetype]
            for name, content, mimetype in message.attachments
        ],
    }


def _as_bytes(content) -> bytes:
    return content.encode() if isinstance(content, str) else bytes(content)


def payload_to_message(payload: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload.get("cc") or None,
        bcc=payload.get("bcc") or None,
        reply_to=payload.get("reply_to") or None,
        headers=payload.get("headers") or {},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    for name, content, mimetype in payload.get("attachments") or []:
        message.attach(name, base64.b64decode(content), mimetype)
    return message


@shared_task(
    name="norec_network.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_email(payload: dict) -> None:
    """Send one transactional message (password reset, verification, confirmations).

    It takes the rendered message rather than a primary key because allauth's mails have no row of
    their own; bulk mail (invitations, newsletters) goes through the batch sender instead.
    """
    payload_to_message(payload).send()


# --- the bulk sender (core.outbound; beat runs the tick and the sweep) -------------------------


@shared_task(name="norec_network.outbound_tick")
def outbound_tick() -> int:
    """One batch for each campaign that may send now; returns how many were enqueued."""
    batches = outbound.due_batches()
    for stream_name, campaign_id in batches:
        outbound_send_batch.delay(stream_name, campaign_id)
    return len(batches)


@shared_task(name="norec_network.outbound_send_batch", bind=True)
def outbound_send_batch(self, stream_name: str, campaign_id: int | None) -> int:
    """Safe to run twice or in parallel: a row is claimed by one batch only (SKIP LOCKED), and a
    claimed row is sent only by the batch that claimed it. Services enqueue it with
    `delay_on_commit` to start a campaign now rather than at the next tick."""
    result = outbound.send_batch(
        stream_name=stream_name,
        campaign_id=campaign_id,
        claimed_by=outbound.worker_identity(self.request),
    )
    if result.more:
        outbound_send_batch.delay(stream_name, campaign_id)
    return result.sent


@shared_task(name="norec_network.outbound_sweep")
def outbound_sweep() -> int:
    return sum(outbound.sweep().values())


@shared_task(name="norec_network.ping")
def ping(value: str) -> str:
    """A no-op used by the integration tests to prove a worker runs tasks."""
    return value
