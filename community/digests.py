"""The digest: the news of the rooms a member follows, by mail, daily, weekly (the default) or
never (`CommunityMember.digest`, changed on /community/settings/ or by the digest's one-click
unsubscribe).

A run (`digest_start`, started by beat through `community.digests_start_due`: the daily digest
every day, the weekly one on Mondays, in Oslo time) covers the news up to midnight at the start
of its day in Oslo (`until`). Each member due gets one `DigestDelivery` row for the news since
their last digest (at most `MAX_DAYS` back); the bulk sender (`community.sending`, stream
"community_digest") sends the rows. A run started twice finds every member's `last_digest_at`
already at `until`, and the rows are unique per member and run: nothing is sent twice. A member
with nothing new in the rooms they follow gets no row, hence no mail.

What a digest lists, only from visible topics (not hidden, not waiting for approval) and visible
posts of the rooms the member follows when it is sent: the topics started in the period, then
the topics with the most replies in the period. Digests carry no reply address (they are about
many topics); each item links to its topic.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.db.models import Q
from django.urls import reverse

from community.models import CommunityMember
from community.models import DigestDelivery
from community.models import Post
from community.models import RoomFollow
from community.models import Topic
from core import outbound
from core.tasks import start_campaign
from members.models import Participant

NEW_TOPICS_MAX = 10
BUSY_TOPICS_MAX = 5
EXCERPT_CHARS = 200
# A member who had no digest for long (or switched from weekly to daily) gets this much at most.
MAX_DAYS = 31
# The bulk sender's stream that sends the digest's rows (registered in `community.sending`).
DIGEST_STREAM = "community_digest"
PERIODS = {
    CommunityMember.Digest.DAILY: datetime.timedelta(days=1),
    CommunityMember.Digest.WEEKLY: datetime.timedelta(days=7),
}


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def run_until(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in Oslo: a run covers the news before it."""
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=local_zone())


def frequencies_due(day: datetime.date) -> list[str]:
    """The daily digest every day, the weekly one on Mondays."""
    due = [CommunityMember.Digest.DAILY]
    if day.weekday() == 0:
        due.append(CommunityMember.Digest.WEEKLY)
    return due


def _visible_posts(since: datetime.datetime, until: datetime.datetime):
    return Post.objects.filter(
        status=Post.Status.VISIBLE,
        topic__hidden=False,
        topic__held=False,
        created_at__gte=since,
        created_at__lt=until,
    )


def rooms_with_news(since: datetime.datetime, until: datetime.datetime) -> set[int]:
    return set(_visible_posts(since, until).values_list("topic__room_id", flat=True).distinct())


@dataclass(frozen=True)
class Item:
    topic_id: int
    title: str
    room: str
    url: str
    replies: int
    excerpt: str


def _url(topic_id: int) -> str:
    return settings.SITE_URL + reverse("community:topic", args=[topic_id])


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"


def digest_items(
    *, room_ids, since: datetime.datetime, until: datetime.datetime
) -> tuple[list[Item], list[Item]]:
    """(new topics, most-replied topics) of those rooms in [since, until). Room names read in
    the active language."""
    room_ids = list(room_ids)
    if not room_ids:
        return [], []
    visible = Topic.objects.filter(room_id__in=room_ids, hidden=False, held=False)
    # A topic is new when its first post became visible in the period: posted then, or a held
    # one approved then.
    openings = Post.objects.filter(is_opening=True, status=Post.Status.VISIBLE).filter(
        Q(created_at__gte=since, created_at__lt=until)
        | Q(moderated_at__gte=since, moderated_at__lt=until, created_at__lt=until)
    )
    new = list(
        visible.filter(pk__in=openings.values("topic_id"))
        .select_related("room")
        .order_by("created_at", "pk")[:NEW_TOPICS_MAX]
    )
    new_ids = {topic.pk for topic in new}
    texts = dict(
        Post.objects.filter(topic_id__in=new_ids, is_opening=True).values_list("topic_id", "text")
    )
    replies_in_period = Count(
        "posts",
        filter=Q(
            posts__status=Post.Status.VISIBLE,
            posts__is_opening=False,
            posts__created_at__gte=since,
            posts__created_at__lt=until,
        ),
    )
    busy = list(
        visible.exclude(pk__in=new_ids)
        .annotate(recent=replies_in_period)
        .filter(recent__gt=0)
        .select_related("room")
        .order_by("-recent", "-last_activity_at", "pk")[:BUSY_TOPICS_MAX]
    )
    new_items = [
        Item(
            topic.pk,
            topic.title,
            topic.room.display_name,
            _url(topic.pk),
            topic.reply_count,
            _excerpt(texts.get(topic.pk, "")),
        )
        for topic in new
    ]
    busy_items = [
        Item(topic.pk, topic.title, topic.room.display_name, _url(topic.pk), topic.recent, "")
        for topic in busy
    ]
    return new_items, busy_items


