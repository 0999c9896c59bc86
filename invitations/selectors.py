"""Reads for the sending side: who a wave would invite, who it leaves out and why, its progress."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from django.db.models import Case
from django.db.models import CharField
from django.db.models import Count
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Value
from django.db.models import When
from django.utils.translation import gettext_lazy as _

from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.models import Wave
from members.models import Exchange
from members.models import Participant

ELIGIBLE = "eligible"
REGISTERED = "registered"
ALREADY_INVITED = "already_invited"
DECLINED = "declined"
NO_ADDRESS = "no_address"
BAD_ADDRESS = "bad_address"

# In the order a participant is counted: each person is left out for the first reason that fits.
EXCLUSION_REASONS = (REGISTERED, DECLINED, NO_ADDRESS, BAD_ADDRESS, ALREADY_INVITED)
EXCLUSION_LABELS = {
    ELIGIBLE: _("will be invited"),
    REGISTERED: _("already registered"),
    DECLINED: _("asked not to be invited"),
    NO_ADDRESS: _("no email address"),
    BAD_ADDRESS: _("address bounced or complained"),
    ALREADY_INVITED: _("already invited (open invitation)"),
}
EXCLUSION_MESSAGES = {
    REGISTERED: _("This person is already registered."),
    DECLINED: _("This person asked not to be invited again."),
    NO_ADDRESS: _("This person has no email address. Add one first."),
    BAD_ADDRESS: _("This person's address bounced or complained. Fix the address first."),
    ALREADY_INVITED: _("This person already has an open invitation."),
}


def _open_invitation():
    return Invitation.objects.filter(
        participant=OuterRef("pk"), status__in=Invitation.OPEN_STATUSES
    )


def _exclusion_case() -> Case:
    return Case(
        When(user__isnull=False, then=Value(REGISTERED)),
        When(declined_invitations=True, then=Value(DECLINED)),
        When(email="", then=Value(NO_ADDRESS)),
        When(
            email_status__in=[
                Participant.EmailStatus.BOUNCED,
                Participant.EmailStatus.COMPLAINED,
            ],
            then=Value(BAD_ADDRESS),
        ),
        When(Exists(_open_invitation()), then=Value(ALREADY_INVITED)),
        default=Value(ELIGIBLE),
        output_field=CharField(),
    )


def wave_selection(*, wave: Wave) -> QuerySet[Participant]:
    """Everyone the wave's selection covers: home countries, and the programme and exchange
    years when given (any one of their exchanges matching)."""
    participants = Participant.objects.filter(
        home_country__in=[str(code) for code in wave.home_countries]
    )
    if wave.programmes or wave.exchange_year_from or wave.exchange_year_to:
        exchanges = Exchange.objects.filter(participant=OuterRef("pk"))
        if wave.programmes:
            exchanges = exchanges.filter(programme__in=wave.programmes)
        if wave.exchange_year_from:
            exchanges = exchanges.filter(year__gte=wave.exchange_year_from)
        if wave.exchange_year_to:
            exchanges = exchanges.filter(year__lte=wave.exchange_year_to)
        participants = participants.filter(Exists(exchanges))
    return participants


def wave_candidates(*, wave: Wave) -> QuerySet[Participant]:
    """The wave's selection, each annotated with `exclusion`: ELIGIBLE or the reason they are
    left out."""
    return wave_selection(wave=wave).annotate(exclusion=_exclusion_case())


def wave_preview(*, wave: Wave) -> list[dict]:
    """How many the wave would invite and how many it leaves out per reason, in one query:
    [{"reason", "label", "count"}], the eligible first."""
    counts = dict(
        wave_candidates(wave=wave)
        .order_by()
        .values_list("exclusion")
        .annotate(count=Count("pk"))
        .values_list("exclusion", "count")
    )
    return [
        {"reason": reason, "label": EXCLUSION_LABELS[reason], "count": counts.get(reason, 0)}
        for reason in (ELIGIBLE, *EXCLUSION_REASONS)
    ]


def wave_participants_for_reason(*, wave: Wave, reason: str) -> QuerySet[Participant]:
    """The people behind one line of the preview, for the list one click away."""
    return (
        wave_candidates(wave=wave)
        .filter(exclusion=reason)
        .order_by("last_name", "first_name", "pk")
    )


def participant_exclusion(*, participant: Participant) -> str | None:
    """Why this participant cannot be invited now, or None when they can."""
    if participant.pk is None:
        return None
    reason = (
        Participant.objects.filter(pk=participant.pk)
        .annotate(exclusion=_exclusion_case())
        .values_list("exclusion", flat=True)
        .first()
    )
    return None if reason == ELIGIBLE else reason


def participant_ever_invited() -> Exists:
    """True for participants an invitation was ever sent to, or is waiting to go out to (in a
    launched wave). A wave cancelled before their message left, or a message skipped, does not
    count: they still need inviting. For the roster's "never invited" count and filter."""
    return Exists(
        Invitation.objects.filter(participant=OuterRef("pk")).filter(
            Q(sent_at__isnull=False)
            | Q(status__in=[Invitation.Status.PENDING, Invitation.Status.SENDING])
        )
    )


