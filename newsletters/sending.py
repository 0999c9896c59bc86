"""Newsletters on the shared bulk sender (`core.outbound`): the "newsletter" stream.

The sender claims pending deliveries in batches, throttled by the newsletter's rate, sends them
over one connection with one commit per message, recovers rows of killed workers, maps tracking
events back to deliveries (and marks participants' addresses bad through members' services), and
pauses a newsletter whose bounce or complaint rate passes the limits. This module only says which
newsletters may send and how to build a delivery's message.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import OrderedDict
from collections.abc import Iterator

from django.core.mail import EmailMessage
from django.db.models import Q

from core import outbound
from core.outbound.templates import MessageTemplate
from members.models import BAD_ADDRESS
from members.models import NOT_REGISTERED
from members.models import UNSUBSCRIBED
from newsletters import services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.rendering import IssueRenderer
from newsletters.rendering import Recipient

STREAM = services.STREAM
BATCH_SIZE = 200
# Rendered issues kept per worker process (the Markdown body and activities are the same for all).
_RENDERERS_KEPT = 4
_renderers: OrderedDict[tuple[int, str], IssueRenderer] = OrderedDict()


def _renderer(newsletter: Newsletter) -> IssueRenderer:
    # A newsletter cannot change once sending started; started_at is in the key all the same so
    # that a re-sent copy never reuses a stale rendering.
    key = (newsletter.pk, str(newsletter.started_at))
    renderer = _renderers.get(key)
    if renderer is None:
        renderer = IssueRenderer(newsletter)
        _renderers[key] = renderer
        while len(_renderers) > _RENDERERS_KEPT:
            _renderers.popitem(last=False)
    return renderer


def skip_ineligible_deliveries(now: datetime.datetime) -> None:
    """Whoever unsubscribed, or whose address went bad, since sending started (through any path:
    the one-click link, the profile, a bounce of another mail) is skipped at the next tick; the
    sender's last look before each message (`delivery_skip_reason`) catches the rest."""
    services.deliveries_skip_ineligible()


def active_newsletters(now: datetime.datetime) -> Iterator[outbound.Campaign]:
    # The same status is read again before each message (`campaign_sends`): a pause stops at once.
    sending = Newsletter.objects.filter(status=Newsletter.Status.SENDING).values_list(
        "pk", "rate_per_hour"
    )
    for pk, rate_per_hour in sending:
        yield outbound.Campaign(id=pk, rate_per_hour=rate_per_hour, batch_size=BATCH_SIZE)


def _recipient(delivery: Delivery) -> Recipient:
    participant = delivery.participant
    return Recipient(
        first_name=participant.first_name if participant else "",
        address=delivery.email,
        participant_pk=delivery.participant_id,
        language=(participant.preferred_language if participant else "") or "en",
    )


def build_delivery_message(delivery: Delivery) -> EmailMessage:
    return _renderer(delivery.newsletter).message(_recipient(delivery))


def build_delivery_template(delivery: Delivery) -> tuple[MessageTemplate, dict[str, str]]:
    return _renderer(delivery.newsletter).template(_recipient(delivery))


def delivery_skip_reason(delivery: Delivery) -> str | None:
    """Checked by the sender right before each message: who unsubscribed, lost their address or
    their account since the batch was claimed is not mailed."""
    participant = delivery.participant
    if participant is None:
        return "the member's data was erased"
    obstacle = participant.newsletter_obstacle
    if obstacle == NOT_REGISTERED:
        return "no active account"
    if obstacle == UNSUBSCRIBED:
        return "unsubscribed"
    if obstacle == BAD_ADDRESS:
        return f"address {participant.email_status}"
    return None


def pause_newsletter(newsletter_id: int, reason: str) -> None:
    # Already paused, cancelled or finished: nothing more to stop.
    with contextlib.suppress(services.NewsletterRefused):
        services.newsletter_pause(newsletter=Newsletter(pk=newsletter_id), reason=reason)


def newsletter_finished(newsletter_id: int | None) -> None:
    if newsletter_id is not None:
        services.newsletter_mark_sent(newsletter=Newsletter(pk=newsletter_id))


def register() -> None:
    outbound.register_stream(
        outbound.OutboundStream(
            name=STREAM,
            model=Delivery,
            campaign_field="newsletter",
            active_campaigns=active_newsletters,
            advance_campaigns=skip_ineligible_deliveries,
            build_message=build_delivery_message,
            build_template=build_delivery_template,
            prepare=lambda rows: rows.select_related("newsletter", "participant__user"),
            skip_reason=delivery_skip_reason,
            participant_path="participant",
            pause_campaign=pause_newsletter,
            campaign_finished=newsletter_finished,
            campaign_sends=Q(newsletter__status=Newsletter.Status.SENDING),
            tags=("newsletter",),
        )
    )
    outbound.register_preparation(
        STREAM,
        outbound.Preparation(
            prepare_chunk=lambda newsletter_id, after: services.newsletter_prepare_chunk(
                newsletter_id=newsletter_id, after=after
            ),
            stalled_campaigns=services.newsletters_preparation_stalled,
        ),
    )
