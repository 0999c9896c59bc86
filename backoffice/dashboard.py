"""The network at a glance: the figures on the admin's first page.

The back office may read every app (the apps never read it), so the dashboard lives here. Each
panel costs a fixed number of queries, however large the roster: aggregates in the database, never
a loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from django.core.cache import cache
from django.db.models import BooleanField
from django.db.models import Count
from django.db.models import ExpressionWrapper
from django.db.models import Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries as country_names

from activities.models import Activity
from activities.models import Registration
from backoffice.charts import Bar
from backoffice.charts import bar_chart
from backoffice.charts import format_count
from backoffice.charts import format_percent
from backoffice.charts import funnel_chart
from backoffice.charts import line_chart
from backoffice.community_panel import community_panel
from core.monthly_plan import MonthPlan
from core.monthly_plan import PlanSource
from core.monthly_plan import plan_for_year
from core.monthly_plan import plan_sources
from core.outbound import pace
from core.outbound.pace import ProgressPace
from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.models import Wave
from invitations.pace import UNDER_WAY
from invitations.pace import wave_pace
from invitations.selectors import invitation_progress_conditions
from invitations.selectors import waves_pending_zones
from invitations.selectors import waves_with_progress
from members.models import Participant
from members.models import bad_address_q
from newsletters.models import Newsletter
from newsletters.pace import newsletter_pace
from newsletters.selectors import newsletter_progress

# The roster Norec has sent abroad since 1963: the line the registrations chart measures against.
ROSTER_GOAL_LABEL = gettext_lazy("On the roster")


@dataclass(frozen=True)
class MembersPanel:
    roster: int
    registered: int
    new_this_week: int
    bad_addresses: int
    chart: str

    @property
    def registered_share(self) -> float:
        return self.registered / self.roster if self.roster else 0.0


def _month_starts(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def members_panel(*, today: date) -> MembersPanel:
    """Two queries. The roster's totals read the participant table alone; the join with the
    accounts (who registered when) is made once, for the chart, which also tells who joined this
    week."""
    week_ago = today - timedelta(days=7)
    totals = Participant.objects.aggregate(
        roster=Count("id"),
        registered=Count("id", filter=Q(user__isnull=False)),
        bad_addresses=Count("id", filter=bad_address_q()),
    )
    by_month: dict[date, int] = {}
    totals["new_this_week"] = 0
    joined = (
        Participant.objects.filter(user__isnull=False)
        .annotate(
            month=TruncMonth("user__date_joined"),
            this_week=ExpressionWrapper(
                Q(user__date_joined__date__gt=week_ago), output_field=BooleanField()
            ),
        )
        .values_list("month", "this_week")
        .annotate(joined=Count("id"))
        .order_by()
    )
    for month, this_week, n in joined:
        month = month.date() if hasattr(month, "date") else month
        by_month[month] = by_month.get(month, 0) + n
        if this_week:
            totals["new_this_week"] += n
    points: list[tuple[date, int]] = []
    if by_month:
        # Registrations before the chart's first month count in its starting point.
        first = max(min(by_month), (today.replace(day=1) - timedelta(days=365 * 2)).replace(day=1))
        running = sum(n for month, n in by_month.items() if month < first)
        for month in _month_starts(first, today):
            running += by_month.get(month, 0)
            points.append((month, running))
    chart = line_chart(
        points,
        title=_("Registered members over time"),
        target=totals["roster"],
        target_label=ROSTER_GOAL_LABEL,
    )
    return MembersPanel(chart=chart, **totals)


def bad_addresses_url() -> str:
    return (
        reverse("admin:members_participant_changelist") + "?" + urlencode({"email_status": "bad"})
    )


# --- Invitations


@dataclass(frozen=True)
class CountryInvitations:
    """People of one home country: on the roster, and how far their invitations got. A person
    invited in two waves counts once."""

    code: str
    name: str
    roster: int
    invited: int
    delivered: int
    bounced: int
    accepted: int

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.invited if self.invited else 0.0

    @property
    def acceptance_percent(self) -> int:
        return round(100 * self.acceptance_rate)

    @property
    def not_yet_invited(self) -> bool:
        return self.invited == 0


@dataclass(frozen=True)
class WaveFunnel:
    wave: Wave
    invitations: int
    sent: int
    delivered: int
    bounced: int
    accepted: int
    chart: str
    # The current rate and the time left, while invitations wait (invitations.pace).
    pace: ProgressPace | None = None


@dataclass(frozen=True)
class InvitationsPanel:
    countries: list[CountryInvitations]
    chart: str
    waves: list[WaveFunnel]
    open_requests: int

    @property
    def countries_not_invited(self) -> int:
        return sum(1 for country in self.countries if country.not_yet_invited)


def _people(condition: Q) -> Count:
    return Count("participant_id", filter=condition, distinct=True)


RECENT_WAVES = 20


def invitations_panel(*, now: datetime | None = None) -> InvitationsPanel:
    """Four queries: the roster by country, invitations by country, the latest waves, requests;
    a fifth, the waiting invitations per time zone, while a wave is under way. Invitations are
    counted as the wave page counts them (`invitation_progress_conditions`)."""
    now = now or timezone.now()
    progress = invitation_progress_conditions()
    roster = dict(
        Participant.objects.exclude(home_country="")
        .values_list("home_country")
        .annotate(n=Count("id"))
        .values_list("home_country", "n")
    )
    by_country = {
        row["participant__home_country"]: row
        for row in Invitation.objects.values("participant__home_country").annotate(
            # Handed to the mail server: the point from which an invitation counts as "invited".
            invited=_people(progress["sent"]),
            delivered=_people(progress["delivered"]),
            bounced=_people(progress["bounced"]),
            accepted=_people(progress["accepted"]),
        )
    }
    rows = []
    for code, on_roster in roster.items():
        figures = by_country.get(code, {})
        rows.append(
            CountryInvitations(
                code=code,
                name=str(country_names.name(code) or code),
                roster=on_roster,
                invited=figures.get("invited", 0),
                delivered=figures.get("delivered", 0),
                bounced=figures.get("bounced", 0),
                accepted=figures.get("accepted", 0),
            )
        )
    # Countries not yet invited first (they are the next waves), then the largest rosters.
    rows.sort(key=lambda row: (not row.not_yet_invited, -row.roster, row.name))
    chart = bar_chart(
        [
            Bar(
                row.name,
                row.roster,
                note=_("not yet invited")
                if row.not_yet_invited
                else _("%(invited)s invited, %(percent)s accepted")
                % {
                    "invited": format_count(row.invited),
                    "percent": format_percent(row.acceptance_rate),
                },
                highlight=row.not_yet_invited,
            )
            for row in rows
        ],
        title=_("People on the roster per home country, and how far their invitations got"),
    )
    latest = Wave.objects.exclude(status__in=[Wave.Status.DRAFT]).order_by("-launched_at", "-id")
    # Count the latest waves' invitations only, not every wave's before keeping twenty.
    waves = list(
        waves_with_progress(
            latest.filter(pk__in=latest.values("pk")[:RECENT_WAVES]), recent_since=now - pace.RECENT
        ).order_by("-launched_at", "-id")
    )
    under_way = [wave.pk for wave in waves if wave.status in UNDER_WAY and wave.progress_pending]
    pending_zones = waves_pending_zones(wave_ids=under_way) if under_way else {}
    funnels = [
        WaveFunnel(
            wave=wave,
            invitations=wave.progress_total,
            sent=wave.progress_sent,
            delivered=wave.progress_delivered,
            bounced=wave.progress_bounced,
            accepted=wave.progress_accepted,
            chart=funnel_chart(
                [
                    (_("Invitations"), wave.progress_total),
                    (_("Sent"), wave.progress_sent),
                    (_("Delivered"), wave.progress_delivered),
                    (_("Accepted"), wave.progress_accepted),
                ],
                title=_("Wave %(name)s") % {"name": wave.name},
                width=480,
            ),
            pace=wave_pace(
                wave=wave,
                sent_recently=wave.progress_recent,
                pending_zones=pending_zones.get(wave.pk, {}),
                now=now,
            ),
        )
        for wave in waves
    ]
    open_requests = InvitationRequest.objects.filter(status=InvitationRequest.Status.OPEN).count()
    return InvitationsPanel(countries=rows, chart=chart, waves=funnels, open_requests=open_requests)


def open_requests_url() -> str:
    return (
        reverse("admin:invitations_invitationrequest_changelist")
        + "?"
        + urlencode({"status": InvitationRequest.Status.OPEN})
    )


# --- Activities and the monthly plan

NEXT_ACTIVITIES = 6


def next_activities(*, now) -> list[Activity]:
    """The next published activities that have not ended, with `confirmed` and `waitlisted`
    counts annotated: one query."""
    return list(
        Activity.objects.filter(status=Activity.Status.PUBLISHED, ends_at__gt=now)
        .annotate(
            confirmed=Count(
                "registrations", filter=Q(registrations__status__in=Registration.SEAT_STATUSES)
            ),
            waitlisted=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
            ),
        )
        .defer("description")
        .order_by("starts_at", "id")[:NEXT_ACTIVITIES]
    )


@dataclass(frozen=True)
class PlanPanel:
    year: int
    sources: list[PlanSource]
    months: list[MonthPlan]

    @property
    def rows(self) -> list[tuple[MonthPlan, list[list]]]:
        """(month, [its items of each source, in the order of `sources`]) for a table."""
        return [
            (month, [month.items.get(source.name, []) for source in self.sources])
            for month in self.months
        ]

    @property
    def months_missing_something(self) -> int:
        return sum(1 for month in self.months if not month.is_complete)


def may_see_plan(user) -> bool:
    """The plan shows activities and newsletters: staff who see either see it."""
    return user.has_perm("activities.view_activity") or user.has_perm("newsletters.view_newsletter")


def plan_panel(*, today: date) -> PlanPanel:
    """This year's monthly plan: the goal is at least one activity and one newsletter a month."""
    return PlanPanel(year=today.year, sources=plan_sources(), months=plan_for_year(today.year))


