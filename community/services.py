"""Every change in the community goes through a function here: rooms and following, topics and
posts (with the code of conduct, the hold on a new member's first posts and the posting rate),
moderation, and the topic of an activity."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError
from django.db import transaction
from django.db.models import F
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from community import notifications
from community.images import prepare_image
from community.mentions import mentions_save
from community.models import NETWORK_ROOM_NAME
from community.models import NETWORK_ROOM_SLUG
from community.models import Branch
from community.models import CommunityMember
from community.models import Post
from community.models import Room
from community.models import RoomFollow
from community.models import Tag
from community.models import Topic
from core.ratelimit import RateLimit
from core.refusals import Refused
from members.extensions import DeletionChoice
from members.models import Participant
from members.services import fold_for_search

# A member edits their own post for this long after posting (a plain constant, not a setting).
EDIT_MINUTES = 30
# The first posts of a new member wait for a moderator's approval until this many were approved.
NEW_MEMBER_HELD_POSTS = 3
# Posts (topics and replies) per member; stricter while they are new.
POST_LIMITS = (
    RateLimit(scope="community:post-hour", amount=20, period=60 * 60),
    RateLimit(scope="community:post-day", amount=60, period=24 * 60 * 60),
)
NEW_MEMBER_POST_LIMITS = (
    RateLimit(scope="community:new-post-hour", amount=5, period=60 * 60),
    RateLimit(scope="community:new-post-day", amount=10, period=24 * 60 * 60),
)


class CommunityRefused(Refused):
    """community's "no" (see `core.refusals`)."""


# `CommunityRefused.code` of the refusals a caller treats apart.
CONDUCT_REQUIRED = "conduct_required"
RATE_LIMITED = "rate_limited"
EDIT_TOO_LATE = "edit_too_late"
NOT_YOURS = "not_yours"


# --- rooms and following --------------------------------------------------------------------


def network_room() -> Room:
    """The one network-wide room (created by a migration; made again here if a test database or
    a staff member removed it)."""
    room = Room.objects.filter(kind=Room.Kind.NETWORK).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            return Room.objects.create(
                kind=Room.Kind.NETWORK, name=NETWORK_ROOM_NAME, slug=NETWORK_ROOM_SLUG
            )
    except IntegrityError:  # made at the same moment by another request
        return Room.objects.get(kind=Room.Kind.NETWORK)


def branch_for_country(country: str) -> Branch | None:
    if not country:
        return None
    # Countries are stored as "UG,KE": a two-letter code never matches across a comma.
    return Branch.objects.filter(countries__contains=country.upper()).order_by("pk").first()


