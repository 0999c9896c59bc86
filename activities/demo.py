"""Demo activities for `manage.py seed_demo`: a believable year around today.

A webinar every month (second Tuesday, 13:00 in Oslo), the first physical meetings in Nairobi and
Kathmandu (past, with slides and a recording), two digital meetings (in Spanish and English, in
French), an e-learning course in three languages, a coming meeting in Maputo (in Portuguese and
English) and a draft; the rest are in English. Re-runnable: activities are found again by title
and start. Registrations are written directly (no mails for invented people), a few per activity.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from activities.models import Activity
from activities.models import Material
from activities.models import Registration
from activities.services import activity_open_discussion
from members.models import Participant

WEBINAR_TOPICS = [
    "Working with local partners",
    "Monitoring and evaluation on a small budget",
    "Coming home: using what you learned",
    "Digital tools for health workers",
    "Youth leadership in practice",
    "Writing a good project proposal",
    "Climate adaptation in farming communities",
    "Mentoring across borders",
    "Gender equality in the workplace",
    "Teaching with few resources",
    "Building a professional network",
    "Public speaking for experts",
    "Water and sanitation projects that last",
]

DESCRIPTION = """Join former exchange participants from across the network for one hour.

**What you will get**

- a short talk by a member who works on this every day
- questions and answers
- time to meet others in small groups