# --- Newsletters


@dataclass(frozen=True)
class NewsletterPanel:
    newsletter: Newsletter
    progress: dict  # newsletters.selectors.newsletter_progress: counts per delivery status
    chart: str
    # The current rate and the time left, while it sends (newsletters.pace).
    pace: ProgressPace | None = None


def last_newsletter_panel() -> NewsletterPanel | None:
    """The newsletter whose sending started last, with its delivery figures; two queries."""
    newsletter = (
        Newsletter.objects.filter(started_at__isnull=False)
        .only(
            "pk",
            "subject",
            "month",
            "status",
            "started_at",
            "sent_at",
            "recipient_count",
            "rate_per_hour",
        )
        .order_by("-started_at", "-pk")
        .first()
    )
    if newsletter is None:
        return None
    now = timezone.now()
    progress = newsletter_progress(newsletter=newsletter, now=now)
    chart = funnel_chart(
        [
            (_("Recipients"), progress["total"]),
            (_("Handed to the mail service"), progress["sent"] + progress["bounced"]),
            (_("Delivered (confirmed)"), progress["delivered"]),
        ],
        title=_("Newsletter %(subject)s") % {"subject": newsletter.subject},
        width=480,
    )
    return NewsletterPanel(
        newsletter=newsletter,
        progress=progress,
        chart=chart,
        pace=newsletter_pace(newsletter=newsletter, progress=progress, now=now),
    )


