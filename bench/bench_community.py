"""Benchmark: the community's member pages at 100,000 posts in 500 topics (issue 13).

A network room and three branch rooms, 500 topics (one of them with 2,000 replies), 100,000 posts
by 3,000 members (a few very active, a long tail) among a roster of 100,000 participants, about
1 % of the posts hidden, a few waiting for approval, a few hidden or held topics, tags on most
topics, images rare, a little Markdown.
Times, through Django's test client as a logged-in member (middleware, queries, templates): the
room list, a room's topic list (page 1 and its last page), the big topic (page 1 and its last
page) and a search. Prints p50, p95, this process's CPU per request (templates and Python, not
the database's; the machine's other load does not change it), the number of SQL queries (which
must not grow with the data) and the page's HTML gzipped as the site serves it. Target: p95 at
most 50 ms; a topic page in the 5-15 KB order. Scratch database `norec_bench_community`
(`BENCH_KEEP_DB=1` keeps it and reuses it next time).
"""

import contextlib
import datetime
import gzip
import os
import random
import statistics
import sys
import time

from admin_pages import measure as time_page
from scratch import scratch_database

BENCH_DB = "norec_bench_community"
ROSTER = 100_000  # participants, as in the directory's benchmark
MEMBERS = 3_000  # of them registered
NEW_MEMBERS = 200  # still within the new-member hold: their posts may wait for approval
TOPICS = 500
POSTS = 100_000
BIG_TOPIC_REPLIES = 2_000
ROUNDS = 30
ROOMS = [("Kenya", "kenya", ["KE"], 120), ("Uganda", "uganda", ["UG"], 100)]
ROOMS += [("Nepal", "nepal", ["NP"], 80)]
NETWORK_TOPICS = TOPICS - sum(room[3] for room in ROOMS)
TAGS = ["Health", "Education", "Agriculture", "Courses", "Jobs", "Webinars"]
SEARCHED = "malaria"  # in about 2 % of the posts
# One string split into words: shorter to read than a list of 64 literals.
WORDS = str.split(
    "the a of and to in we our for with this that is are was it on at by from project team "
    "community school clinic training water farmers students teachers nurses partners youth "
    "exchange volunteers report funding workshop course webinar question answer experience "
    "santé éducation formação coopération água saúde desenvolvimento réseau programa "
    "Kampala Nairobi Kathmandu Dhaka Maputo Hanoi Lilongwe Addis month week year today"
)


def text(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 60))]
        if rng.random() < 0.02:
            words.insert(rng.randrange(len(words)), SEARCHED)
        paragraphs.append(" ".join(words).capitalize() + ".")
    if rng.random() < 0.1:
        paragraphs.append(f"See [the report](https://example.org/report/{rng.randint(1, 999)}).")
    if rng.random() < 0.05:
        paragraphs.append("- first point\n- second point\n- **third** point")
    return "\n\n".join(paragraphs)


