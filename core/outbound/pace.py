"""How long a campaign takes at its pace, and how fast it goes now: the one estimate the newsletter
and wave pages show before sending (`estimate`) and while sending (`progress_pace`).

The model is the sender's own rule (`sending._allowance`): at most `rate_per_hour` messages an
hour, one batch per campaign per tick, and, with a sending window, only to recipients whose local
time is inside it. Rows are claimed in id order, which mixes the recipients' zones, so while
several zones are open they are drawn down in proportion. Rate 0 means "no throttle": the
duration then depends on the mail server alone and is not estimated. A newsletter's default pace
is `core.outbound_model.DEFAULT_RATE_PER_HOUR` (why that figure is told there).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from core.outbound.registry import SendingWindow
from core.outbound.registry import zone_for_name

# More than any one ESP account here is allowed (and than the sender reaches over SMTP on one
# machine): a figure above it is a typo, not a pace.
MAX_RATE_PER_HOUR = 1_000_000
# The current rate is measured over the messages sent in this last stretch of time.
RECENT = dt.timedelta(minutes=10)
# Beyond this, the estimate says only "more than a year".
HORIZON = dt.timedelta(days=400)


@dataclass(frozen=True)
class Estimate:
    """What `estimate` foresees. `rate_per_hour` is the pace the sender can keep (the set pace, or
    less when the batch size caps it); `first_send_at` is when the first message can go (later
    than the start when the window is closed then); `finishes_at` is None when the pace is 0 (as
    fast as the sender goes) or the window never lets it finish within HORIZON."""

    audience: int
    rate_per_hour: int
    starts_at: dt.datetime
    first_send_at: dt.datetime | None
    finishes_at: dt.datetime | None
    limited_by_batch: bool = False

    @property
    def unthrottled(self) -> bool:
        return self.rate_per_hour <= 0

    @property
    def duration(self) -> dt.timedelta | None:
        if self.finishes_at is None:
            return None
        return self.finishes_at - self.starts_at

    @property
    def waits_for_window(self) -> bool:
        return self.first_send_at is not None and self.first_send_at > self.starts_at

    @property
    def beyond_horizon(self) -> bool:
        return not self.unthrottled and self.audience > 0 and self.finishes_at is None


def sender_rate(rate_per_hour: int, batch_size: int | None) -> int:
    """The pace the sender can keep: one batch per campaign per tick (OUTBOUND_TICK_SECONDS), so
    a throttled campaign never goes faster than batch size × ticks an hour (an unthrottled one
    sends batch after batch and is not capped here)."""
    if rate_per_hour <= 0 or not batch_size:
        return max(rate_per_hour, 0)
    per_hour = int(batch_size * 3600 / settings.OUTBOUND_TICK_SECONDS)
    return min(rate_per_hour, per_hour)


def estimate(
    *,
    audience: int | Mapping[str, int],
    rate_per_hour: int,
    start: dt.datetime,
    window: SendingWindow | None = None,
    batch_size: int | None = None,
) -> Estimate:
    """How long `audience` takes from `start` at `rate_per_hour`. `audience` is a count, or
    counts per recipient time zone (IANA name) when a `window` applies in each recipient's local
    time; a bare count with a window is taken as all in the portal's own zone (TIME_ZONE)."""
    if isinstance(audience, Mapping):
        zones = {zone: count for zone, count in audience.items() if count > 0}
    else:
        zones = {settings.TIME_ZONE: audience} if audience > 0 else {}
    total = sum(zones.values())
    rate = sender_rate(rate_per_hour, batch_size)
    limited = 0 < rate < rate_per_hour

    def result(first: dt.datetime | None, finish: dt.datetime | None) -> Estimate:
        return Estimate(total, rate, start, first, finish, limited)

    if total == 0:
        return result(None, start)
    if window is None:
        if rate <= 0:
            return result(start, None)
        return result(start, start + dt.timedelta(hours=total / rate))
    return _through_window(zones, rate, start, window, result)


