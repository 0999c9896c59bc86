"""Reads: who a newsletter goes to, who is left out and why, and what members may read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.db.models import Q
from django.db.models import QuerySet

from members.models import BAD_ADDRESS
from members.models import NOT_REGISTERED
from members.models import UNSUBSCRIBED
from members.models import Participant
from members.models import newsletter_exclusions
from members.models import newsletter_recipient_q
from newsletters.models import Newsletter


def _in_scope(newsletter: Newsletter) -> QuerySet[Participant]:
    """Everyone the audience choice covers, eligible or not."""
    participants = Participant.objects.all()
    if newsletter.audience == Newsletter.Audience.COUNTRIES:
        codes = [country.code for country in newsletter.countries]
        participants = participants.filter(home_country__in=codes)
    return participants


def participant_is_unsubscribed(*, participant_pk: int) -> bool:
    """True when the member behind an unsubscribe link has already left the newsletter."""
    return Participant.objects.filter(pk=participant_pk, newsletter_subscribed=False).exists()


def newsletter_recipients(*, newsletter: Newsletter) -> QuerySet[Participant]:
    return _in_scope(newsletter).newsletter_recipients()


@dataclass(frozen=True)
class AudienceCounts:
    receive: int
    unsubscribed: int
    bad_address: int
    not_registered: int

    @property
    def left_out(self) -> int:
        return self.unsubscribed + self.bad_address + self.not_registered


def newsletter_audience_counts(*, newsletter: Newsletter) -> AudienceCounts:
    """One query: who will receive it, and who is left out for which reason (each person counted
    once, under the first reason that applies)."""
    figures = {"receive": Count("pk", filter=newsletter_recipient_q())}
    earlier = Q(pk__in=[])
    for reason, condition in newsletter_exclusions():
        figures[reason] = Count("pk", filter=condition & ~earlier)
        earlier |= condition
    counts = _in_scope(newsletter).aggregate(**figures)
    return AudienceCounts(
        receive=counts["receive"],
        not_registered=counts[NOT_REGISTERED],
        unsubscribed=counts[UNSUBSCRIBED],
        bad_address=counts[BAD_ADDRESS],
    )


def newsletter_archive_list() -> QuerySet[Newsletter]:
    """What members may read: issues that went out (sent, or still sending: recipients follow the
    "read on the web" link at once); never drafts, scheduled, paused or cancelled ones."""
    return Newsletter.objects.filter(
        status__in=(Newsletter.Status.SENDING, Newsletter.Status.SENT)
    ).order_by("-month", "-started_at", "-id")


def newsletter_archive_get(*, pk: int) -> Newsletter:
    return newsletter_archive_list().get(pk=pk)


def newsletter_latest() -> Newsletter | None:
    return newsletter_archive_list().only("pk", "subject", "month", "started_at").first()


def newsletter_progress(*, newsletter: Newsletter) -> dict:
    """Deliveries per status in one query; they stay after sending, so the counts do too.
    `delivered` is a subset of `sent` (the ESP confirmed it), as bounces may come after `sent`."""
    from django.utils.translation import gettext as _

    from newsletters.models import Delivery

    Status = Delivery.Status
    counts = Delivery.objects.filter(newsletter=newsletter).aggregate(
        total=Count("pk"),
        queued=Count("pk", filter=Q(status__in=[Status.PENDING, Status.SENDING])),
        sent=Count("pk", filter=Q(status=Status.SENT)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        bounced=Count("pk", filter=Q(status=Status.BOUNCED)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Status.SKIPPED)),
        cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
    )
    labels = {
        "queued": _("Queued"),
        "sent": _("Sent"),
        "delivered": _("Delivered (confirmed)"),
        "bounced": _("Bounced"),
        "complained": _("Complaints"),
        "failed": _("Failed"),
        "skipped": _("Skipped (unsubscribed or bad address since)"),
        "cancelled": _("Not sent (cancelled)"),
    }
    rows = [
        {"key": key, "label": label, "count": counts[key]}
        for key, label in labels.items()
        if counts[key] or key in ("queued", "sent", "delivered", "bounced", "failed")
    ]
    return {"total": counts["total"], "rows": rows, **counts}
