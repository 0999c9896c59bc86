"""Showing an activity's time to a member: in their own time zone, with the activity's beside."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import formats

from activities.models import Activity


def zone_for(participant, activity: Activity | None = None) -> zoneinfo.ZoneInfo:
    """The member's own zone if they set a valid one, else the activity's (or the site's)."""
    name = getattr(participant, "time_zone", "") or ""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    if activity is not None:
        return activity.zone
    from django.conf import settings

    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _span(start: datetime.datetime, end: datetime.datetime) -> str:
    day = formats.date_format(start, "D j M Y")
    times = f"{start:%H:%M}–{end:%H:%M}"
    if end.date() != start.date():
        times = f"{start:%H:%M} – {formats.date_format(end, 'D j M')} {end:%H:%M}"
    return f"{day}, {times}"


@dataclass(frozen=True)
class When:
    local: str  # in the reader's zone
    local_zone: str
    activity: str  # in the activity's zone ("" when it is the same zone)
    activity_zone: str
    month: str

    def __str__(self) -> str:
        text = f"{self.local} ({self.local_zone})"
        if self.activity:
            text += f" · {self.activity} ({self.activity_zone})"
        return text


def when(activity: Activity, zone: zoneinfo.ZoneInfo) -> When:
    start, end = activity.starts_at.astimezone(zone), activity.ends_at.astimezone(zone)
    there = activity.zone
    start_there, end_there = (
        activity.starts_at.astimezone(there),
        activity.ends_at.astimezone(there),
    )
    same = start.utcoffset() == start_there.utcoffset() and str(zone) == str(there)
    return When(
        local=_span(start, end),
        local_zone=str(zone),
        activity="" if same else _span(start_there, end_there),
        activity_zone=str(there),
        month=formats.date_format(start_there, "F Y"),
    )
