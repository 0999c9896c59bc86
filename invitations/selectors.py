"""Reads for the sending side: who a wave would invite, who it leaves out and why, its progress."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField
from django.db.models import Case
from django.db.models import CharField
from django.db.models import Count
from django.db.models import Exists
from django.db.models import ExpressionWrapper
from django.db.models import Min
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Value
from django.db.models import When
from django.db.models.functions import Coalesce
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.outbound.pace import RECENT
from core.zones import zone_for_participant
from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.models import InvitationRequest
from invitations.models import Wave
from members.models import BAD_ADDRESS
from members.models import DECLINED
from members.models import NO_ADDRESS
from members.models import REGISTERED
from members.models import Exchange
from members.models import Participant
from members.models import invitable_q
from members.models import invitation_exclusions

ELIGIBLE = "eligible"
ALREADY_INVITED = "already_invited"

# In the order a participant is counted: each person is left out for the first reason that fits.
EXCLUSION_REASONS = (*(reason for reason, _q in invitation_exclusions()), ALREADY_INVITED)
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
        *(When(condition, then=Value(reason)) for reason, condition in invitation_exclusions()),
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


def wave_preview_languages(*, wave: Wave) -> list[dict]:
    """How many of those the wave would invite get their invitation in each language the portal
    offers, in one query: [{"language", "label", "count"}] in the order of settings.LANGUAGES."""
    counts = dict(
        wave_candidates(wave=wave)
        .filter(exclusion=ELIGIBLE)
        .order_by()
        .values_list("preferred_language")
        .annotate(count=Count("pk"))
        .values_list("preferred_language", "count")
    )
    return [
        {"language": code, "label": label, "count": counts.get(code, 0)}
        for code, label in settings.LANGUAGES
    ]


def wave_preview_zones(*, wave: Wave) -> dict[str, int]:
    """How many of those the wave would invite live in each time zone (the zone their invitation
    is timed for, as `wave_launch` sets it), in one query: for the estimate of its duration
    through the sending window."""
    rows = (
        wave_candidates(wave=wave)
        .filter(exclusion=ELIGIBLE)
        .order_by()
        .values_list("time_zone", "home_country")
        .annotate(count=Count("pk"))
    )
    zones: dict[str, int] = {}
    for time_zone, home_country, count in rows:
        zone = zone_for_participant(time_zone=time_zone, home_country=home_country)
        zones[zone] = zones.get(zone, 0) + count
    return zones


def waves_pending_zones(*, wave_ids: list[int]) -> dict[int, dict[str, int]]:
    """The invitations still waiting to be sent of each wave, per recipient time zone, in one
    query on the claim's index (wave, status): {wave id: {zone: count}}."""
    rows = (
        Invitation.objects.filter(wave_id__in=wave_ids, status=Invitation.Status.PENDING)
        .order_by()
        .values_list("wave_id", "time_zone")
        .annotate(count=Count("pk"))
    )
    zones: dict[int, dict[str, int]] = {}
    for wave_id, time_zone, count in rows:
        zones.setdefault(wave_id, {})[time_zone] = count
    return zones


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


