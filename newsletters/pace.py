"""A newsletter's pace on its pages: the estimate before sending (audience × pace) and the current
rate and time left while it sends, both from `core.outbound.pace`."""

from __future__ import annotations

from datetime import datetime

from core.outbound import pace
from newsletters.models import Newsletter
from newsletters.sending import BATCH_SIZE

Status = Newsletter.Status
# Started and not finished: the statuses whose progress shows a rate and a time left.
UNDER_WAY = (Status.SENDING, Status.PAUSED)


def newsletter_estimate(*, newsletter: Newsletter, audience: int, now: datetime) -> pace.Estimate:
    """How long `audience` takes at the newsletter's pace, from its scheduled time (or now, for a
    draft sent now or a scheduled time already past)."""
    start = max(now, newsletter.scheduled_for or now)
    return pace.estimate(
        audience=audience,
        rate_per_hour=newsletter.rate_per_hour,
        start=start,
        batch_size=BATCH_SIZE,
    )


def newsletter_pace(
    *, newsletter: Newsletter, progress: dict, now: datetime
) -> pace.ProgressPace | None:
    """The current rate and the time left, from `newsletters.selectors.newsletter_progress`
    (its `recent` and `queued`); None unless it is sending or paused."""
    if newsletter.status not in UNDER_WAY:
        return None
    return pace.progress_pace(
        sent_recently=progress["recent"],
        pending=progress["queued"],
        rate_per_hour=newsletter.rate_per_hour,
        now=now,
        batch_size=BATCH_SIZE,
        paused=newsletter.status == Status.PAUSED,
    )
