"""Demo data for the community (`manage.py seed_demo`): the network room, the Uganda branch with
its committee (committee@norec.test, and the demo's Ugandan members) and room, a few tags,
topics and replies. Safe to re-run: only what is missing is added (topics are found by title)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from community import services
from community.models import Branch
from community.models import CommunityMember
from community.models import Post
from community.models import Topic
from members.demo import COMMITTEE
from members.models import Participant

TAGS = ["Health", "Education", "Courses and webinars", "Jobs and opportunities", "Events"]

# (room: "network" or "uganda", title, tag, text, replies)
TOPICS = [
    (
        "network",
        "Good tools for remote teaching with a weak connection?",
        "Education",
        "Our school moved part of its classes online, but many students join from a phone "
        "with little data. What has worked for you?",
        [
            "We record short audio lessons and share them on WhatsApp: they are small and "
            "students listen offline.",
            "Moodle's mobile app can download a course for offline use. It saved us a lot.",
        ],
    ),
    (
        "network",
        "Looking for a partner organisation in nutrition",
        "Health",
        "I work on child nutrition in a district hospital and would like to exchange with "
        "colleagues who run **community kitchens**. Anyone?",
        ["Write to me through the directory: we run two kitchens in Kisumu."],
    ),
    (
        "uganda",
        "Branch meeting in Kampala: what should we plan first?",
        "Events",
        "The committee is preparing our first branch meeting. Tell us which themes you would "
        "like and which month suits you.",
        [
            "A session on writing grant applications would help many of us.",
            "After the rainy season is better for those of us coming from Gulu.",
        ],
    ),
]


def _author(people: list[Participant], index: int) -> Participant | None:
    return people[index % len(people)] if people else None


@transaction.atomic
def seed_community() -> str:
    network = services.network_room()
    branch = Branch.objects.filter(slug="uganda").first()
    if branch is None:
        branch = Branch.objects.create(name="Uganda", slug="uganda", countries=["UG"])
    members = list(
        Participant.objects.filter(user__isnull=False, participant_id__startswith="DEMO-")
        .select_related("user")
        .order_by("id")[:25]
    )
    ugandans = [member for member in members if member.home_country.code == "UG"]
    if ugandans and not branch.committee.exists():
        branch.committee.set(ugandans[:2])
    # The demo's committee member (committee@norec.test, from Uganda) moderates the branch's
    # room: pins, approves held posts, hides and sends announcements from the member pages.
    committee_member = (
        Participant.objects.filter(user__email__iexact=COMMITTEE[0], deleted_at__isnull=True)
        .select_related("user")
        .first()
    )
    if committee_member is not None:
        branch.committee.add(committee_member)
        if committee_member not in members:
            members.append(committee_member)
    uganda = services.branch_room_ensure(branch=branch)
    for member in members:
        services.follows_ensure_defaults(participant=member)
    # Demo members have posted before: their posts are not held.
    CommunityMember.objects.filter(participant__in=members).update(
        accepted_conduct_at=timezone.now(), posts_approved=services.NEW_MEMBER_HELD_POSTS
    )
    tags = {name: services.tag_create(name=name) for name in TAGS}
    rooms = {"network": network, "uganda": uganda}
    created = 0
    for number, (room_key, title, tag, text, replies) in enumerate(TOPICS):
        if Topic.objects.filter(title=title).exists() or not members:
            continue
        authors = ugandans if room_key == "uganda" and ugandans else members
        topic = services.topic_create(
            participant=_author(authors, number),
            room=rooms[room_key],
            title=title,
            text=text,
            tag=tags[tag],
            accept_conduct=True,
        )
        for offset, reply in enumerate(replies, start=1):
            services.post_reply(
                participant=_author(members, number * 3 + offset),
                topic=topic,
                text=reply,
                accept_conduct=True,
            )
        created += 1
    # Spread the demo conversations over the last days, so the lists show a believable order.
    new_topics = Topic.objects.filter(title__in=[t[1] for t in TOPICS]) if created else []
    for age, topic in enumerate(new_topics):
        when = timezone.now() - datetime.timedelta(days=age + 1)
        Post.objects.filter(topic=topic).update(created_at=when)
        Topic.objects.filter(pk=topic.pk).update(created_at=when, last_activity_at=when)
    return f"{created} topics added; the network room and the Uganda branch ({uganda.name}) ready"
