"""Activities (meetings, webinars, courses) and the members' registrations for them."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from activities.languages import LanguagesField
from activities.languages import default_languages
from activities.languages import language_list
from core.models import TimestampedModel
from core.outbound_model import OutboundMessage
from members.models import Participant


@functools.cache
def _zone_names() -> frozenset[str]:
    # Reading the zone database takes a while; it does not change while the process runs.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone name such as Africa/Nairobi or Asia/Kathmandu."),
            params={"value": value},
        )


class Activity(TimestampedModel):
    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("physical meeting")
        DIGITAL = "digital", _("digital meeting")
        WEBINAR = "webinar", _("webinar")
        ELEARNING = "elearning", _("e-learning")
        COURSE = "course", _("course")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    languages = LanguagesField(
        _("languages"),
        default=default_languages,
        help_text=_(
            "The languages it is held in. Members can look for activities in their language."
        ),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("Markdown: **bold**, *italic*, lists, links.")
    )
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Oslo",
        validators=[validate_time_zone],
        help_text=_("Where the activity happens, e.g. Africa/Nairobi. Times are shown in it."),
    )
    place = models.CharField(
        _("place"), max_length=255, blank=True, help_text=_("Venue and address.")
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True, db_index=True)
    online_url = models.URLField(
        _("online link"),
        blank=True,
        help_text=_("Shown to registered members only (and in their calendar)."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Seats; leave empty for no limit.")
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Empty: registration stays open until the activity starts."),
    )
    is_public = models.BooleanField(
        _("shown to visitors"),
        default=True,
        help_text=_("Visitors who are not logged in see it in the list (never the online link)."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_note = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(languages=""), name="activity_held_in_a_language"
            ),
        ]

    def __str__(self) -> str:
        if self.starts_at is None:
            return self.title
        return f"{self.title} ({self.starts_at.astimezone(self.zone):%Y-%m-%d})"

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The end must be after the start.")
        if self.kind == self.Kind.PHYSICAL and not (self.place or self.city):
            errors["place"] = _("A physical meeting needs a place or a city.")
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at < self.registration_opens_at
        ):
            errors["registration_closes_at"] = _("Registration must close after it opens.")
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        return reverse("activities:detail", args=[self.pk])

    def get_languages_display(self) -> str:
        """The languages it is held in, named in the reader's language: "French and English"."""
        return language_list(self.languages)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not (self.place or self.city)

    @property
    def map_url(self) -> str:
        from urllib.parse import quote_plus

        where = ", ".join(
            part
            for part in (self.place, self.city, self.country.name if self.country else "")
            if part
        )
        return f"https://www.openstreetmap.org/search?query={quote_plus(where)}" if where else ""


class Registration(TimestampedModel):
    """One member's place at one activity. The waitlist is ordered by `waitlist_number`, given
    under the activity's row lock, so it is the order in which people pressed Register."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        WAITLISTED = "waitlisted", _("on the waitlist")
        CANCELLED = "cancelled", _("cancelled")
        ATTENDED = "attended", _("attended")

    # Those who hold a seat: capacity counts them, and materials are theirs.
    SEAT_STATUSES = (Status.CONFIRMED, Status.ATTENDED)
    # Those still taking part, the waitlist too: news about the activity reaches them.
    ACTIVE_STATUSES = (*SEAT_STATUSES, Status.WAITLISTED)

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("activity")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="activity_registrations",
        verbose_name=_("participant"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    waitlist_number = models.PositiveIntegerField(_("waitlist number"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        ordering = ["activity", "status", "waitlist_number", "id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "participant"], name="registration_one_per_member"
            ),
        ]
        indexes = [models.Index(fields=["activity", "status", "waitlist_number"])]

    def __str__(self) -> str:
        return f"{self.participant} · {self.activity.title} · {self.get_status_display()}"

    @property
    def holds_seat(self) -> bool:
        return self.status in self.SEAT_STATUSES


class Broadcast(TimestampedModel):
    """A mail to everyone registered for an activity (its cancellation notice, or a message from
    staff), sent by the shared bulk sender: one `BroadcastMessage` per recipient, rendered in the
    worker, never in the staff's request nor under the activity's row lock."""

    class Kind(models.TextChoices):
        # The values are the mails' template names (templates/emails/activities/).
        CANCELLED = "cancelled", _("cancellation notice")
        STAFF_MESSAGE = "staff_message", _("message from staff")

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="broadcasts", verbose_name=_("activity")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    # The staff's message, or the reason for cancelling.
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SENDING, db_index=True
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("mail to the registered members")
        verbose_name_plural = _("mails to the registered members")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.activity_id}"


class BroadcastMessage(OutboundMessage):
    """One broadcast to one registered member. The unique pair keeps "nobody twice" true when a
    worker is killed and the batch is sent again; `email` is the address used."""

    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="messages", verbose_name=_("mail")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activity_broadcast_messages",
        verbose_name=_("recipient"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("message to a registered member")
        verbose_name_plural = _("messages to registered members")
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "participant"], name="broadcast_message_once_per_recipient"
            ),
        ]
        indexes = [
            models.Index(fields=["broadcast", "status"], name="broadcast_message_status"),
        ]

    def __str__(self) -> str:
        return f"{self.broadcast_id} → {self.email or '(erased)'}"


class Material(models.Model):
    """Slides, recordings and other links staff attach after the event."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="materials", verbose_name=_("activity")
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="activities/materials/%Y/", blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if not self.url and not self.file:
            raise ValidationError(_("Give a link or upload a file."))

    @property
    def href(self) -> str:
        return self.file.url if self.file else self.url


class CalendarFeed(models.Model):
    """A member's private calendar feed. The secret token in the URL is derived with an HMAC of
    `salt` and the SECRET_KEY, so it is never stored; revoking deletes the row, which kills the
    URL for good (a new feed gets a new key and salt)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key = models.CharField(max_length=32, unique=True)
    salt = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed of {self.participant}"
