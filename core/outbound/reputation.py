"""A campaign protects the sender's reputation: past a bounce or complaint rate it is paused, with
the reason, for staff to fix the list and resume. The reason is stored as a sentence each reader
sees in their own language (core.stored_text)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count
from django.db.models import Q
from django.utils.translation import gettext_noop

from core.outbound.registry import OutboundStream
from core.outbound.registry import min_bounces
from core.outbound.registry import min_complaints
from core.outbound.registry import min_sample
from core.stored_text import Sentence

# Reputation limits: ESPs suspend senders at about 5 % bounces and 0.1 % complaints.
BOUNCE_RATE_LIMIT = 0.03
COMPLAINT_RATE_LIMIT = 0.0008


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
        reason = Sentence(
            gettext_noop(
                "Bounce rate %(rate)s%% (%(count)s of %(sent)s) is above %(limit)s%%. "
                "Fix or remove the bad addresses, then resume."
            ),
            _figures(rates["bounce_rate"], rates["bounced"], rates["sent"], BOUNCE_RATE_LIMIT, 1),
        ).stored()
    elif rates["complaint_rate"] > COMPLAINT_RATE_LIMIT and (
        sampled or rates["complained"] >= min_complaints()
    ):
        reason = Sentence(
            gettext_noop(
                "Complaint rate %(rate)s%% (%(count)s of %(sent)s) is above %(limit)s%%. "
                "Check who was invited, then resume."
            ),
            _figures(
                rates["complaint_rate"], rates["complained"], rates["sent"], COMPLAINT_RATE_LIMIT, 2
            ),
        ).stored()
    if reason:
        stream.pause_campaign(campaign_id, reason)
    return reason


def paused_by(who: str) -> str:
    """The reason stored when a staff member pauses a campaign by hand."""
    return Sentence(gettext_noop("Paused by %(who)s."), {"who": who}).stored()


def _figures(rate: float, count: int, sent: int, limit: float, places: int) -> dict:
    """A pause reason's numbers: percentages as decimals (shown as the reader's language writes
    them, see core.stored_text)."""
    return {
        "rate": Decimal(f"{rate * 100:.{places}f}"),
        "count": count,
        "sent": sent,
        "limit": Decimal(f"{limit * 100:g}"),
    }
