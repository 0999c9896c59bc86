"""A campaign protects the sender's reputation: past a bounce or complaint rate it is paused, with
the reason, for staff to fix the list and resume."""

from __future__ import annotations

from django.db.models import Count
from django.db.models import Q

from core.outbound.registry import OutboundStream
from core.outbound.registry import min_bounces
from core.outbound.registry import min_complaints
from core.outbound.registry import min_sample

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