@transaction.atomic
def branch_room_ensure(*, branch: Branch) -> Room:
    """The branch's room (made when staff create the branch), followed by every member whose
    home country is one of the branch's. Safe to call again after a change of countries: members
    of an added country follow it; nobody is made to leave."""
    room = Room.objects.filter(branch=branch).first()
    if room is None:
        slug = branch.slug
        if Room.objects.filter(slug=slug).exists():
            slug = f"{slug}-{branch.pk}"
        room = Room.objects.create(
            kind=Room.Kind.BRANCH, branch=branch, name=branch.name, slug=slug
        )
    members = Participant.objects.filter(
        user__isnull=False, deleted_at__isnull=True, home_country__in=list(branch.countries)
    )
    RoomFollow.objects.bulk_create(
        [RoomFollow(participant_id=pk, room=room) for pk in members.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    return room


@transaction.atomic
def follows_ensure_defaults(*, participant: Participant) -> None:
    """A member follows the network room and their home country's branch room (on joining)."""
    rooms = [network_room()]
    branch = branch_for_country(participant.home_country.code or "")
    if branch is not None:
        rooms.append(branch_room_ensure(branch=branch))
    RoomFollow.objects.bulk_create(
        [RoomFollow(participant=participant, room=room) for room in rooms], ignore_conflicts=True
    )
    community_member_get(participant=participant)


def room_follow(*, participant: Participant, room: Room) -> bool:
    """Follow a room; False when already following."""
    _, created = RoomFollow.objects.get_or_create(participant=participant, room=room)
    return created


def room_leave(*, participant: Participant, room: Room) -> bool:
    """Stop following a room; False when not following."""
    deleted, _ = RoomFollow.objects.filter(participant=participant, room=room).delete()
    return bool(deleted)


def community_member_get(*, participant: Participant) -> CommunityMember:
    member, _ = CommunityMember.objects.get_or_create(participant=participant)
    return member


def needs_conduct(*, participant: Participant) -> bool:
    """The member has not yet accepted the code of conduct (asked at their first post)."""
    return not CommunityMember.objects.filter(
        participant=participant, accepted_conduct_at__isnull=False
    ).exists()


# --- posting --------------------------------------------------------------------------------


def _before_posting(*, participant: Participant, accept_conduct: bool) -> CommunityMember:
    """The checks every new post passes, in order: the code of conduct, then the posting rate.
    Returns the member's community row, locked."""
    community_member_get(participant=participant)
    member = CommunityMember.objects.select_for_update().get(participant=participant)
    if member.accepted_conduct_at is None:
        if not accept_conduct:
            raise CommunityRefused(
                _("Please accept the code of conduct to post."), code=CONDUCT_REQUIRED
            )
        member.accepted_conduct_at = timezone.now()
        member.save(update_fields=["accepted_conduct_at", "updated_at"])
    is_new = member.posts_approved < NEW_MEMBER_HELD_POSTS
    limits = NEW_MEMBER_POST_LIMITS if is_new else POST_LIMITS
    if any(limit.hit(str(participant.pk)) for limit in limits):
        raise CommunityRefused(
            _("You have posted a lot in a short time. Please wait a while and try again."),
            code=RATE_LIMITED,
        )
    return member


def _new_status(member: CommunityMember) -> str:
    if member.posts_approved < NEW_MEMBER_HELD_POSTS:
        return Post.Status.HELD
    return Post.Status.VISIBLE


def _search_text(post: Post) -> str:
    parts = [post.topic.title, post.text] if post.is_opening else [post.text]
    return fold_for_search(" ".join(part for part in parts if part))


def _refresh_topic(topic: Topic) -> Topic:
    """A topic's counters from its posts: visible replies, the time of the last visible post,
    whether its first post waits for approval."""
    visible = topic.posts.filter(status=Post.Status.VISIBLE)
    topic.reply_count = visible.filter(is_opening=False).count()
    last = visible.aggregate(last=Max("created_at"))["last"]
    topic.last_activity_at = last or topic.created_at
    topic.held = topic.posts.filter(is_opening=True, status=Post.Status.HELD).exists()
    topic.save(update_fields=["reply_count", "last_activity_at", "held", "updated_at"])
    return topic


def _count_approved(post: Post) -> None:
    if post.author_id is not None:
        member = community_member_get(participant=post.author)
        CommunityMember.objects.filter(pk=member.pk).update(posts_approved=F("posts_approved") + 1)


@transaction.atomic
def topic_create(
    *,
    participant: Participant,
    room: Room,
    title: str,
    text: str,
    tag: Tag | None = None,
    image: UploadedFile | None = None,
    accept_conduct: bool = False,
    mentions=(),
) -> Topic:
    """A new topic with its first post. A new member's waits for approval (only they see it)."""
    member = _before_posting(participant=participant, accept_conduct=accept_conduct)
    status = _new_status(member)
    topic = Topic.objects.create(
        room=room,
        title=title.strip(),
        tag=tag,
        author=participant,
        held=status == Post.Status.HELD,
    )
    post = Post(topic=topic, author=participant, is_opening=True, text=text.strip(), status=status)
    if image is not None:
        post.image = prepare_image(image)
    post.search_text = _search_text(post)
    post.save()
    if status == Post.Status.VISIBLE:
        _count_approved(post)
    _refresh_topic(topic)
    mentions_save(post=post, participant_ids=mentions)
    notifications.post_published(post)
    return topic


@transaction.atomic
def post_reply(
    *,
    participant: Participant,
    topic: Topic,
    text: str,
    image: UploadedFile | None = None,
    accept_conduct: bool = False,
    source: str = Post.Source.WEB,
    inbound_message_id: str | None = None,
    mentions=(),
) -> Post:
    """A reply in a topic. A new member's waits for approval (only they see it meanwhile).
    A reply by e-mail (`community.inbound`) gives its source and the mail's Message-ID."""
    member = _before_posting(participant=participant, accept_conduct=accept_conduct)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    post = Post(topic=topic, author=participant, text=text.strip(), status=_new_status(member))
    post.source, post.inbound_message_id = source, inbound_message_id
    if image is not None:
        post.image = prepare_image(image)
    post.search_text = _search_text(post)
    post.save()
    if post.status == Post.Status.VISIBLE:
        _count_approved(post)
    _refresh_topic(topic)
    mentions_save(post=post, participant_ids=mentions)
    notifications.post_published(post)
    return post


def edit_allowed_until(post: Post) -> datetime.datetime:
    return post.created_at + datetime.timedelta(minutes=EDIT_MINUTES)


def may_edit(*, post: Post, participant: Participant | None) -> bool:
    return (
        participant is not None
        and post.author_id == participant.pk
        and post.status != Post.Status.HIDDEN
        and timezone.now() <= edit_allowed_until(post)
    )


@transaction.atomic
def post_edit(*, participant: Participant, post: Post, text: str, title: str = "") -> Post:
    """The author changes their post within `EDIT_MINUTES` of posting it (and the title, for a
    topic's first post)."""
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if post.author_id != participant.pk:
        raise CommunityRefused(_("Only its author can change a post."), code=NOT_YOURS)
    if not may_edit(post=post, participant=participant):
        raise CommunityRefused(
            _("A post can be changed for %(minutes)s minutes after it is posted.")
            % {"minutes": EDIT_MINUTES},
            code=EDIT_TOO_LATE,
        )
    post.text = text.strip()
    post.edited_at = timezone.now()
    if post.is_opening and title.strip():
        post.topic.title = title.strip()
        post.topic.save(update_fields=["title", "updated_at"])
    post.search_text = _search_text(post)
    post.save(update_fields=["text", "edited_at", "search_text", "updated_at"])
    return post


@transaction.atomic
def post_delete(*, participant: Participant, post: Post) -> Topic:
    """The author deletes their post. Deleting a topic's first post hides the whole topic (its
    replies lose their context). Returns the topic."""
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if post.author_id != participant.pk:
        raise CommunityRefused(_("Only its author can delete a post."), code=NOT_YOURS)
    topic = post.topic
    if post.image:
        post.image.delete(save=False)
    post.delete()
    if post.is_opening:
        topic.hidden = True
        topic.save(update_fields=["hidden", "updated_at"])
    return _refresh_topic(topic)


# --- moderation (the admin's actions now; committee pages later) -----------------------------


@transaction.atomic
def post_approve(*, post: Post, moderator) -> bool:
    """A held post becomes visible, and counts towards its author no longer being new."""
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if post.status != Post.Status.HELD:
        return False
    post.status = Post.Status.VISIBLE
    post.moderated_at = timezone.now()
    post.moderated_by = moderator
    post.save(update_fields=["status", "moderated_at", "moderated_by", "updated_at"])
    _count_approved(post)
    _refresh_topic(post.topic)
    # Mail the topic's watchers and the members it mentions now that everyone sees it.
    notifications.post_published(post)
    return True


@transaction.atomic
def post_set_hidden(*, post: Post, hidden: bool, moderator) -> bool:
    """Hide a post from everyone (a topic's first post hides its topic), or restore it."""
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    wanted = Post.Status.HIDDEN if hidden else Post.Status.VISIBLE
    if post.status == wanted or (not hidden and post.status != Post.Status.HIDDEN):
        return False
    post.status = wanted
    post.moderated_at = timezone.now()
    post.moderated_by = moderator
    post.save(update_fields=["status", "moderated_at", "moderated_by", "updated_at"])
    if post.is_opening:
        post.topic.hidden = hidden
        post.topic.save(update_fields=["hidden", "updated_at"])
    _refresh_topic(post.topic)
    return True


# --- the topic of an activity (through `members.extensions.ActivityDiscussion`) --------------


@transaction.atomic
def activity_topic_open(*, activity_id: int, title: str, country: str = "") -> Topic:
    """The topic where members talk about a published activity: in the room of the branch of
    the activity's country when there is one (a meeting in Kampala belongs to Uganda's
    members), else in the network room (webinars, online courses). Its first post is written
    by the portal and reads in each member's language. Made once per activity."""
    existing = Topic.objects.filter(activity_id=activity_id).first()
    if existing is not None:
        return existing
    branch = branch_for_country(country)
    room = branch_room_ensure(branch=branch) if branch is not None else network_room()
    topic = Topic.objects.create(room=room, title=title[:150], activity_id=activity_id)
    post = Post(topic=topic, is_opening=True, text="")
    post.search_text = _search_text(post)
    post.save()
    return _refresh_topic(topic)


def tag_create(*, name: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:60]})
    return tag


