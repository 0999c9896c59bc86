"""Reads for the activity pages: what a visitor or member may see, with what each page shows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.db.models import Q
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from activities.languages import held_in
from activities.models import Activity
from activities.models import Material
from activities.models import Registration
from core.monthly_plan import PlanItem
from members.models import Participant


@dataclass(frozen=True)
class ActivityFilters:
    kind: str = ""
    month: datetime.date | None = None  # first day of the month
    country: str = ""
    mode: str = ""  # "online", "physical" or ""
    language: str = ""  # a code of activities.languages: held in it (among others)


def _visible(*, participant: Participant | None) -> QuerySet[Activity]:
    qs = Activity.objects.filter(status=Activity.Status.PUBLISHED)
    if participant is None:
        qs = qs.filter(is_public=True)
    return qs


def _with_counts(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.annotate(
        seats_taken=Count(
            "registrations", filter=Q(registrations__status__in=Registration.SEAT_STATUSES)
        ),
    )


def activity_list_upcoming(
    *, participant: Participant | None, filters: ActivityFilters | None = None
) -> QuerySet[Activity]:
    """Published activities that have not ended, soonest first; anonymous visitors see the public
    ones only."""
    filters = filters or ActivityFilters()
    qs = _visible(participant=participant).filter(ends_at__gt=timezone.now())
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.month:
        qs = qs.filter(starts_at__year=filters.month.year, starts_at__month=filters.month.month)
    if filters.country:
        qs = qs.filter(country=filters.country)
    if filters.mode == "online":
        qs = qs.filter(place="", city="")
    elif filters.mode == "physical":
        qs = qs.exclude(place="", city="")
    if filters.language:
        qs = qs.filter(held_in(filters.language))
    return _with_counts(qs.defer("description")).order_by("starts_at", "id")


def activity_countries_upcoming(*, participant: Participant | None) -> list[str]:
    """The countries that upcoming activities take place in, for the filter's choices."""
    return list(
        _visible(participant=participant)
        .filter(ends_at__gt=timezone.now())
        .exclude(country="")
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    )


def activity_list_past(*, participant: Participant | None) -> QuerySet[Activity]:
    return (
        _visible(participant=participant)
        .filter(ends_at__lte=timezone.now())
        .defer("description")
        .prefetch_related("materials")
        .order_by("-starts_at", "-id")
    )


def activity_get_visible(*, pk: int, participant: Participant | None) -> Activity | None:
    """A published (or cancelled, so members see that it was) activity; drafts are never shown."""
    qs = Activity.objects.filter(status__in=(Activity.Status.PUBLISHED, Activity.Status.CANCELLED))
    if participant is None:
        qs = qs.filter(is_public=True)
    return _with_counts(qs).prefetch_related("materials").filter(pk=pk).first()


def material_file_for(*, name: str, user) -> tuple[Material | None, bool]:
    """The material whose uploaded file is stored under `name`, and whether `user` may have it:
    members with a seat at its activity (confirmed, or attended), and staff who may see
    materials in the back office. Anyone else, the waitlist included, may not."""
    material = Material.objects.select_related("activity").filter(file=name).first()
    if material is None or not user.is_authenticated:
        return material, False
    if user.is_staff and user.has_perm("activities.view_material"):
        return material, True
    if material.activity.status == Activity.Status.DRAFT:
        return material, False
    allowed = Registration.objects.filter(
        activity=material.activity, participant__user=user, status__in=Registration.SEAT_STATUSES
    ).exists()
    return material, allowed


def registration_for(*, activity: Activity, participant: Participant | None) -> Registration | None:
    if participant is None:
        return None
    return Registration.objects.filter(activity=activity, participant=participant).first()


def registrations_by_activity(
    *, participant: Participant | None, activity_ids: list[int]
) -> dict[int, Registration]:
    if participant is None or not activity_ids:
        return {}
    return {
        registration.activity_id: registration
        for registration in Registration.objects.filter(
            participant=participant, activity_id__in=activity_ids
        )
    }


def registration_list_for_member(*, participant: Participant, upcoming: bool) -> QuerySet:
    now = timezone.now()
    qs = (
        Registration.objects.filter(participant=participant)
        .exclude(status=Registration.Status.CANCELLED)
        .exclude(activity__status=Activity.Status.DRAFT)
        .select_related("activity")
        .defer("activity__description")
    )
    if upcoming:
        return qs.filter(activity__ends_at__gt=now).order_by("activity__starts_at")
    return qs.filter(activity__ends_at__lte=now).order_by("-activity__starts_at")


def feed_activities(*, participant: Participant) -> QuerySet[Activity]:
    """What a member's calendar feed holds: what they are registered for, cancelled ones too
    (so calendars drop them), from a month back."""
    since = timezone.now() - datetime.timedelta(days=31)
    return Activity.objects.filter(
        registrations__participant=participant,
        registrations__status__in=Registration.ACTIVE_STATUSES,
        status__in=(Activity.Status.PUBLISHED, Activity.Status.CANCELLED),
        ends_at__gte=since,
    ).order_by("starts_at")


def plan_items_for_year(year: int) -> dict:
    """For the monthly plan: published activities by month of the year (in the site's zone)."""
    by_month: dict[int, list] = {}
    activities = (
        Activity.objects.filter(status=Activity.Status.PUBLISHED, starts_at__year=year)
        .only("id", "title", "kind", "starts_at", "city", "languages")
        .order_by("starts_at")
    )
    for activity in activities:
        local = timezone.localtime(activity.starts_at)
        if local.year != year:
            continue
        by_month.setdefault(local.month, []).append(
            PlanItem(
                title=activity.title,
                date=local.date(),
                url=reverse("admin:activities_activity_change", args=[activity.pk]),
                # Absolute: newsletters put it in mail, where a path leads nowhere.
                public_url=f"{settings.SITE_URL}{activity.get_absolute_url()}",
                note=activity.get_kind_display(),
                languages=tuple(activity.languages),
            )
        )
    return by_month