The session is in simple English. The recording is shared afterwards with registered members.
"""


def _at(day: datetime.date, hour: int, minute: int, zone: str) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone)
    )


def _second_tuesday(month: datetime.date) -> datetime.date:
    first = month.replace(day=1)
    offset = (1 - first.weekday()) % 7  # Tuesday is 1
    return first + datetime.timedelta(days=offset + 7)


def _ensure(title: str, starts_at: datetime.datetime, **fields) -> tuple[Activity, bool]:
    activity = Activity.objects.filter(title=title, starts_at=starts_at).first()
    if activity:
        return activity, False
    status = fields.pop("status", Activity.Status.PUBLISHED)
    activity = Activity.objects.create(
        title=title,
        starts_at=starts_at,
        status=status,
        published_at=timezone.now() if status == Activity.Status.PUBLISHED else None,
        **fields,
    )
    if status == Activity.Status.PUBLISHED:
        activity_open_discussion(activity=activity)
    return activity, True


def _register(activity: Activity, people: list[Participant], past: bool) -> int:
    added = 0
    status = Registration.Status.ATTENDED if past else Registration.Status.CONFIRMED
    for person in people:
        _registration, created = Registration.objects.get_or_create(
            activity=activity,
            participant=person,
            defaults={"status": status, "confirmed_at": timezone.now()},
        )
        added += created
    return added


@transaction.atomic
def seed_activities() -> str:
    today = timezone.localdate()
    this_month = today.replace(day=1)
    members = list(
        Participant.objects.filter(user__isnull=False, participant_id__startswith="DEMO-")
        .select_related("user")
        .order_by("id")[:25]
    )
    demo_member = next((m for m in members if m.user.email == "member@norec.test"), None)
    rng = random.Random(1963)
    created = registrations = 0
    planned: list[tuple[Activity, bool]] = []

    for offset in range(-6, 7):
        month = this_month + relativedelta(months=offset)
        day = _second_tuesday(month)
        start = _at(day, 13, 0, "Europe/Oslo")
        activity, new = _ensure(
            f"Webinar: {WEBINAR_TOPICS[(month.month - 1) % len(WEBINAR_TOPICS)]}",
            start,
            kind=Activity.Kind.WEBINAR,
            description=DESCRIPTION,
            organiser="Norec Network",
            ends_at=start + datetime.timedelta(hours=1),
            time_zone="Europe/Oslo",
            online_url="https://meet.example.org/norec-webinar",
            capacity=150,
        )
        created += new
        planned.append((activity, start < timezone.now()))

    nairobi_day = this_month - relativedelta(months=4) + datetime.timedelta(days=14)
    nairobi, new = _ensure(
        "Network meeting in Nairobi",
        _at(nairobi_day, 9, 0, "Africa/Nairobi"),
        kind=Activity.Kind.PHYSICAL,
        description="The first physical meeting of Norec Network: a day of talks, "
        "workshops and dinner together.\n\nLunch and dinner are included.",
        organiser="Norec with alumni in Kenya",
        ends_at=_at(nairobi_day, 17, 0, "Africa/Nairobi"),
        time_zone="Africa/Nairobi",
        place="Kenya School of Government, Lower Kabete Road",
        city="Nairobi",
        country="KE",
        capacity=60,
    )
    created += new
    planned.append((nairobi, True))

    nepal_day = this_month - relativedelta(months=2) + datetime.timedelta(days=20)
    nepal, new = _ensure(
        "Network meeting in Kathmandu",
        _at(nepal_day, 10, 0, "Asia/Kathmandu"),
        kind=Activity.Kind.PHYSICAL,
        description="Former participants from Nepal, Bangladesh and Sri Lanka meet for a day.",
        organiser="Norec with alumni in Nepal",
        ends_at=_at(nepal_day, 16, 0, "Asia/Kathmandu"),
        time_zone="Asia/Kathmandu",
        place="Hotel Himalaya, Kupondole",
        city="Kathmandu",
        country="NP",
        capacity=40,
    )
    created += new
    planned.append((nepal, True))

    for activity in (nairobi, nepal):
        for index, (title, url) in enumerate(
            [
                ("Slides (PDF)", "https://files.example.org/slides.pdf"),
                ("Recording", "https://video.example.org/recording"),
            ]  # fmt: skip
        ):
            Material.objects.get_or_create(
                activity=activity, title=title, defaults={"url": url, "order": index}
            )

    course_day = this_month + relativedelta(months=1) + datetime.timedelta(days=2)
    course, new = _ensure(
        "E-learning: project management basics",
        _at(course_day, 8, 0, "Europe/Oslo"),
        kind=Activity.Kind.ELEARNING,
        description="Four weeks, about two hours a week, at your own pace, in English, French "
        "or Portuguese. A certificate at the end.",
        organiser="Norec Academy",
        languages=["en", "fr", "pt"],
        ends_at=_at(course_day + datetime.timedelta(days=28), 20, 0, "Europe/Oslo"),
        time_zone="Europe/Oslo",
        online_url="https://learn.example.org/norec-pm",
    )
    created += new
    planned.append((course, False))

    digital_day = this_month + relativedelta(months=1) + datetime.timedelta(days=17)
    digital, new = _ensure(
        "Digital meeting: alumni in Latin America",
        _at(digital_day, 16, 0, "America/La_Paz"),
        kind=Activity.Kind.DIGITAL,
        description="A meeting in Spanish and English for members in Latin America.",
        languages=["es", "en"],
        organiser="Norec Network",
        ends_at=_at(digital_day, 17, 30, "America/La_Paz"),
        time_zone="America/La_Paz",
        online_url="https://meet.example.org/latam",
        capacity=30,
    )
    created += new
    planned.append((digital, False))

    francophone_day = this_month + relativedelta(months=2) + datetime.timedelta(days=5)
    francophone, new = _ensure(
        "Digital meeting: alumni in Madagascar and West Africa",
        _at(francophone_day, 14, 0, "Africa/Abidjan"),
        kind=Activity.Kind.DIGITAL,
        description="A meeting in French for members in Madagascar, Senegal, Côte d'Ivoire "
        "and their neighbours.",
        organiser="Norec Network",
        languages=["fr"],
        ends_at=_at(francophone_day, 15, 30, "Africa/Abidjan"),
        time_zone="Africa/Abidjan",
        online_url="https://meet.example.org/afrique",
        capacity=40,
    )
    created += new
    planned.append((francophone, False))

    maputo_day = this_month + relativedelta(months=3) + datetime.timedelta(days=9)
    maputo, new = _ensure(
        "Network meeting in Maputo",
        _at(maputo_day, 9, 0, "Africa/Maputo"),
        kind=Activity.Kind.PHYSICAL,
        description="A day for members in southern Africa.",
        organiser="Norec with alumni in Mozambique",
        languages=["pt", "en"],
        ends_at=_at(maputo_day, 17, 0, "Africa/Maputo"),
        time_zone="Africa/Maputo",
        place="Centro Cultural Universitário",
        city="Maputo",
        country="MZ",
        capacity=50,
    )
    created += new
    planned.append((maputo, False))

    draft_day = _second_tuesday(this_month + relativedelta(months=7))
    _draft, new = _ensure(
        "Webinar: topic to be decided",
        _at(draft_day, 13, 0, "Europe/Oslo"),
        kind=Activity.Kind.WEBINAR,
        ends_at=_at(draft_day, 14, 0, "Europe/Oslo"),
        time_zone="Europe/Oslo",
        online_url="https://meet.example.org/norec-webinar",
        status=Activity.Status.DRAFT,
    )
    created += new

    if members:
        for activity, past in planned:
            people = rng.sample(members, k=min(len(members), rng.randint(4, 12)))
            if demo_member and demo_member not in people and rng.random() < 0.5:
                people.append(demo_member)
            registrations += _register(activity, people, past)

    return f"{created} activities and {registrations} registrations added"