# --- "Download my data" and account deletion (members.extensions.PersonalDataSource) ---------


def member_data_export(participant: Participant) -> dict:
    member = CommunityMember.objects.filter(participant=participant).first()
    return {
        "rooms_followed": [
            follow.room.display_name
            for follow in participant.community_follows.select_related("room")
        ],
        "accepted_code_of_conduct_at": (
            member.accepted_conduct_at.isoformat()
            if member and member.accepted_conduct_at
            else None
        ),
        "digest": member.digest if member else CommunityMember.Digest.WEEKLY,
        "mail_about_replies_and_mentions": member.notify_replies if member else True,
        "posts": [
            {
                "topic": post.topic.title,
                "first_post_of_topic": post.is_opening,
                "text": post.text,
                "status": post.status,
                "posted_at": post.created_at.isoformat(),
                "edited_at": post.edited_at.isoformat() if post.edited_at else None,
            }
            for post in participant.community_posts.select_related("topic").order_by("created_at")
        ],
    }


# The question the account-deletion page asks for the community (members.extensions).
POSTS_ANONYMISE = "anonymise"
POSTS_DELETE = "delete"
POSTS_DELETION_CHOICE = DeletionChoice(
    label=_("Your posts in the community"),
    choices=(
        (POSTS_ANONYMISE, _("Keep them in the conversations, shown as written by a former member")),
        (
            POSTS_DELETE,
            _(
                "Delete them; a topic you started disappears from the community, with the "
                "replies in it"
            ),
        ),
    ),
    default=POSTS_ANONYMISE,
)
# What is left of the title of a topic whose first post was deleted with its author's account
# while others had replied: the topic is hidden, the title was the author's words.
DELETED_TOPIC_TITLE = gettext_noop("(deleted with its author's account)")


