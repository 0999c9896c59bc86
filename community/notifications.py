"""The immediate mail about a post: to the members watching its topic and to those it mentions.

Who watches a topic (as Discourse does by default): its author, and every member who replied in
it with a post others can see. A member named with the name picker (`community.mentions`) gets
the mail too, worded as a mention. Nobody else.

When: as soon as the post is visible to everyone, i.e. at once for a visible post, and when a
moderator approves a held one (`post_approve` calls `post_published`); a hidden post, or a post in
a hidden or held topic, mails nobody.

Never to: the post's author; a member who does not follow the topic's room (or left it); one who
turned these mails off (`CommunityMember.notify_replies`, on /community/settings/); a former
member, an account without a login or a deactivated one; an address that bounced or was
complained about (`Participant.mailable_address`, as every one-off mail asks).

Each is a one-off mail (`core.mail.send_later`), written in the same transaction as the change
that makes the post visible, in the recipient's language. Its Reply-To is the recipient's
personal reply address for the topic when reply by e-mail is on (`community.reply_tokens`).

Checked again right before the worker sends it (`send_time_skip_reason`, on the mail builder
`register` adds): a post hidden or deleted since, or a recipient who since left the room,
turned these mails off or lost their login, gets no mail; the row is `skipped` with the reason.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from community.models import CommunityMember
from community.models import Mention
from community.models import Post
from community.models import RoomFollow
from core.mail import MailBuilder
from core.mail import register_mail_builder
from core.mail import render_outgoing
from core.mail import send_later
from core.models import OutgoingMail
from members.models import Participant
from members.selectors import directory_visible

TEMPLATE = "emails/community/notification"
MENTION = "mention"
REPLY = "reply"
# The topic page's posts per page (community.views.POSTS_PER_PAGE: views import this module's
# callers, so the number is repeated here and a test keeps the two equal).
POSTS_PER_PAGE = 30


def post_url(post: Post) -> str:
    """The absolute address of a visible post on its topic's page (as everyone sees the topic)."""
    before = (
        Post.objects.filter(topic_id=post.topic_id, status=Post.Status.VISIBLE)
        .filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lt=post.pk))
        .count()
    )
    page = math.floor(before / POSTS_PER_PAGE) + 1
    url = settings.SITE_URL + reverse("community:topic", args=[post.topic_id])
    return f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}"


def contact_url(author_id: int | None) -> str:
    """The author's profile, where the contact relay's form is, when the directory shows them
    (members who hide their profile cannot be written to privately); else ""."""
    if author_id is None or not directory_visible().filter(pk=author_id).exists():
        return ""
    return (
        settings.SITE_URL
        + reverse("members:directory_profile", args=[author_id])
        + "#contact-title"
    )


def recipients(post: Post) -> dict[int, str]:
    """{participant id: MENTION or REPLY} for a post, every rule of the module's docstring
    applied; empty unless the post and its topic are visible."""
    topic = post.topic
    if post.status != Post.Status.VISIBLE or topic.hidden or topic.held:
        return {}
    watchers = set(
        Post.objects.filter(topic=topic, status=Post.Status.VISIBLE, author__isnull=False)
        .exclude(pk=post.pk)
        .values_list("author_id", flat=True)
    )
    if topic.author_id is not None:
        watchers.add(topic.author_id)
    mentioned = set(Mention.objects.filter(post=post).values_list("participant_id", flat=True))
    wanted = (watchers | mentioned) - {post.author_id}
    if not wanted:
        return {}
    allowed = set(
        Participant.objects.filter(
            pk__in=wanted,
            deleted_at__isnull=True,
            user__isnull=False,
            user__is_active=True,
        )
        .exclude(email_status__in=Participant.BAD_EMAIL_STATUSES)
        .filter(pk__in=RoomFollow.objects.filter(room_id=topic.room_id).values("participant_id"))
        .exclude(
            pk__in=CommunityMember.objects.filter(notify_replies=False).values("participant_id")
        )
        .values_list("pk", flat=True)
    )
    return {pk: MENTION if pk in mentioned else REPLY for pk in wanted & allowed}


def post_published(post: Post) -> int:
    """Mail the post's watchers and the members it mentions; returns how many mails."""
    post = Post.objects.select_related("topic", "author").get(pk=post.pk)
    chosen = recipients(post)
    if not chosen:
        return 0
    # Imported here: reply_tokens is another part's module, read only when mail goes out.
    from community.reply_tokens import reply_address

    link = post_url(post)
    private = contact_url(post.author_id)
    sent = 0
    people = Participant.objects.filter(pk__in=chosen).select_related("user").order_by("pk")
    for person in people:
        address = person.mailable_address
        if not address:
            continue
        reply_to = reply_address(topic_id=post.topic_id, participant_id=person.pk)
        send_later(
            template=TEMPLATE,
            context={
                "post": post,
                "recipient": person,
                "reason": chosen[person.pk],
                "post_url": link,
                "contact_url": private,
                "reply_by_mail": bool(reply_to),
                "settings_url": settings.SITE_URL + reverse("community:settings"),
            },
            to=address,
            participant_id=person.pk,
            language=person.preferred_language or settings.LANGUAGE_CODE,
            reply_to=[reply_to] if reply_to else None,
        )
        sent += 1
    return sent


def send_time_skip_reason(mail: OutgoingMail, context: dict) -> str | None:
    """Why a queued notification is no longer wanted, checked when the worker is about to send
    it (a deleted post never gets here: its context cannot be loaded)."""
    post = context.get("post")
    if not isinstance(post, Post):
        return None
    topic = post.topic
    if post.status != Post.Status.VISIBLE or topic.hidden or topic.held:
        return "the post or its topic was hidden since"
    if mail.participant_id is None or mail.participant_id not in recipients(post):
        return (
            "the recipient no longer gets mail about this post (left the room, turned these "
            "mails off, or no active login)"
        )
    return None


def register() -> None:
    register_mail_builder(
        MailBuilder(prefix=TEMPLATE, build=render_outgoing, skip_reason=send_time_skip_reason)
    )
