"""Reads for the community pages. The one visibility rule of topics and posts lives here
(`topics_visible_to`, `posts_visible_to`); every list, page and search starts from it."""

from __future__ import annotations

from django.core.paginator import Page
from django.core.paginator import Paginator
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.http import Http404
from django.utils.functional import cached_property

from community.models import Post
from community.models import Room
from community.models import RoomFollow
from community.models import Topic
from members.models import Participant
from members.selectors import directory_visible_condition
from members.services import fold_for_search

# Like the directory: the longest search is cut to this many words (one indexed LIKE each).
MAX_SEARCH_WORDS = 5


class KeysFirstPaginator(Paginator):
    """A Paginator for querysets that reads a page in two queries: the page's primary keys, which
    an index alone answers, skipping the rows before the page without reading them; then only
    those rows, with the annotations and related rows the page shows. With one query, the last
    page of a 2,000-reply topic computed every annotation of the 1,980 posts before it and
    sorted them all.

    `count_cap`: count no further than this (a search for a common word matches thousands of
    posts, and counting them read every one); `capped` then says there were more."""

    def __init__(self, object_list, per_page, *, count_cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_cap = count_cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        if self.count_cap is None:
            return self.object_list.count()
        found = self.object_list.values("pk")[: self.count_cap + 1].count()
        self.capped = found > self.count_cap
        return min(found, self.count_cap)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = list(self.object_list.filter(pk__in=keys)) if keys else []
        return self._get_page(rows, number, self)


def topics_visible_to(viewer: Participant | None) -> QuerySet[Topic]:
    """Topics a reader may see: not hidden, and not waiting for approval unless theirs."""
    shown = Q(hidden=False, held=False)
    if viewer is not None:
        shown |= Q(hidden=False, held=True, author=viewer)
    return Topic.objects.filter(shown)


def posts_visible_to(viewer: Participant | None) -> QuerySet[Post]:
    """Posts a reader may see: visible ones, and their own that wait for approval."""
    shown = Q(status=Post.Status.VISIBLE)
    if viewer is not None:
        shown |= Q(status=Post.Status.HELD, author=viewer)
    return Post.objects.filter(shown)


def _with_author_link(queryset: QuerySet, viewer: Participant | None) -> QuerySet:
    """`author_linked`: whether the author's name may link to their directory profile (the
    directory's own rule, or the reader's own profile)."""
    queryset = queryset.annotate(author_in_directory=directory_visible_condition("author_id"))
    return queryset.select_related("author")


def author_linked(item, viewer: Participant | None) -> bool:
    return item.author_id is not None and (
        item.author_in_directory or (viewer is not None and item.author_id == viewer.pk)
    )


def room_list(*, viewer: Participant | None) -> list[Room]:
    """Every room (members may read them all), each with `followed` for the reader: the
    network room first, then the branches by name."""
    rooms = Room.objects.select_related("branch")
    if viewer is not None:
        rooms = rooms.annotate(
            followed=Exists(RoomFollow.objects.filter(room=OuterRef("pk"), participant=viewer))
        )
    return list(rooms.order_by("-kind", "name"))


def room_get(*, slug: str) -> Room:
    room = Room.objects.select_related("branch").filter(slug=slug).first()
    if room is None:
        raise Http404
    return room


def room_is_followed(*, room: Room, viewer: Participant | None) -> bool:
    if viewer is None:
        return False
    return RoomFollow.objects.filter(room=room, participant=viewer).exists()


def topic_list(*, room: Room, viewer: Participant | None) -> QuerySet[Topic]:
    """A room's topics for one reader: pinned first, then newest activity first."""
    return (
        topics_visible_to(viewer)
        .filter(room=room)
        .select_related("tag", "author")
        .order_by("-pinned", "-last_activity_at", "-id")
    )


def topic_get(*, pk: int, viewer: Participant | None) -> Topic:
    topic = topics_visible_to(viewer).select_related("room", "tag").filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic


def post_list(*, topic: Topic, viewer: Participant | None) -> QuerySet[Post]:
    """A topic's posts for one reader, oldest first (the first post is the topic's text)."""
    return _with_author_link(
        posts_visible_to(viewer).filter(topic=topic).order_by("created_at", "id"), viewer
    )


def post_get(*, pk: int, viewer: Participant | None) -> Post:
    """A post the reader may see, in a topic they may see."""
    post = (
        posts_visible_to(viewer)
        .filter(pk=pk, topic__in=topics_visible_to(viewer))
        .select_related("topic", "topic__room")
        .first()
    )
    if post is None:
        raise Http404
    return post


def latest_topics_followed(*, participant: Participant, limit: int = 5) -> list[Topic]:
    """The newest activity in the rooms a member follows, for their home page."""
    followed = RoomFollow.objects.filter(participant=participant).values("room_id")
    return list(
        topics_visible_to(participant)
        .filter(room_id__in=followed)
        .select_related("room")
        .order_by("-last_activity_at", "-id")[:limit]
    )


def post_search(*, text: str, viewer: Participant | None) -> QuerySet[Post]:
    """Posts (a topic's text includes its title) whose words contain every word typed, folded
    like the directory's search, so that "sante" finds "Santé". Only what everyone may read:
    visible posts in visible topics, never anyone's posts that wait for approval."""
    words = fold_for_search(text).split()[:MAX_SEARCH_WORDS]
    if not words:
        return Post.objects.none()
    queryset = Post.objects.filter(
        status=Post.Status.VISIBLE, topic__in=topics_visible_to(None)
    ).select_related("topic", "topic__room")
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    return _with_author_link(queryset, viewer).order_by("-created_at", "-id")


def activity_topic_id(*, activity_id: int) -> int | None:
    topics = Topic.objects.filter(activity_id=activity_id, hidden=False)
    return topics.values_list("pk", flat=True).first()
