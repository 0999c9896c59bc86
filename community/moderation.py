"""Moderation from the member pages: a branch's committee moderates its own room, staff every
room. Pinning a topic, approving a held post, hiding and restoring one go through the services
(`community.services.post_approve`, `post_set_hidden`) with the moderator recorded, and each is
an entry of the audit log (`members.audit`). Members report posts; reports wait in the queue
until a moderator dismisses them or hides the post.

The one rule of who moderates where is `may_moderate` (and `moderated_room_ids` for lists)."""

from __future__ import annotations

from django.db import IntegrityError
from django.db import transaction
from django.db.models import Count
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from community import services
from community.models import Branch
from community.models import CommunityMember
from community.models import Post
from community.models import Report
from community.models import Room
from community.models import Topic
from core.ratelimit import RateLimit
from core.stored_text import Sentence
from members.audit import record_staff_action
from members.extensions import register_audit_kind
from members.models import Participant
from members.selectors import directory_visible_condition

AUDIT_MODERATION = "community_moderation"
# Reports per member: enough for a bad day in a room, not for flooding the queue.
REPORT_LIMITS = (
    RateLimit(scope="community:report-hour", amount=10, period=60 * 60),
    RateLimit(scope="community:report-day", amount=30, period=24 * 60 * 60),
)
REPORT_REASON_MAX = 500

ALREADY_REPORTED = "already_reported"
OWN_POST = "own_post"


def register_audit_kinds() -> None:
    register_audit_kind(AUDIT_MODERATION, _("community moderation"))


# --- who moderates where ----------------------------------------------------------------------


def is_staff_moderator(user) -> bool:
    """Staff who may change posts in the admin moderate every room from the member pages too."""
    return bool(user.is_authenticated and user.is_active and user.is_staff) and user.has_perm(
        "community.change_post"
    )


def _committee_branch_ids(user) -> QuerySet:
    return Branch.committee.through.objects.filter(
        participant__user=user, participant__deleted_at__isnull=True
    ).values("branch_id")


def moderated_room_ids(user) -> list[int] | None:
    """The rooms `user` moderates: None means every room (staff), [] none at all."""
    if not user.is_authenticated or not user.is_active:
        return []
    if is_staff_moderator(user):
        return None
    return list(
        Room.objects.filter(
            kind=Room.Kind.BRANCH, branch_id__in=_committee_branch_ids(user)
        ).values_list("pk", flat=True)
    )


def may_moderate(*, user, room: Room) -> bool:
    """Staff moderate every room; a committee member their own branch's room only (never the
    network room nor another branch's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_staff_moderator(user):
        return True
    if room.kind != Room.Kind.BRANCH or room.branch_id is None:
        return False
    return _committee_branch_ids(user).filter(branch_id=room.branch_id).exists()


def is_moderator_anywhere(user) -> bool:
    rooms = moderated_room_ids(user)
    return rooms is None or bool(rooms)


# --- the moderator's actions ------------------------------------------------------------------


def _record(*, user, summary: str, post: Post | None = None, topic: Topic) -> None:
    record_staff_action(
        actor=user,
        kind=AUDIT_MODERATION,
        summary=Sentence(
            summary,
            {"topic": topic.title, "room": topic.room.display_name, "post": post.pk if post else 0},
        ),
        affected_count=1,
        target_url=reverse("community:topic", args=[topic.pk]),
    )


@transaction.atomic
def topic_set_pinned(*, topic: Topic, pinned: bool, user) -> bool:
    """Pin a topic to the top of its room's list, or unpin it; False when nothing changed."""
    changed = (
        Topic.objects.filter(pk=topic.pk)
        .exclude(pinned=pinned)
        .update(pinned=pinned, updated_at=timezone.now())
    )
    if changed:
        summary = (
            gettext_noop("Topic “%(topic)s” pinned in %(room)s.")
            if pinned
            else gettext_noop("Topic “%(topic)s” unpinned in %(room)s.")
        )
        _record(user=user, summary=summary, topic=topic)
    return bool(changed)


def _settle_reports(post: Post, user) -> int:
    return Report.objects.filter(post=post, settled_at__isnull=True).update(
        settled_at=timezone.now(), settled_by=user
    )


@transaction.atomic
def moderate_approve(*, post: Post, user) -> bool:
    if not services.post_approve(post=post, moderator=user):
        return False
    _record(
        user=user,
        summary=gettext_noop("Post %(post)s approved in “%(topic)s” (%(room)s)."),
        post=post,
        topic=post.topic,
    )
    return True


@transaction.atomic
def moderate_hide(*, post: Post, user) -> bool:
    """Hide a post from everyone (its status becomes hidden, so no list, search, digest or
    notification shows it); its open reports are settled."""
    if not services.post_set_hidden(post=post, hidden=True, moderator=user):
        return False
    _settle_reports(post, user)
    _record(
        user=user,
        summary=gettext_noop("Post %(post)s hidden in “%(topic)s” (%(room)s)."),
        post=post,
        topic=post.topic,
    )
    return True


