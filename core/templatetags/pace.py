"""`{{ estimate.duration|pace_duration }}`: how long a campaign takes, in words staff read at a
glance ("about 36 minutes", "about 4 hours", "about 12 days"); the figures come from
`core.outbound.pace`."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def pace_duration(duration: dt.timedelta | None) -> str:
    if duration is None:
        return ""
    minutes = duration.total_seconds() / 60
    if minutes < 1:
        return gettext("less than a minute")
    if minutes < 90:
        count = round(minutes)
        return ngettext("about %(count)s minute", "about %(count)s minutes", count) % {
            "count": count
        }
    hours = minutes / 60
    if hours < 48:
        count = round(hours)
        return ngettext("about %(count)s hour", "about %(count)s hours", count) % {"count": count}
    count = round(hours / 24)
    return ngettext("about %(count)s day", "about %(count)s days", count) % {"count": count}
