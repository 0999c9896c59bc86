"""A wave's pace on its page and the dashboard: before launch, how long the people it would
invite take at its pace, batch size and sending window (each in their own time zone); while it
sends, the current rate and the time left. Both from `core.outbound.pace`."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from core.outbound import pace
from invitations import selectors
from invitations.models import Wave
from invitations.sending import wave_campaign

Status = Wave.Status
# The statuses in which invitations still wait to go out.
UNDER_WAY = (Status.SENDING, Status.PAUSED, Status.SCHEDULED)


def wave_estimate(*, wave: Wave, now: datetime | None = None) -> pace.Estimate:
    """From the wave's start (or now, if that is past), one query."""
    now = now or timezone.now()
    campaign = wave_campaign(wave)
    return pace.estimate(
        audience=selectors.wave_preview_zones(wave=wave),
        rate_per_hour=campaign.rate_per_hour,
        start=max(now, wave.starts_at),
        window=campaign.window,
        batch_size=campaign.batch_size,
    )


def wave_pace(
    *, wave: Wave, sent_recently: int, pending_zones: dict[str, int], now: datetime | None = None
) -> pace.ProgressPace | None:
    """`sent_recently` from the wave's progress (`recent`), `pending_zones` from
    `selectors.waves_pending_zones`. None for a wave that sends no more."""
    if wave.status not in UNDER_WAY:
        return None
    now = now or timezone.now()
    campaign = wave_campaign(wave)
    return pace.progress_pace(
        sent_recently=sent_recently,
        pending=pending_zones,
        rate_per_hour=campaign.rate_per_hour,
        now=max(now, wave.starts_at),
        paused=wave.status == Status.PAUSED,
        window=campaign.window,
        batch_size=campaign.batch_size,
    )


def wave_page_pace(
    *, wave: Wave, progress: dict, now: datetime | None = None
) -> pace.ProgressPace | None:
    """For the wave page, from `selectors.wave_progress`: one more query, only while
    invitations wait."""
    if wave.status not in UNDER_WAY:
        return None
    pending = (
        selectors.waves_pending_zones(wave_ids=[wave.pk]).get(wave.pk, {})
        if progress["pending"]
        else {}
    )
    return wave_pace(wave=wave, sent_recently=progress["recent"], pending_zones=pending, now=now)