def _due_members(frequency: str, until: datetime.datetime):
    """The members on this frequency who may get mail and whose last digest is older."""
    return (
        CommunityMember.objects.filter(
            digest=frequency,
            participant__deleted_at__isnull=True,
            participant__user__isnull=False,
            participant__user__is_active=True,
        )
        .exclude(participant__email_status__in=Participant.BAD_EMAIL_STATUSES)
        .filter(Q(last_digest_at__isnull=True) | Q(last_digest_at__lt=until))
    )


def digest_start(*, frequency: str, day: datetime.date) -> int:
    """Make the deliveries of one run (see the module's docstring); returns how many. The members
    due are taken PREPARE_CHUNK at a time, each chunk committed with their `last_digest_at`, so
    memory stays flat whatever the membership and a run killed midway goes on where it stopped
    when started again."""
    until = run_until(day)
    period = PERIODS[frequency]
    oldest = until - datetime.timedelta(days=MAX_DAYS)
    rooms_since: dict[datetime.datetime, set[int]] = {}  # few distinct periods: read each once
    made, after, started = 0, 0, False
    while True:
        with transaction.atomic():
            due = list(
                _due_members(frequency, until)
                .filter(pk__gt=after)
                .order_by("pk")
                .select_for_update(of=("self",), skip_locked=True)
                .values_list("pk", "participant_id", "last_digest_at")[: outbound.PREPARE_CHUNK]
            )
            if not due:
                return made
            made += _digest_chunk(
                due,
                frequency=frequency,
                until=until,
                rooms_since=rooms_since,
                period=period,
                oldest=oldest,
            )
            CommunityMember.objects.filter(pk__in=[pk for pk, _p, _l in due]).update(
                last_digest_at=until
            )
            if made and not started:
                # Sending begins with the first chunk, on every worker process (as a campaign's
                # start does), rather than at the next tick with one chain.
                start_campaign(DIGEST_STREAM, None)
                started = True
        if len(due) < outbound.PREPARE_CHUNK:
            return made
        after = due[-1][0]


def _digest_chunk(due, *, frequency, until, rooms_since, period, oldest) -> int:
    by_since: dict[datetime.datetime, list[int]] = {}
    for _pk, participant_id, last in due:
        since = max(last or until - period, oldest)
        by_since.setdefault(since, []).append(participant_id)
    rows = []
    for since, participant_ids in by_since.items():
        if since not in rooms_since:
            rooms_since[since] = rooms_with_news(since, until)
        rooms = rooms_since[since]
        if not rooms:
            continue
        with_news = Participant.objects.filter(pk__in=participant_ids).filter(
            pk__in=RoomFollow.objects.filter(room_id__in=rooms).values("participant_id")
        )
        for participant_id, login_email, roster_email in with_news.values_list(
            "pk", "user__email", "email"
        ):
            rows.append(
                DigestDelivery(
                    participant_id=participant_id,
                    email=login_email or roster_email,
                    frequency=frequency,
                    since=since,
                    until=until,
                )
            )
    DigestDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def digests_start_for_day(day: datetime.date) -> int:
    return sum(digest_start(frequency=frequency, day=day) for frequency in frequencies_due(day))


def today_local(now: datetime.datetime) -> datetime.date:
    return now.astimezone(local_zone()).date()
