"""The network at a glance: the figures on the admin's first page.

The project package may read every app (the apps never read it), so the dashboard lives here. Each
panel costs a fixed number of queries, however large the roster: aggregates in the database, never
a loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from django.db.models import Count
from django.db.models import Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.http import urlencode

from members.models import Participant
from norec_network.charts import line_chart

# The roster Norec has sent abroad since 1963: the line the registrations chart measures against.
ROSTER_GOAL_LABEL = "On the roster"


@dataclass(frozen=True)
class MembersPanel:
    roster: int
    registered: int
    new_this_week: int
    bad_addresses: int
    chart: str

    @property
    def registered_share(self) -> float:
        return self.registered / self.roster if self.roster else 0.0


def _month_starts(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def members_panel(*, today: date) -> MembersPanel:
    week_ago = today - timedelta(days=7)
    totals = Participant.objects.aggregate(
        roster=Count("id"),
        registered=Count("id", filter=Q(user__isnull=False)),
        new_this_week=Count("id", filter=Q(user__date_joined__date__gt=week_ago)),
        bad_addresses=Count(
            "id",
            filter=Q(
                email_status__in=[
                    Participant.EmailStatus.BOUNCED,
                    Participant.EmailStatus.COMPLAINED,
                ]
            ),
        ),
    )
    by_month = dict(
        Participant.objects.filter(user__isnull=False)
        .annotate(month=TruncMonth("user__date_joined"))
        .values_list("month")
        .annotate(joined=Count("id"))
        .values_list("month", "joined")
    )
    by_month = {
        month.date() if hasattr(month, "date") else month: n for month, n in by_month.items()
    }
    points: list[tuple[date, int]] = []
    if by_month:
        # Registrations before the chart's first month count in its starting point.
        first = max(min(by_month), today.replace(day=1) - timedelta(days=365 * 2))
        running = sum(n for month, n in by_month.items() if month < first)
        for month in _month_starts(first, today):
            running += by_month.get(month, 0)
            points.append((month, running))
    chart = line_chart(
        points,
        title="Registered members over time",
        target=totals["roster"],
        target_label=ROSTER_GOAL_LABEL,
    )
    return MembersPanel(chart=chart, **totals)


def bad_addresses_url() -> str:
    return (
        reverse("admin:members_participant_changelist") + "?" + urlencode({"email_status": "bad"})
    )


def dashboard_context(*, today: date) -> dict:
    return {
        "members_panel": members_panel(today=today),
        "bad_addresses_url": bad_addresses_url(),
    }