@transaction.atomic
def moderate_restore(*, post: Post, user) -> bool:
    if not services.post_set_hidden(post=post, hidden=False, moderator=user):
        return False
    _record(
        user=user,
        summary=gettext_noop("Post %(post)s restored in “%(topic)s” (%(room)s)."),
        post=post,
        topic=post.topic,
    )
    return True


@transaction.atomic
def reports_dismiss(*, post: Post, user) -> int:
    """The moderator finds nothing wrong: the post's open reports are settled, the post stays."""
    count = _settle_reports(post, user)
    if count:
        _record(
            user=user,
            summary=gettext_noop("Reports on post %(post)s dismissed in “%(topic)s” (%(room)s)."),
            post=post,
            topic=post.topic,
        )
    return count


# --- reports ------------------------------------------------------------------------------------


def report_create(*, post: Post, participant: Participant, reason: str = "") -> Report:
    """A member reports a post they can read (not their own), once; rate limited."""
    if post.author_id == participant.pk:
        raise services.CommunityRefused(_("You cannot report your own post."), code=OWN_POST)
    if Report.objects.filter(post=post, reporter=participant).exists():
        raise services.CommunityRefused(
            _("You have already reported this post. The moderators will look at it."),
            code=ALREADY_REPORTED,
        )
    if any(limit.hit(str(participant.pk)) for limit in REPORT_LIMITS):
        raise services.CommunityRefused(
            _("You have reported many posts in a short time. Please wait a while."),
            code=services.RATE_LIMITED,
        )
    try:
        with transaction.atomic():
            return Report.objects.create(
                post=post, reporter=participant, reason=reason.strip()[:REPORT_REASON_MAX]
            )
    except IntegrityError:  # the same report sent twice at once
        raise services.CommunityRefused(
            _("You have already reported this post. The moderators will look at it."),
            code=ALREADY_REPORTED,
        ) from None


def with_reader_flags(posts: QuerySet[Post], viewer: Participant | None) -> QuerySet[Post]:
    """A topic's posts with what its page needs, in the same query: `author_settled` (the author
    is past the new-member hold, so their links are clickable once the post is visible) and
    `reported_by_reader` (the reader already reported it)."""
    settled = CommunityMember.objects.filter(
        participant_id=OuterRef("author_id"), posts_approved__gte=services.NEW_MEMBER_HELD_POSTS
    )
    posts = posts.annotate(author_settled=Exists(settled))
    if viewer is not None:
        mine = Report.objects.filter(post=OuterRef("pk"), reporter=viewer)
        posts = posts.annotate(reported_by_reader=Exists(mine))
    return posts


def post_list_for_moderator(*, topic: Topic) -> QuerySet[Post]:
    """`selectors.post_list` as a moderator of the room reads it: the posts waiting for approval
    too (never the hidden ones: those are in the queue's "Hidden posts")."""
    return (
        Post.objects.filter(topic=topic, status__in=[Post.Status.VISIBLE, Post.Status.HELD])
        .annotate(author_in_directory=directory_visible_condition("author_id"))
        .select_related("author")
        .order_by("created_at", "id")
    )


def links_allowed(post: Post) -> bool:
    """Links in a post are clickable once it is visible and its author is no longer new (a post
    of the portal itself, without an author, too)."""
    return post.status == Post.Status.VISIBLE and (
        post.author_id is None or bool(getattr(post, "author_settled", False))
    )


# --- the queue ----------------------------------------------------------------------------------

QUEUE_WAITING = "waiting"
QUEUE_HIDDEN = "hidden"


def moderation_queue(*, user, show: str = QUEUE_WAITING) -> QuerySet[Post]:
    """The posts of the rooms `user` moderates that wait for them: held ones and visible ones
    with open reports, newest first (or, `show="hidden"`, the hidden ones, to restore)."""
    rooms = moderated_room_ids(user)
    posts = Post.objects.all()
    if rooms is not None:
        posts = posts.filter(topic__room_id__in=rooms)
    open_reports = Report.objects.filter(settled_at__isnull=True)
    if show == QUEUE_HIDDEN:
        posts = posts.filter(status=Post.Status.HIDDEN)
    else:
        reported = Exists(open_reports.filter(post=OuterRef("pk")))
        posts = posts.filter(
            Q(status=Post.Status.HELD) | (Q(status=Post.Status.VISIBLE) & Q(reported))
        )
    return (
        posts.select_related("topic", "topic__room", "author")
        .annotate(open_report_count=Count("reports", filter=Q(reports__settled_at__isnull=True)))
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=open_reports.select_related("reporter").order_by("created_at", "id"),
                to_attr="open_reports",
            )
        )
        .order_by("-created_at", "-id")
    )


def post_for_moderation(*, pk: int, user) -> Post | None:
    """A post of a room `user` moderates, or None (the caller answers 404)."""
    post = Post.objects.select_related("topic", "topic__room").filter(pk=pk).first()
    if post is None or not may_moderate(user=user, room=post.topic.room):
        return None
    return post
