"""The dashboard's community panel: posts and active members per room and per month (the last
six months), and the branches whose room had no post in the last 30 days. Three queries,
however many posts: aggregates in the database."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta

from django.db.models import Count
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models.functions import TruncMonth
from django.utils import timezone

from community.models import Branch
from community.models import Post
from community.models import Room

MONTHS = 6
QUIET_DAYS = 30


@dataclass(frozen=True)
class RoomMonth:
    posts: int = 0
    members: int = 0


@dataclass
class RoomRow:
    room: Room
    months: list[RoomMonth] = field(default_factory=list)


@dataclass(frozen=True)
class CommunityPanel:
    months: list[date]
    rows: list[RoomRow]
    quiet_branches: list[Branch]


def _month_starts(today: date) -> list[date]:
    """The first day of each of the last `MONTHS` months, oldest first, this month last."""
    months = [today.replace(day=1)]
    while len(months) < MONTHS:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def community_panel(*, today: date) -> CommunityPanel:
    months = _month_starts(today)
    zone = timezone.get_current_timezone()
    since = datetime(months[0].year, months[0].month, 1, tzinfo=zone)
    counted = (
        Post.objects.filter(status=Post.Status.VISIBLE, created_at__gte=since)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("topic__room_id", "month")
        .annotate(posts=Count("id"), members=Count("author_id", distinct=True))
        .order_by()
    )
    figures = {
        (row["topic__room_id"], row["month"].date()): RoomMonth(row["posts"], row["members"])
        for row in counted
    }
    rooms = Room.objects.order_by("-kind", "name")
    rows = [
        RoomRow(room=room, months=[figures.get((room.pk, month), RoomMonth()) for month in months])
        for room in rooms
    ]
    recent = Post.objects.filter(
        status=Post.Status.VISIBLE,
        topic__room__branch=OuterRef("pk"),
        created_at__gte=timezone.now() - timedelta(days=QUIET_DAYS),
    )
    quiet = list(Branch.objects.filter(~Exists(recent)).order_by("name"))
    return CommunityPanel(months=months, rows=rows, quiet_branches=quiet)
