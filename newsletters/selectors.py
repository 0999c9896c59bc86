"""Reads: who a newsletter goes to, who is left out and why, and what members may read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.db.models import Q
from django.db.models import QuerySet

from members.models import Participant
from newsletters.models import Newsletter

BAD_STATUSES = (Participant.EmailStatus.BOUNCED, Participant.EmailStatus.COMPLAINED)


def _in_scope(newsletter: Newsletter) -> QuerySet[Participant]:
    """Everyone the audience choice covers, eligible or not."""
    participants = Participant.objects.all()
    if newsletter.audience == Newsletter.Audience.COUNTRIES:
        codes = [country.code for country in newsletter.countries]
        participants = participants.filter(home_country__in=codes)
    return participants


# A recipient is a registered, active member who wants the newsletter and whose address works.
_REGISTERED = Q(user__isnull=False, user__is_active=True)
_GOOD_ADDRESS = ~Q(email_status__in=BAD_STATUSES) & ~Q(user__email="")
_ELIGIBLE = _REGISTERED & Q(newsletter_subscribed=True) & _GOOD_ADDRESS


def newsletter_recipients(*, newsletter: Newsletter) -> QuerySet[Participant]:
    return _in_scope(newsletter).filter(_ELIGIBLE)


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
    counts = _in_scope(newsletter).aggregate(
        receive=Count("pk", filter=_ELIGIBLE),
        not_registered=Count("pk", filter=~_REGISTERED),
        unsubscribed=Count("pk", filter=_REGISTERED & Q(newsletter_subscribed=False)),
        bad_address=Count(
            "pk", filter=_REGISTERED & Q(newsletter_subscribed=True) & ~_GOOD_ADDRESS
        ),
    )
    return AudienceCounts(**counts)


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


def newsletter_progress(*, newsletter: Newsletter) -> dict[str, int]:
    """Deliveries per status, in one query (the counts stay after sending)."""
    from newsletters.models import Delivery

    return {"total": Delivery.objects.filter(newsletter=newsletter).count(), "rows": []}
