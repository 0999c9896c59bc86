"""Calendar files (.ics): one activity, or a member's feed of the activities they registered for.

Times are written in UTC (`...Z`), which every calendar app converts to the reader's own zone, so
no VTIMEZONE block can be wrong about a daylight-saving change.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity
from activities.models import CalendarFeed

PRODID = "-//Norec Network//Activities//EN"


def _event(activity: Activity, *, with_online_link: bool) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"activity-{activity.pk}@norec-network")
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", activity.starts_at.astimezone(datetime.UTC))
    event.add("dtend", activity.ends_at.astimezone(datetime.UTC))
    event.add("summary", activity.title)
    page = f"{settings.SITE_URL}{activity.get_absolute_url()}"
    event.add("url", page)
    where = ", ".join(part for part in (activity.place, activity.city) if part)
    if with_online_link and activity.online_url:
        event.add("location", where or activity.online_url)
        event.add("description", f"{activity.online_url}\n\n{page}")
    else:
        event.add("location", where or _("Online"))
        event.add("description", page)
    if activity.status == Activity.Status.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    # A changed activity must replace the old copy in calendars that imported it.
    event.add("sequence", int(activity.updated_at.timestamp()) if activity.updated_at else 0)
    return event


def calendar_bytes(
    activities: Iterable[Activity], *, with_online_link: bool, name: str = ""
) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for activity in activities:
        calendar.add_component(_event(activity, with_online_link=with_online_link))
    return calendar.to_ical()


def activity_ics(activity: Activity, *, with_online_link: bool) -> bytes:
    return calendar_bytes([activity], with_online_link=with_online_link)


def feed_token(feed: CalendarFeed) -> str:
    """The secret part of a feed URL, derived (never stored) from the feed's salt."""
    message = f"activities.calendar-feed:{feed.key}:{feed.salt}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def feed_token_matches(feed: CalendarFeed, token: str) -> bool:
    # compare_digest refuses non-ASCII str (a 500 for a mangled URL): compare bytes.
    return hmac.compare_digest(feed_token(feed).encode(), token.encode())