def _member_posts_delete(participant: Participant) -> None:
    """The member's posts go. A topic they started goes with its first post: deleted when
    nobody else wrote in it; else hidden (its replies lose their context, as when an author
    deletes a first post) and its title erased. Counters of the topics they replied in follow."""
    own = Post.objects.filter(author=participant)
    for post in own.exclude(image=""):
        post.image.delete(save=False)
    touched = set(own.values_list("topic_id", flat=True))
    opened = set(own.filter(is_opening=True).values_list("topic_id", flat=True))
    opened |= set(Topic.objects.filter(author=participant).values_list("pk", flat=True))
    own.delete()
    Topic.objects.filter(pk__in=opened, posts__isnull=True).delete()
    Topic.objects.filter(pk__in=opened).update(
        hidden=True, pinned=False, title=DELETED_TOPIC_TITLE, author=None, updated_at=timezone.now()
    )
    for topic in Topic.objects.filter(pk__in=touched - opened):
        _refresh_topic(topic)


@transaction.atomic
def member_data_erase(participant: Participant, *, choice: str = POSTS_ANONYMISE) -> None:
    """On account deletion, as the member chose (`POSTS_DELETION_CHOICE`): their posts stay in
    the conversations without their name (shown as "a former member"), or are deleted
    (`_member_posts_delete`). What they followed and their settings go either way."""
    if choice == POSTS_DELETE:
        _member_posts_delete(participant)
    Post.objects.filter(author=participant).update(author=None)
    Topic.objects.filter(author=participant).update(author=None)
    RoomFollow.objects.filter(participant=participant).delete()
    participant.community_mentions.all().delete()
    participant.community_digests.all().delete()
    CommunityMember.objects.filter(participant=participant).delete()
    Branch.committee.through.objects.filter(participant=participant).delete()