@contextlib.contextmanager
def explicit_created_at(*models):
    """Let bulk_create write the generated `created_at` (a history of two years) instead of
    `auto_now_add`'s now."""
    fields = [model._meta.get_field("created_at") for model in models]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def generate(rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from community import services
    from community.models import Branch
    from community.models import CommunityMember
    from community.models import Post
    from community.models import Room
    from community.models import RoomFollow
    from community.models import Tag
    from community.models import Topic
    from members.models import Participant
    from members.models import User
    from members.services import fold_for_search

    now = timezone.now()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"member.{n}@example.org", password=unusable) for n in range(MEMBERS)],
        batch_size=2000,
    )
    first = ["Grace", "John", "Amina", "Peter", "Fatima", "Anh", "Sita", "José", "Kofi", "Ama"]
    people = Participant.objects.bulk_create(
        [
            Participant(
                participant_id=f"BENCH-{n:06d}",
                first_name=rng.choice(first),
                last_name=f"Family{n}",
                email=user.email,
                email_source=Participant.EmailSource.MEMBER,
                email_status=Participant.EmailStatus.OK,
                home_country=rng.choice(["KE", "UG", "NP", "TZ", "MZ", "VN"]),
                user=user,
                # Two in three show in the directory: their names link to their profiles.
                directory_visibility="members" if n % 3 else "hidden",
                privacy_consent_at=now,
                visibility_chosen_at=now,
            )
            for n, user in enumerate(users)
        ],
        batch_size=2000,
    )
    ids = [person.pk for person in people]
    # The rest of the roster: people never registered, most of the participants table, as in
    # production; a plan that reads the whole table shows here.
    Participant.objects.bulk_create(
        [
            Participant(
                participant_id=f"ROSTER-{n:06d}",
                first_name=rng.choice(first),
                last_name=f"Roster{n}",
                email=f"roster.{n}@example.org",
                home_country=rng.choice(["KE", "UG", "NP", "TZ", "MZ", "VN"]),
            )
            for n in range(ROSTER - MEMBERS)
        ],
        batch_size=5000,
    )
    CommunityMember.objects.bulk_create(
        [
            CommunityMember(
                participant_id=pk,
                accepted_conduct_at=now,
                posts_approved=0 if n >= MEMBERS - NEW_MEMBERS else 10,
            )
            for n, pk in enumerate(ids)
        ],
        batch_size=2000,
    )
    network = services.network_room()
    rooms = [(network, NETWORK_TOPICS)]
    for name, slug, countries, count in ROOMS:
        branch = Branch.objects.create(name=name, slug=slug, countries=countries)
        room = Room.objects.create(kind=Room.Kind.BRANCH, branch=branch, name=name, slug=slug)
        rooms.append((room, count))
    RoomFollow.objects.bulk_create(
        [RoomFollow(participant_id=pk, room=network) for pk in ids]
        + [RoomFollow(participant_id=pk, room=rooms[1 + n % 3][0]) for n, pk in enumerate(ids)],
        batch_size=5000,
    )
    tags = [
        Tag.objects.create(name=name, slug=name.lower(), ordering=n) for n, name in enumerate(TAGS)
    ]

    # A few members write most posts: Zipf-like weights over the members.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(MEMBERS - NEW_MEMBERS)]
    settled = ids[: MEMBERS - NEW_MEMBERS]
    newcomers = ids[MEMBERS - NEW_MEMBERS :]
    # Replies per topic: the big one, then a long tail over the other 499.
    # (capped, so that the big one stays the biggest; what the cap cuts is spread evenly).
    shares = [rng.paretovariate(1.1) for _ in range(TOPICS - 1)]
    rest = POSTS - TOPICS - BIG_TOPIC_REPLIES
    cap = BIG_TOPIC_REPLIES // 2
    replies = [min(cap, int(rest * share / sum(shares))) for share in shares]
    cut = rest - sum(replies)
    replies = [BIG_TOPIC_REPLIES] + [n + cut // len(replies) for n in replies]
    replies[-1] += rest - sum(replies[1:])

    topics, plan = [], []
    number = 0
    for room, count in rooms:
        for _ in range(count):
            started = now - datetime.timedelta(days=rng.uniform(1, 700))
            author = rng.choices(settled, weights)[0]
            topics.append(
                Topic(
                    room=room,
                    title=f"Topic {number}: " + " ".join(rng.choice(WORDS) for _ in range(6)),
                    tag=rng.choice(tags) if rng.random() < 0.7 else None,
                    author_id=author,
                    pinned=number in (0, 1, 300),
                    hidden=number % 97 == 50,
                    created_at=started,
                )
            )
            plan.append((started, author, replies[number]))
            number += 1
    with explicit_created_at(Topic, Post):
        topics = Topic.objects.bulk_create(topics, batch_size=1000)
        # Two topics of new members wait for approval (their opening post is held).
        held_topics = {topics[5].pk, topics[NETWORK_TOPICS + 3].pk}
        batch = []
        for topic, (started, author, count) in zip(topics, plan, strict=True):
            if topic.pk in held_topics:
                author = rng.choice(newcomers)
                Topic.objects.filter(pk=topic.pk).update(author_id=author, held=True)
            span = (now - started).total_seconds()
            for n in range(count + 1):
                is_opening = n == 0
                if is_opening:
                    writer, status = author, "held" if topic.pk in held_topics else "visible"
                elif rng.random() < 0.005:
                    writer, status = rng.choice(newcomers), "held"
                else:
                    writer = rng.choices(settled, weights)[0]
                    status = "hidden" if rng.random() < 0.01 else "visible"
                body = text(rng)
                title = topic.title if is_opening else ""
                batch.append(
                    Post(
                        topic_id=topic.pk,
                        author_id=writer,
                        is_opening=is_opening,
                        text=body,
                        status=status,
                        image="community/2026/01/bench.jpg" if rng.random() < 0.005 else "",
                        created_at=started + datetime.timedelta(seconds=span * n / (count + 1)),
                        search_text=fold_for_search(f"{title} {body}".strip()),
                    )
                )
        # Written in the order members wrote them, as in production: a topic's posts lie spread
        # over the table, and the newest posts together at its end.
        batch.sort(key=lambda post: post.created_at)
        Post.objects.bulk_create(batch, batch_size=5000)
    # The topics' counters as the services keep them (`services._refresh_topic`).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE community_topic t SET reply_count = s.replies, last_activity_at = s.last
            FROM (SELECT topic_id, count(*) FILTER (WHERE NOT is_opening) AS replies,
                         max(created_at) AS last
                  FROM community_post WHERE status = 'visible' GROUP BY topic_id) s
            WHERE s.topic_id = t.id
            """
        )
        cursor.execute(
            "UPDATE community_topic SET last_activity_at = created_at "
            "WHERE id NOT IN (SELECT topic_id FROM community_post WHERE status = 'visible')"
        )


def measure(client, url: str, params: dict, check: bytes):
    """`admin_pages.measure`'s figures, and the page's size gzipped (KB, as GZipMiddleware
    serves it)."""
    times, cpu, queries, response = time_page(client, url, params, check, rounds=ROUNDS)
    return times, cpu, queries, len(gzip.compress(response.content, compresslevel=6)) / 1024


def run() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from community.models import Post
    from community.models import Topic
    from members.models import Participant

    call_command("migrate", verbosity=0)
    if not Post.objects.exists():
        started = time.perf_counter()
        generate(random.Random(2026))
        print(f"generated the community in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"{Topic.objects.count()} topics, {Post.objects.count()} posts")

    big = Topic.objects.annotate(n=Count("posts")).order_by("-n").first()
    # The reader: an active member (past the hold), in the directory, following the network
    # room and a branch's, with posts of their own in the big topic.
    reader = (
        Participant.objects.filter(community_posts__topic=big, directory_visibility="members")
        .annotate(n=Count("community_posts"))
        .order_by("-n")
        .first()
    )
    client = Client()
    client.force_login(reader.user)
    room = big.room
    room_url = reverse("community:room", args=[room.slug])
    topic_url = reverse("community:topic", args=[big.pk])
    room_pages = -(-Topic.objects.filter(room=room, hidden=False, held=False).count() // 20)
    topic_pages = -(-big.posts.filter(status="visible").count() // 30)
    pages = [
        ("rooms", reverse("community:rooms"), {}, b"room-card"),
        ("room_p1", room_url, {}, b"topic-card"),
        ("room_last", room_url, {"page": str(room_pages)}, b"topic-card"),
        ("topic_p1", topic_url, {}, b'class="card post'),
        ("topic_last", topic_url, {"page": str(topic_pages)}, b'class="card post'),
        ("search", reverse("community:search"), {"q": SEARCHED}, b"result-count"),
    ]
    for name, url, params, check in pages:
        times, cpu, queries, size = measure(client, url, params, check)
        print(f"bench: community_{name}_p50_ms {statistics.median(times):.1f} ms")
        print(f"bench: community_{name}_p95_ms {times[int(len(times) * 0.95) - 1]:.1f} ms")
        print(f"bench: community_{name}_cpu_p50_ms {statistics.median(cpu):.1f} ms")
        print(f"bench: community_{name}_queries {queries} queries")
        print(f"bench: community_{name}_kb_gzip {size:.1f} KB")


def main() -> int:
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_DEBUG"] = "true"
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    with scratch_database(BENCH_DB, keep=keep, reuse=keep):
        run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
