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
    """ "Mon 2 Mar 2026, 14:00–15:30", "lundi 2 mars 2026, 14:00–15:30": the active language's
    own formats (core/formats/), with its day and month names."""
    day = formats.date_format(start, "WEEKDAY_DATE_FORMAT")
    start_time, end_time = formats.time_format(start), formats.time_format(end)
    times = f"{start_time}–{end_time}"
    if end.date() != start.date():
        end_day = formats.date_format(end, "WEEKDAY_MONTH_DAY_FORMAT")
        times = f"{start_time} – {end_day} {end_time}"
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
        month=formats.date_format(start_there, "YEAR_MONTH_FORMAT"),
    )
