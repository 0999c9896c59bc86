"""Where members talk: the network room and the country branches' rooms, their topics and posts.

Shaped for the whole of issue 13, of which this first part builds the rooms, topics, posts,
following, search, the code of conduct and holding a new member's first posts. The parts still
to come add tables of their own beside these rather than change them: notifications are one-off
mails (core.OutgoingMail); digests and branch announcements are bulk streams whose rows inherit
`core.outbound_model.OutboundMessage`; reply-by-mail tokens are derived with an HMAC (nothing
stored) and a reply is a `Post` with `source=email`; reports are rows pointing at a post.
What those parts need on the rows below is here already: the digest frequency and its
unsubscribe time, the moderator and time of a moderation, a post's source and inbound
Message-ID.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_countries.fields import CountryField

from core.models import TimestampedModel
from core.outbound_model import OutboundMessage
from members.models import Participant

# The network room's name as the data migration creates it; shown translated while staff keep it.
NETWORK_ROOM_NAME = gettext_noop("Ask and share")
NETWORK_ROOM_SLUG = "ask-and-share"


class Branch(TimestampedModel):
    """A country branch of the network: its country or countries, its committee (members chosen
    by staff, who will moderate its room and send its announcements) and its room."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    countries = CountryField(_("countries"), multiple=True)
    committee = models.ManyToManyField(
        Participant,
        verbose_name=_("committee"),
        blank=True,
        related_name="community_committees",
        help_text=_("Members who run the branch and moderate its room."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return self.name


class Room(TimestampedModel):
    """The one network-wide room, or one branch's room."""

    class Kind(models.TextChoices):
        NETWORK = "network", _("the whole network")
        BRANCH = "branch", _("a country branch")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    branch = models.OneToOneField(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="room",
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-kind", "name"]  # the network room first, then the branches by name
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="network"),
                name="community_one_network_room",
            ),
            models.CheckConstraint(
                condition=(Q(kind="network", branch__isnull=True))
                | Q(kind="branch", branch__isnull=False),
                name="community_room_branch_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        # The network room keeps the name the migration gave it unless staff rename it; that
        # name is the portal's own text, so it reads in the member's language.
        if self.kind == self.Kind.NETWORK and self.name == NETWORK_ROOM_NAME:
            return gettext(NETWORK_ROOM_NAME)
        return self.name

    @property
    def is_network(self) -> bool:
        return self.kind == self.Kind.NETWORK


class RoomFollow(models.Model):
    """A member follows a room: it is listed first for them, its topics reach their home page,
    and (later) its news reaches their digest."""

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="community_follows",
    )
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("room followed")
        verbose_name_plural = _("rooms followed")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "room"], name="community_follow_once_per_room"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.room}"