PROGRESS_KEYS = ("pending", "sent", "delivered", "bounced", "failed", "accepted", "expired")


def wave_progress(*, wave: Wave) -> dict:
    """The counts on the wave page, in one query. `pending` includes messages being sent; `sent`
    counts every message handed to the mail server (whatever happened next), `delivered` those
    the ESP confirmed."""
    statuses = Invitation.Status
    counts = wave.invitations.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status__in=[statuses.PENDING, statuses.SENDING])),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        bounced=Count("pk", filter=Q(status=statuses.BOUNCED)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        failed=Count("pk", filter=Q(status=statuses.FAILED)),
        accepted=Count("pk", filter=Q(status=statuses.ACCEPTED)),
        expired=Count("pk", filter=Q(status=statuses.EXPIRED)),
        revoked=Count("pk", filter=Q(status=statuses.REVOKED)),
        skipped=Count("pk", filter=Q(status=statuses.SKIPPED)),
    )
    total = counts["total"]
    done = total - counts["pending"]
    counts["done_percent"] = round(100 * done / total) if total else 0
    counts["accepted_percent"] = round(100 * counts["accepted"] / total) if total else 0
    return counts


def wave_resendable(*, wave: Wave) -> QuerySet[Invitation]:
    """The wave's invitations that may be sent again: sent, expired, failed or skipped (never
    accepted or bounced),
    to people who still may be invited and hold no other open invitation."""
    other_open = Invitation.objects.filter(
        participant=OuterRef("participant"), status__in=Invitation.OPEN_STATUSES
    ).exclude(pk=OuterRef("pk"))
    return (
        wave.invitations.filter(
            status__in=[
                Invitation.Status.SENT,
                Invitation.Status.EXPIRED,
                Invitation.Status.FAILED,
                Invitation.Status.SKIPPED,
            ],
            participant__user__isnull=True,
            participant__declined_invitations=False,
        )
        .exclude(participant__email="")
        .exclude(
            participant__email_status__in=[
                Participant.EmailStatus.BOUNCED,
                Participant.EmailStatus.COMPLAINED,
            ]
        )
        .exclude(Exists(other_open))
    )


def invitations_due_for_reminder(*, now: datetime) -> QuerySet[Invitation]:
    """Sent, unanswered invitations whose reminder day has come, still valid for more than a day,
    to people who still may be invited, without a reminder yet."""
    # One condition per distinct reminder delay (there are a handful): plain date comparisons,
    # which every database and the status index handle.
    open_sent = Invitation.objects.filter(status=Invitation.Status.SENT, reminder_days__gt=0)
    delays = open_sent.order_by().values_list("reminder_days", flat=True).distinct()
    due = Q(pk__in=[])
    for days in delays:
        due |= Q(reminder_days=days, sent_at__lte=now - timedelta(days=days))
    return (
        open_sent.filter(due)
        .filter(
            reminded_at__isnull=True,
            expires_at__gt=now + timedelta(days=1),
            participant__user__isnull=True,
            participant__declined_invitations=False,
        )
        .exclude(
            participant__email_status__in=[
                Participant.EmailStatus.BOUNCED,
                Participant.EmailStatus.COMPLAINED,
            ]
        )
        .exclude(wave__status=Wave.Status.CANCELLED)
        .exclude(Exists(InvitationReminder.objects.filter(invitation=OuterRef("pk"))))
        .order_by("pk")
    )


def bad_addresses_by_country() -> list[dict]:
    """Participants whose address bounced or complained, counted per home country (not yet
    registered: a member's own address is theirs to fix)."""
    return list(
        Participant.objects.filter(
            email_status__in=[Participant.EmailStatus.BOUNCED, Participant.EmailStatus.COMPLAINED]
        )
        .order_by()
        .values("home_country")
        .annotate(
            bounced=Count("pk", filter=Q(email_status=Participant.EmailStatus.BOUNCED)),
            complained=Count("pk", filter=Q(email_status=Participant.EmailStatus.COMPLAINED)),
            total=Count("pk"),
        )
        .order_by("-total", "home_country")
    )