def invitation_progress_conditions(prefix: str = "") -> dict[str, Q]:
    """What each figure of a wave's progress counts, written once: the wave page, the wave list
    and the dashboard count with these. `prefix` leads from the rows counted to their invitations
    ("invitations__" from waves)."""
    statuses = Invitation.Status

    def where(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    return {
        # Waiting, or being sent right now.
        "pending": where(status__in=[statuses.PENDING, statuses.SENDING]),
        # Handed to the mail server, whatever happened next.
        "sent": where(sent_at__isnull=False),
        # The ESP confirmed it arrived.
        "delivered": where(delivered_at__isnull=False),
        # The ESP said it bounced (also when that came after the invitation expired or was
        # accepted), or the server refused the address outright.
        "bounced": where(status=statuses.BOUNCED) | where(bounced_at__isnull=False),
        "complained": where(complained_at__isnull=False),
        "failed": where(status=statuses.FAILED),
        "accepted": where(status=statuses.ACCEPTED),
        "expired": where(status=statuses.EXPIRED),
        "revoked": where(status=statuses.REVOKED),
        "skipped": where(status=statuses.SKIPPED),
    }


def _progress_counts(prefix: str = "") -> dict[str, Count]:
    counted = prefix.removesuffix("__") or "pk"
    return {
        "total": Count(counted),
        **{
            key: Count(counted, filter=condition)
            for key, condition in invitation_progress_conditions(prefix).items()
        },
    }


def wave_progress(*, wave: Wave, now: datetime | None = None) -> dict:
    """The counts on the wave page, in one query (see `invitation_progress_conditions`), with
    how much of the wave is handled and accepted, in percent, and `recent`: how many were sent
    in the last `pace.RECENT`, for the current rate (the same scan, no query of its own)."""
    since = (now or timezone.now()) - RECENT
    counts = wave.invitations.aggregate(
        **_progress_counts(), recent=Count("pk", filter=Q(sent_at__gt=since))
    )
    total = counts["total"]
    done = total - counts["pending"]
    counts["done_percent"] = round(100 * done / total) if total else 0
    counts["accepted_percent"] = round(100 * counts["accepted"] / total) if total else 0
    return counts


def waves_with_progress(
    waves: QuerySet[Wave], *, recent_since: datetime | None = None
) -> QuerySet[Wave]:
    """Each wave with the same counts as `wave_progress`, as `progress_<figure>` (one query for
    a list of waves); with `recent_since`, also `progress_recent`, those sent since then."""
    counts = _progress_counts("invitations__")
    if recent_since is not None:
        counts["recent"] = Count("invitations", filter=Q(invitations__sent_at__gt=recent_since))
    return waves.annotate(**{f"progress_{key}": count for key, count in counts.items()})


def _resend_candidates(*, wave: Wave) -> QuerySet[Invitation]:
    """The wave's invitations that may be sent again, however recently: sent, expired, failed or
    skipped (never accepted or bounced), to people who still may be invited and hold no other
    open invitation. Each carries `last_mailed_at`: the latest invitation or reminder sent to
    that person, from any wave."""
    other_open = Invitation.objects.filter(
        participant=OuterRef("participant"), status__in=Invitation.OPEN_STATUSES
    ).exclude(pk=OuterRef("pk"))
    epoch = Value(datetime(1970, 1, 1, tzinfo=UTC))
    last_invitation = (
        Invitation.objects.filter(participant=OuterRef("participant"), sent_at__isnull=False)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    last_reminder = (
        InvitationReminder.objects.filter(
            invitation__participant=OuterRef("participant"), sent_at__isnull=False
        )
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    return (
        wave.invitations.filter(
            invitable_q("participant__"),
            status__in=[
                Invitation.Status.SENT,
                Invitation.Status.EXPIRED,
                Invitation.Status.FAILED,
                Invitation.Status.SKIPPED,
            ],
        )
        .exclude(Exists(other_open))
        .annotate(
            # The epoch stands for "never mailed", so that the comparison reads the same on
            # every database (GREATEST treats NULL differently on PostgreSQL and SQLite).
            last_mailed_at=Greatest(
                Coalesce(Subquery(last_invitation), epoch),
                Coalesce(Subquery(last_reminder), epoch),
            )
        )
    )


def resend_cutoff(*, now: datetime | None = None) -> datetime:
    """Nobody mailed after this moment is mailed again by a re-send."""
    return (now or timezone.now()) - timedelta(days=settings.INVITATION_RESEND_MIN_DAYS)


def wave_resendable(
    *, wave: Wave, now: datetime | None = None, cutoff: datetime | None = None
) -> QuerySet[Invitation]:
    """The wave's invitations a re-send goes to now: the candidates above, less those mailed
    fewer than INVITATION_RESEND_MIN_DAYS days ago (so nobody gets the same mail twice in a
    row while the first may still be read). `cutoff`: the one a re-send being prepared keeps."""
    cutoff = cutoff or resend_cutoff(now=now)
    return _resend_candidates(wave=wave).filter(last_mailed_at__lte=cutoff)


@dataclass(frozen=True)
class ResendCounts:
    ready: int  # would be sent again now
    too_recent: int  # not accepted, but mailed too recently
    next_ready_at: datetime | None  # when the first of those may be sent again
    min_days: int


def wave_resend_counts(*, wave: Wave, now: datetime | None = None) -> ResendCounts:
    """For the wave page and the re-send confirmation, in one query."""
    cutoff = resend_cutoff(now=now)
    counts = _resend_candidates(wave=wave).aggregate(
        ready=Count("pk", filter=Q(last_mailed_at__lte=cutoff)),
        too_recent=Count("pk", filter=Q(last_mailed_at__gt=cutoff)),
        first_recent=Min("last_mailed_at", filter=Q(last_mailed_at__gt=cutoff)),
    )
    days = settings.INVITATION_RESEND_MIN_DAYS
    first = counts["first_recent"]
    return ResendCounts(
        ready=counts["ready"],
        too_recent=counts["too_recent"],
        next_ready_at=first + timedelta(days=days) if first else None,
        min_days=days,
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
            invitable_q("participant__"),
            reminded_at__isnull=True,
            expires_at__gt=now + timedelta(days=1),
        )
        .exclude(wave__status=Wave.Status.CANCELLED)
        .exclude(Exists(InvitationReminder.objects.filter(invitation=OuterRef("pk"))))
        .order_by("pk")
    )


# --- invitation requests: who on the roster the person may be ----------------------------------


def _name_parts(*names: str) -> set[str]:
    return {part.lower() for part in re.split(r"[\s\-'.,]+", " ".join(names)) if len(part) >= 2}


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _points(value: int, condition) -> Case:
    return Case(When(condition, then=Value(value)), default=Value(0))


def _with_match_flags(
    participants: QuerySet[Participant], request_row: InvitationRequest
) -> QuerySet[Participant]:
    """Annotate each participant with what it shares with the request (`match_*` flags) and the
    weight of that evidence (`match_score`)."""
    email = request_row.email.strip().lower()
    local_part = email.split("@")[0]
    first = request_row.first_name.strip()
    last = request_row.last_name.strip()
    country = str(request_row.home_country or "")
    nothing = Q(pk__in=[])
    same_first = Q(first_name__iexact=first) if first else nothing
    same_last = Q(last_name__iexact=last) if last else nothing
    same_country = Q(home_country=country) if country else nothing
    same_local_part = Q(email__startswith=f"{local_part}@") if local_part else nothing
    exchanges = Exchange.objects.filter(participant=OuterRef("pk"))
    same_year = (
        Exists(exchanges.filter(year=request_row.exchange_year))
        if request_row.exchange_year
        else Value(False)
    )
    organisation = request_row.partner_organisation.strip()
    same_organisation = (
        Exists(exchanges.filter(partner_organisation__iexact=organisation))
        if organisation
        else Value(False)
    )
    return participants.annotate(
        match_name_and_country=_flag(same_first & same_last & same_country),
        match_address=_flag(Q(email=email)),
        match_local_part=_flag(same_local_part & ~Q(email=email)),
        match_first_name=_flag(same_first),
        match_last_name=_flag(same_last),
        match_country=_flag(same_country),
        match_year=same_year,
        match_organisation=same_organisation,
    ).annotate(
        match_score=_points(50, Q(match_address=True))
        + _points(20, Q(match_year=True))
        + _points(20, Q(match_organisation=True))
        + _points(15, Q(match_local_part=True))
        + _points(10, Q(match_last_name=True))
        + _points(5, Q(match_first_name=True))
        + _points(3, Q(match_country=True))
    )


def invitation_request_matches(
    *, invitation_request: InvitationRequest, limit: int = 10
) -> QuerySet[Participant]:
    """Roster participants who may be the person behind a request, best first.

    Candidates (simple, indexed conditions; no fuzzy matching is installed): the same address,
    the same address before the @ (`email` has a pattern index), or a name part equal to the
    first or last name within the same home country (the country index narrows the scan).

    Ranking: the same first and last name in the same home country comes first, whatever else
    matches (a look-alike elsewhere must never top the list); then the weight of the evidence:
    same address, exchange year, partner organisation, address before the @, last name, first
    name, country. Each row carries its `match_*` flags for `match_evidence`.
    """
    request_row = invitation_request
    email = request_row.email.strip().lower()
    local_part = email.split("@")[0]
    country = str(request_row.home_country or "")
    parts = _name_parts(request_row.first_name, request_row.last_name)
    condition = Q(email=email)
    if local_part:
        condition |= Q(email__startswith=f"{local_part}@")
    if parts and country:
        name_condition = Q()
        for part in parts:
            name_condition |= Q(first_name__iexact=part) | Q(last_name__iexact=part)
        condition |= Q(home_country=country) & name_condition
    return (
        _with_match_flags(Participant.objects.filter(condition), request_row)
        .select_related("user")
        .prefetch_related("exchanges")
        .order_by("-match_name_and_country", "-match_score", "last_name", "first_name", "pk")[
            :limit
        ]
    )


def invitation_request_match_get(
    *, invitation_request: InvitationRequest, participant_id: int
) -> Participant | None:
    """One participant with its `match_*` flags against the request (for the confirmation page,
    whether or not it was among the suggestions)."""
    return (
        _with_match_flags(Participant.objects.filter(pk=participant_id), invitation_request)
        .select_related("user")
        .prefetch_related("exchanges")
        .first()
    )


def match_evidence(participant: Participant, invitation_request: InvitationRequest) -> list[dict]:
    """What a suggested participant has in common with the request, strongest first:
    [{"label", "strong"}], read from the flags `invitation_request_matches` annotates."""
    evidence = []

    def add(label, strong: bool = False) -> None:
        evidence.append({"label": label, "strong": strong})

    if participant.match_name_and_country:
        add(_("same first and last name, same home country"), strong=True)
    if participant.match_address:
        add(_("same email address"), strong=True)
    if participant.match_year:
        add(_("an exchange in %(year)s") % {"year": invitation_request.exchange_year})
    if participant.match_organisation:
        add(_("same partner organisation"))
    if participant.match_local_part:
        add(_("same address before the @"))
    if not participant.match_name_and_country:
        if participant.match_first_name and participant.match_last_name:
            add(_("same first and last name"))
        elif participant.match_last_name:
            add(_("same last name"))
        elif participant.match_first_name:
            add(_("same first name"))
        elif _name_parts(participant.first_name, participant.last_name) & _name_parts(
            invitation_request.first_name, invitation_request.last_name
        ):
            add(_("a part of the name in common"))
        if participant.match_country:
            add(_("same home country"))
    return evidence
