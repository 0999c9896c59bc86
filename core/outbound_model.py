"""The fields every bulk-mail row carries (an Invitation, a newsletter Delivery).

Kept apart from `core.outbound` (the sender) so that models can import it while the apps
load, without pulling in the sender, its signal receiver and Celery. See `outbound` for how the
fields are used.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The default pace of a newsletter (core.outbound.pace re-exports it; here so that models can
# read it while the apps load). 20,000 an hour is 5.6 messages a second: under Amazon SES's
# starting quota for a production account (14 a second) and well inside what Postmark's broadcast
# streams, Mailgun, SendGrid, Brevo and Mailjet take from a paid account without warming up. It
# is slow enough that bounces and complaints come back while most of a newsletter still waits
# (the reputation pause can then stop it) and fast enough that 12,000 members take 36 minutes.
DEFAULT_RATE_PER_HOUR = 20_000


class OutboundStatus(models.TextChoices):
    """The statuses the sender itself reads and writes. A concrete model may add its own ends
    (an invitation is also `accepted`, `expired` or `revoked`); the sender never touches those."""

    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    BOUNCED = "bounced", _("bounced")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("not sent (no longer wanted)")


class OutboundMessage(models.Model):
    """One message of a campaign to one recipient; its row is the truth about whether it was sent.

    `claimed_at` and `claimed_by` mark a row the sender took (status `sending`); `sent_at` and
    `esp_message_id` are written in the same commit as the `sent` status, right after the backend
    accepted the message.
    `delivered_at`, `bounced_at` and `complained_at` come from the ESP's tracking webhooks.
    """

    # A concrete model redeclares `status` with its full set of choices (a superset of
    # OutboundStatus), which Django allows for fields inherited from an abstract model.
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OutboundStatus.choices,
        default=OutboundStatus.PENDING,
        db_index=True,
    )
    email = models.EmailField(_("sent to"), blank=True)
    # The recipient's IANA time zone, for the campaign's sending window ("" means no window).
    time_zone = models.CharField(_("recipient's time zone"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The worker process that claimed the row, "<celery node>/<pid>" ("" outside a worker): the
    # sweep gives back at once the rows of a process that no longer answers.
    claimed_by = models.CharField(_("claimed by"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    esp_message_id = models.CharField(
        _("ESP message id"), max_length=255, blank=True, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    complained_at = models.DateTimeField(_("complaint at"), null=True, blank=True)

    class Meta:
        abstract = True
