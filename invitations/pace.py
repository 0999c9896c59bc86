"""A wave's pace on its page: before launch, how long the people it would invite take at its
pace, batch size and sending window (each in their own time zone); while it sends, the current
rate and the time left. Both from `core.outbound.pace`."""

from __future__ import annotations

from datetime import datetime

from core.outbound import pace
from invitations import selectors
from invitations.models import Wave
from invitations.sending import wave_campaign

Status = Wave.Status


def wave_estimate(*, wave: Wave, now: datetime) -> pace.Estimate:
    """From the wave's start (or now, if that is past), one query."""
    campaign = wave_campaign(wave)
    return pace.estimate(
        audience=selectors.wave_preview_zones(wave=wave),
        rate_per_hour=campaign.rate_per_hour,
        start=max(now, wave.starts_at),
        window=campaign.window,
        batch_size=campaign.batch_size,
    )


def wave_pace(*, wave: Wave, progress: dict, now: datetime) -> pace.ProgressPace | None:
    """From `selectors.wave_progress` (its `recent` and `pending`); one more query, for the zones
    of what is left, only while invitations wait. None for a wave that sends no more."""
    if wave.status not in (Status.SENDING, Status.PAUSED, Status.SCHEDULED):
        return None
    campaign = wave_campaign(wave)
    pending = selectors.wave_pending_zones(wave=wave) if progress["pending"] else {}
    return pace.progress_pace(
        sent_recently=progress["recent"],
        pending=pending,
        rate_per_hour=campaign.rate_per_hour,
        now=max(now, wave.starts_at),
        window=campaign.window,
        batch_size=campaign.batch_size,
    )