# --- Counted a moment ago

# The whole-roster panels (members, invitations, the last newsletter) scan every participant,
# invitation and delivery: at 100,000 people that is most of a second of database time. Staff
# read them as a picture of the network, so each is counted at most once per FIGURES_MAX_AGE, kept
# in the cache (Redis in production, shared by every web process), and the page says when it was
# counted and offers to count again. No write invalidates them: a wave sends thousands of rows a
# minute through bulk updates, and the age on the page is the honest promise.
FIGURES_MAX_AGE = timedelta(minutes=2)


@dataclass(frozen=True)
class Counted:
    panel: object
    at: datetime


def _counted(name: str, count: Callable[[], object], *, today: date, recount: bool) -> Counted:
    """`count()`, or what it gave less than FIGURES_MAX_AGE ago. The key holds what the panel's
    text and months depend on: the day, the language (chart labels, country names) and the time
    zone (which month a registration falls in)."""
    key = ":".join(
        [
            "backoffice:dashboard",
            name,
            today.isoformat(),
            get_language() or "",
            timezone.get_current_timezone_name(),
        ]
    )
    counted = None if recount else cache.get(key)
    if counted is None:
        counted = Counted(panel=count(), at=timezone.now())
        cache.set(key, counted, timeout=FIGURES_MAX_AGE.total_seconds())
    return counted


def dashboard_context(*, today: date, user=None, recount: bool = False) -> dict:
    """The panels `user` may see: each needs the view permission of what it counts (an activity
    staff account sees no invitation figures). Without a user (tests, benchmarks), all panels.
    The whole-roster panels come from the cache when counted less than FIGURES_MAX_AGE ago
    (`recount` counts them again); `figures_counted_at` is when the oldest of them was counted."""

    def allowed(permission: str) -> bool:
        return user is None or user.has_perm(permission)

    counted: list[Counted] = []

    def panel(name: str, count: Callable[[], object]):
        counted.append(_counted(name, count, today=today, recount=recount))
        return counted[-1].panel

    context: dict = {"members_panel": panel("members", lambda: members_panel(today=today))}
    if allowed("members.view_participant"):
        context["bad_addresses_url"] = bad_addresses_url()
    if allowed("invitations.view_invitation"):
        context["invitations_panel"] = panel("invitations", invitations_panel)
        if allowed("invitations.view_invitationrequest"):
            context["open_requests_url"] = open_requests_url()
    if allowed("activities.view_activity"):
        context["next_activities"] = next_activities(now=timezone.now())
    if allowed("newsletters.view_newsletter"):
        context["newsletters_visible"] = True
        context["newsletter_panel"] = panel("newsletter", last_newsletter_panel)
    context["figures_counted_at"] = min(item.at for item in counted)
    context["figures_max_age_minutes"] = int(FIGURES_MAX_AGE.total_seconds() // 60)
    if allowed("community.view_post"):
        context["community_panel"] = community_panel(today=today)
    if user is None or may_see_plan(user):
        context["plan_panel"] = plan_panel(today=today)
    return context
