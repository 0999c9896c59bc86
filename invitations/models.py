"""Invitation waves, the invitations they send, and the public "I was not invited" requests.

State changes live in `invitations.services`; the sending machinery in `core.outbound`.
"""

import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.outbound_model import OutboundMessage
from members.models import Participant


def default_weekdays() -> list[int]:
    # Monday is 0, as in date.weekday(): Monday to Friday.
    return [0, 1, 2, 3, 4]


def new_token_nonce() -> str:
    """128 bits of randomness, mixed into every link (see `invitations.tokens`)."""
    return secrets.token_hex(16)


class Wave(models.Model):
    """A country-by-country batch of invitations, sent at a pace staff can answer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        # Its invitations are being created by a worker (launch, re-send); it sends once done.
        PREPARING = "preparing", _("preparing")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    name = models.CharField(_("name"), max_length=200)
    home_countries = CountryField(_("home countries"), multiple=True)
    programmes = models.JSONField(
        _("programmes"),
        default=list,
        blank=True,
        help_text=_("Only participants of these programmes. Leave empty for all."),
    )
    exchange_year_from = models.PositiveSmallIntegerField(
        _("exchange year from"), null=True, blank=True
    )
    exchange_year_to = models.PositiveSmallIntegerField(
        _("exchange year to"), null=True, blank=True
    )
    starts_at = models.DateTimeField(
        _("start sending at"), default=timezone.now, help_text=_("Nothing is sent before this.")
    )
    rate_per_hour = models.PositiveIntegerField(
        _("messages per hour"),
        default=300,
        help_text=_("0 sends as fast as the server can (for tests and benchmarks only)."),
    )
    batch_size = models.PositiveIntegerField(
        _("batch size"), default=50, help_text=_("The most messages one sending run takes.")
    )
    window_start = models.TimeField(_("send from (recipient's local time)"), default=time(9, 0))
    window_end = models.TimeField(_("send until (recipient's local time)"), default=time(17, 0))
    window_weekdays = models.JSONField(
        _("send on these days (recipient's local time)"), default=default_weekdays
    )
    expiry_days = models.PositiveSmallIntegerField(
        _("days until the invitation expires"), default=30
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("days until one reminder"), default=10, help_text=_("0 sends no reminder.")
    )
    reply_to = models.EmailField(
        _("replies go to"),
        blank=True,
        help_text=_("The adviser's address. Empty means the network adviser's address."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    paused_reason = models.CharField(_("why it is paused"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    # The worker's preparation (`invitations.services.wave_prepare_chunk`): how many invitations
    # the launch counted, when they were all created, and a re-send still to prepare (those mailed
    # before this moment are sent again).
    prepare_total = models.PositiveIntegerField(_("invitations to prepare"), default=0)
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    resend_cutoff = models.DateTimeField(_("re-send being prepared"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation wave")
        verbose_name_plural = _("invitation waves")
        constraints = [
            models.CheckConstraint(
                condition=Q(exchange_year_from__isnull=True)
                | Q(exchange_year_to__isnull=True)
                | Q(exchange_year_from__lte=models.F("exchange_year_to")),
                name="wave_exchange_years_in_order",
            ),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="wave_batch_size_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reply_to_address(self) -> str:
        return self.reply_to or settings.NETWORK_ADVISER_EMAIL

    @property
    def is_editable(self) -> bool:
        """Its selection and pace can change until it is launched."""
        return self.status == self.Status.DRAFT


class Invitation(OutboundMessage):
    """One invitation to one participant: from a wave, or direct (no wave) from the participant
    page. Its link is derived from `token_nonce` (see `invitations.tokens`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("accepted")
        BOUNCED = "bounced", _("bounced")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")
        SKIPPED = "skipped", _("not sent (no longer invitable)")

    # Open: the person may still get or use it. At most one open invitation per participant.
    OPEN_STATUSES = (Status.PENDING, Status.SENDING, Status.SENT)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    wave = models.ForeignKey(
        Wave,
        verbose_name=_("wave"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
        help_text=_("Empty for an invitation sent directly from the participant page."),
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    token_nonce = models.CharField(max_length=64, default=new_token_nonce, editable=False)
    valid_days = models.PositiveSmallIntegerField(_("valid for days after sending"), default=30)
    reminder_days = models.PositiveSmallIntegerField(
        _("remind after days"), default=0, help_text=_("0 sends no reminder.")
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "participant"],
                condition=Q(wave__isnull=False),
                name="invitation_one_per_wave_and_participant",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(status__in=["pending", "sending", "sent"]),
                name="invitation_one_open_per_participant",
            ),
        ]
        indexes = [
            # The sender's claim: the next pending rows of a wave, in id order.
            models.Index(fields=["wave", "status", "id"], name="invitation_wave_status_id"),
            models.Index(fields=["status", "claimed_at"], name="invitation_status_claimed"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to {self.email or self.participant_id}"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED or (
            self.expires_at is not None and self.expires_at <= timezone.now()
        )

    @property
    def can_be_accepted(self) -> bool:
        """The link works: the invitation is open (not used, revoked, bounced or failed) and not
        expired. A re-sent invitation waits as `pending` for its new message, and the link of the
        first message keeps working meanwhile (only mailed links carry the token)."""
        return self.status in self.OPEN_STATUSES and not self.is_expired


class InvitationReminder(OutboundMessage):
    """The one reminder of an invitation, sent through the same batched sender as the wave."""

    invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("invitation"),
        on_delete=models.CASCADE,
        related_name="reminder",
    )
    # The invitation's wave, copied so that the sender finds a wave's reminders (its pace and
    # window apply) without a join; null for a direct invitation.
    wave = models.ForeignKey(
        Wave,
        verbose_name=_("wave"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("invitation reminder")
        verbose_name_plural = _("invitation reminders")
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="reminder_status_claimed"),
            models.Index(fields=["wave", "status", "id"], name="reminder_wave_status_id"),
        ]

    def __str__(self) -> str:
        return f"Reminder of invitation {self.invitation_id}"


class InvitationRequest(models.Model):
    """The public "I have not received an invitation / my address changed" form, for the adviser
    to triage. Whatever happens here is never revealed to the person who asked."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        INVITED = "invited", _("invited")
        CREATED = "created", _("participant created")
        DISMISSED = "dismissed", _("dismissed")

    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("email address"))
    home_country = CountryField(_("home country"))
    exchange_year = models.PositiveSmallIntegerField(_("exchange year"), null=True, blank=True)
    partner_organisation = models.CharField(_("partner organisation"), max_length=255, blank=True)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    matched_participant = models.ForeignKey(
        Participant,
        verbose_name=_("matched participant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation_requests",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation request")
        verbose_name_plural = _("invitation requests")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"