class Tag(models.Model):
    """A theme from the short list staff keep (health, education, a course...)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    ordering = models.PositiveSmallIntegerField(_("position in lists"), default=100)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Topic(TimestampedModel):
    """A conversation in a room. Its first post (`Post.is_opening`) is its text."""

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="topics"
    )
    title = models.CharField(_("title"), max_length=150)
    tag = models.ForeignKey(
        Tag,
        verbose_name=_("tag"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics",
    )
    # None: a former member (account deleted), or the portal itself (an activity's topic).
    author = models.ForeignKey(
        Participant,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="community_topics",
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    hidden = models.BooleanField(
        _("hidden"),
        default=False,
        help_text=_("Hidden by a moderator, or its author deleted its first post."),
    )
    # Its first post waits for approval (a new member's): only its author sees it meanwhile.
    held = models.BooleanField(_("waiting for approval"), default=False)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    # The activity this topic discusses, by id only: activities and community do not import
    # each other. Set through the activity hook (`members.extensions.ActivityDiscussion`); one
    # topic per activity.
    activity_id = models.PositiveIntegerField(_("activity"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-pinned", "-last_activity_at", "-id"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [
            # A room's list: pinned first, then newest activity first.
            models.Index(
                fields=["room", "-pinned", "-last_activity_at", "-id"],
                name="community_topic_room_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Post(TimestampedModel):
    """A topic's text or a reply, in the portal's safe Markdown."""

    class Status(models.TextChoices):
        HELD = "held", _("waiting for approval")
        VISIBLE = "visible", _("visible")
        HIDDEN = "hidden", _("hidden")

    class Source(models.TextChoices):
        WEB = "web", _("the website")
        EMAIL = "email", _("a reply by email")

    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="posts"
    )
    author = models.ForeignKey(
        Participant,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="community_posts",
    )
    is_opening = models.BooleanField(_("the topic's first post"), default=False)
    text = models.TextField(_("text"), max_length=10000)
    image = models.ImageField(_("image"), upload_to="community/%Y/%m/", blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.VISIBLE
    )
    source = models.CharField(
        _("written on"), max_length=16, choices=Source.choices, default=Source.WEB
    )
    # A reply by mail, so that a mail delivered twice is posted once.
    inbound_message_id = models.CharField(
        _("incoming mail's Message-ID"), max_length=255, null=True, blank=True, unique=True
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What search reads: the topic's title (on its first post) and the text, folded like the
    # directory's (`members.services.fold_for_search`), with a trigram index.
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(
                fields=["topic"], condition=Q(is_opening=True), name="community_one_opening_post"
            ),
        ]
        indexes = [
            # A topic's page, its count and its people from the index alone (an index-only
            # scan): the visibility rule reads the status and the author.
            models.Index(
                fields=["topic", "created_at", "id"],
                include=["status", "author"],
                name="community_post_topic_page_idx",
            ),
            models.Index(fields=["status", "created_at"], name="community_post_status_idx"),
            GinIndex(
                fields=["search_text"],
                opclasses=["gin_trgm_ops"],
                condition=Q(status="visible"),
                name="community_post_search_trgm_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class CommunityMember(TimestampedModel):
    """What the community keeps about a member: the code of conduct, how many of their posts
    were approved (the first ones of a new member wait for approval), and their digest."""

    class Digest(models.TextChoices):
        DAILY = "daily", _("every day")
        WEEKLY = "weekly", _("every week")
        NEVER = "never", _("never")

    participant = models.OneToOneField(
        Participant,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="community",
    )
    accepted_conduct_at = models.DateTimeField(
        _("accepted the code of conduct at"), null=True, blank=True
    )
    posts_approved = models.PositiveIntegerField(_("posts approved"), default=0)
    digest = models.CharField(
        _("digest"), max_length=8, choices=Digest.choices, default=Digest.WEEKLY
    )
    digest_unsubscribed_at = models.DateTimeField(
        _("left the digest at"), null=True, blank=True, editable=False
    )
    last_digest_at = models.DateTimeField(_("last digest at"), null=True, blank=True)
    # An immediate mail on a reply in a topic they started or replied in, or a mention
    # (community/notifications.py).
    notify_replies = models.BooleanField(_("mail me about replies and mentions"), default=True)

    class Meta:
        verbose_name = _("community member")
        verbose_name_plural = _("community members")

    def __str__(self) -> str:
        return str(self.participant)


# --- reports, branch announcements (issue 13: branches run themselves) ----------------------
# Kept together at the end of the module; `community.moderation` and `community.announcements`
# own what they do.

CommunityMember.add_to_class(
    "announcements_unsubscribed_at",
    models.DateTimeField(
        _("left the branch announcements at"), null=True, blank=True, editable=False
    ),
)


class Report(models.Model):
    """A member tells the moderators that a post breaks the code of conduct: once per member and
    post. A moderator dismisses it, or hides the post (which settles its reports too)."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        Participant,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="community_reports",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"], name="community_report_once_per_member"
            ),
        ]
        indexes = [
            models.Index(
                fields=["post"], condition=Q(settled_at__isnull=True), name="community_open_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} · {self.reporter_id}"


class Announcement(TimestampedModel):
    """A branch announcement: a committee member (or staff) writes to every member of the
    branch; the bulk stream `branch_announcement` sends one `AnnouncementMessage` each."""

    class Status(models.TextChoices):
        # Its messages are being created by a worker; it sends once done.
        PREPARING = "preparing", _("preparing")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.CASCADE,
        related_name="announcements",
    )
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("text"), max_length=10000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SENDING, db_index=True
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sending finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("branch announcement")
        verbose_name_plural = _("branch announcements")

    def __str__(self) -> str:
        return self.subject


class AnnouncementMessage(OutboundMessage):
    """One branch announcement to one member."""

    announcement = models.ForeignKey(
        Announcement,
        verbose_name=_("announcement"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="community_announcement_messages",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("announcement to a member")
        verbose_name_plural = _("announcements to members")
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "participant"],
                name="community_announcement_once_per_member",
            ),
        ]
        indexes = [
            models.Index(fields=["announcement", "status"], name="community_announcement_status"),
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id} → {self.email or '(erased)'}"


# The mail parts' tables (mentions, digest deliveries) live beside these, in their own module.
from community.mail_models import DigestDelivery  # noqa: E402, F401
from community.mail_models import Mention  # noqa: E402, F401
