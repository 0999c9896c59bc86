"""Monthly newsletters and their deliveries (one per newsletter and recipient)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.models import TimestampedModel
from core.outbound_model import DEFAULT_RATE_PER_HOUR
from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus
from members.models import Participant


class Newsletter(TimestampedModel):
    """One issue: composed in the admin, then scheduled, sent in batches by the workers."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        # Its deliveries are being created by a worker; it sends once done.
        PREPARING = "preparing", _("preparing")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    class Audience(models.TextChoices):
        ALL = "all", _("All subscribed members")
        COUNTRIES = "countries", _("Subscribed members of some countries")

    subject = models.CharField(_("subject"), max_length=200)
    month = models.DateField(
        _("month"), db_index=True, help_text=_("The month this issue is for (any day in it).")
    )
    body = models.TextField(
        _("text"),
        help_text=_(
            "Markdown: ## for a heading, **bold**, [link text](https://...), "
            "![image description](https://.../image.jpg), - for a list."
        ),
    )
    include_activities = models.BooleanField(
        _("list next month's activities"),
        default=True,
        help_text=_("Adds a section with next month's published activities and their links."),
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.ALL
    )
    countries = CountryField(
        _("countries"),
        multiple=True,
        blank=True,
        help_text=_("Only for “some countries”: members whose home country is one of these."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    scheduled_for = models.DateTimeField(_("send at"), null=True, blank=True)
    paused_reason = models.CharField(_("why paused"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Frozen when sending starts, so every recipient and the archive read the same list.
    activities_snapshot = models.JSONField(_("activities section"), default=list, blank=True)
    # The default is a pace an ESP account sustains (see core.outbound_model); set per issue.
    rate_per_hour = models.PositiveIntegerField(
        _("pace (messages per hour)"),
        default=DEFAULT_RATE_PER_HOUR,
        help_text=_(
            "How fast it goes out. 20,000 an hour suits a mail service account; 0 sends as fast "
            "as the sender goes."
        ),
    )
    recipient_count = models.PositiveIntegerField(
        _("recipients"), default=0, help_text=_("How many deliveries sending created.")
    )
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    prepared_at = models.DateTimeField(_("deliveries prepared"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sending finished"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "-id"]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(scheduled_for__isnull=False),
                name="newsletter_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{date_format(self.month, 'YEAR_MONTH_FORMAT')}: {self.subject}"

    @property
    def is_editable(self) -> bool:
        """Only a draft changes, its language variants included: once scheduled, what is sent is
        fixed (put it back to draft to change it)."""
        return self.status == self.Status.DRAFT


def variant_language_choices() -> list[tuple[str, str]]:
    """The languages a variant may be in: every language of the portal but English, which is the
    newsletter itself (and what a recipient without a variant in their language gets)."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class NewsletterVariant(TimestampedModel):
    """The issue in another language: its own subject and text. Recipients whose preferred
    language is this one get it; everyone else gets the English issue. The automatic activities
    section, the greeting and the footer follow the variant's language."""

    newsletter = models.ForeignKey(
        Newsletter,
        verbose_name=_("newsletter"),
        on_delete=models.CASCADE,
        related_name="variants",
    )
    language = models.CharField(_("language"), max_length=8, choices=variant_language_choices())
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), help_text=Newsletter._meta.get_field("body").help_text)

    class Meta:
        ordering = ["newsletter", "language"]
        verbose_name = _("language variant")
        verbose_name_plural = _("language variants")
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "language"], name="newsletter_variant_once_per_language"
            ),
            # English is the newsletter itself.
            models.CheckConstraint(
                condition=~models.Q(language=settings.LANGUAGE_CODE) & ~models.Q(language=""),
                name="newsletter_variant_not_the_default_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_language_display()}: {self.subject}"


class Delivery(OutboundMessage):
    """One newsletter to one recipient, sent by the shared bulk sender (`core.outbound`).
    The unique pair is what makes "nobody twice" hold even when a worker is killed and the send is
    started again; `email` is the address used."""

    class Status(models.TextChoices):
        PENDING = OutboundStatus.PENDING.value, OutboundStatus.PENDING.label
        SENDING = OutboundStatus.SENDING.value, OutboundStatus.SENDING.label
        SENT = OutboundStatus.SENT.value, OutboundStatus.SENT.label
        BOUNCED = OutboundStatus.BOUNCED.value, OutboundStatus.BOUNCED.label
        FAILED = OutboundStatus.FAILED.value, OutboundStatus.FAILED.label
        # Our own ends, which the sender never claims: the member unsubscribed or their address
        # went bad after sending started; or the newsletter was cancelled.
        SKIPPED = "skipped", _("skipped (unsubscribed or bad address)")
        CANCELLED = "cancelled", _("cancelled")

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )

    newsletter = models.ForeignKey(
        Newsletter,
        verbose_name=_("newsletter"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # Null once the member's data is erased: the row stays so that the newsletter's counts do.
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="newsletter_deliveries",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "participant"], name="delivery_once_per_recipient"
            ),
        ]
        # The sender claims a newsletter's pending rows; the progress page counts per status.
        indexes = [models.Index(fields=["newsletter", "status"], name="delivery_newsletter_status")]

    def __str__(self) -> str:
        return f"{self.newsletter_id} → {self.email or '(erased)'}"