def _through_window(zones: dict[str, int], rate: int, start, window, result) -> Estimate:
    """Walk the moments where a zone's window opens or closes: between two of them the open
    zones share the pace, in proportion to what each has left."""
    remaining = {zone: float(count) for zone, count in zones.items()}
    open_now = {zone for zone in remaining if window.is_open(zone, start)}
    events = heapq.merge(*(_changes(zone, window, start) for zone in remaining))
    end = start + HORIZON
    first: dt.datetime | None = None
    moment = start
    for when, opens, zone in itertools.chain(events, [(end, False, "")]):
        when = min(when, end)
        if when > moment:
            pool = sum(remaining[zone] for zone in open_now)
            if pool > 0:
                first = first or moment
                if rate <= 0:
                    return result(first, None)
                capacity = rate * (when - moment).total_seconds() / 3600
                if capacity >= pool:
                    for done in open_now:
                        remaining[done] = 0.0
                    if not any(remaining.values()):
                        return result(first, moment + dt.timedelta(hours=pool / rate))
                else:
                    for zone_open in open_now:
                        remaining[zone_open] -= capacity * remaining[zone_open] / pool
            moment = when
        if moment >= end:
            break
        if opens:
            open_now.add(zone)
        else:
            open_now.discard(zone)
    return result(first, None)


def _changes(zone: str, window: SendingWindow, start: dt.datetime) -> Iterator:
    """(UTC moment, opens, zone) where `window` opens or closes in `zone` after `start`, in order.
    Per local day, as `SendingWindow.is_open` reads it: an allowed weekday is open from `start`
    to `end`, from midnight to `end` and from `start` to midnight when the window spans midnight,
    all day when `start` equals `end`."""
    tz = zone_for_name(zone)
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last = day + HORIZON + dt.timedelta(days=2)
    midnight = dt.time(0, 0)
    while day <= last:
        if day.weekday() in window.weekdays:
            if window.start == window.end:
                spans = [(midnight, None)]
            elif window.start < window.end:
                spans = [(window.start, window.end)]
            else:
                spans = [(midnight, window.end), (window.start, None)]
            for opens_at, closes_at in spans:
                begin = dt.datetime.combine(day, opens_at, tz)
                finish = (
                    dt.datetime.combine(day + dt.timedelta(days=1), midnight, tz)
                    if closes_at is None
                    else dt.datetime.combine(day, closes_at, tz)
                )
                for when, opens in ((begin, True), (finish, False)):
                    if when > start:
                        yield (when.astimezone(dt.UTC), opens, zone)
        day += dt.timedelta(days=1)


@dataclass(frozen=True)
class ProgressPace:
    """A campaign's pace while it sends: what went out in the last RECENT, as a rate, and the
    estimate of what is left, at that rate or, when nothing went out lately, at the set pace."""

    sent_recently: int
    left: Estimate
    at_current_rate: bool
    # Paused by staff or by the reputation check: nothing goes out, whatever is left.
    paused: bool = False

    @property
    def per_hour(self) -> int:
        return round(self.sent_recently * 3600 / RECENT.total_seconds())

    @property
    def per_minute(self) -> float:
        return round(self.sent_recently * 60 / RECENT.total_seconds(), 1)


def progress_pace(
    *,
    sent_recently: int,
    pending: int | Mapping[str, int],
    rate_per_hour: int,
    now: dt.datetime,
    window: SendingWindow | None = None,
    batch_size: int | None = None,
    paused: bool = False,
) -> ProgressPace:
    """The figures of a progress page: `sent_recently` messages with `sent_at` in the last RECENT,
    `pending` the messages still to send (per zone when a window applies)."""
    current = round(sent_recently * 3600 / RECENT.total_seconds())
    if current > 0:
        left = estimate(audience=pending, rate_per_hour=current, start=now, window=window)
    else:
        left = estimate(
            audience=pending,
            rate_per_hour=rate_per_hour,
            start=now,
            window=window,
            batch_size=batch_size,
        )
    return ProgressPace(
        sent_recently=sent_recently, left=left, at_current_rate=current > 0, paused=paused
    )
