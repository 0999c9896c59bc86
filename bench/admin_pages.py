"""What the admin page benchmarks share (bench_admin.py, bench_dashboard.py): the parts of the
network they build alike (waves and invitations, activities, newsletters), a superuser's logged-in
client, the timing of a page, and a scratch database that `BENCH_KEEP_DB=1` keeps and reuses.

Each benchmark builds its own roster (the participants and members are what they differ in), then
calls `add_waves`, `add_activities` and `add_newsletters` with it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import statistics
import time
import uuid
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from scratch import scratch_database

COUNTRIES = [
    "KE", "TZ", "UG", "ET", "MW", "ZM", "MZ", "MG", "ZA", "GH", "NG", "CM", "SN",
    "NP", "BD", "IN", "LK", "VN", "LA", "KH", "TH", "PH", "ID", "BR", "GT", "NO",
]  # fmt: skip
INVITATION_STATUSES = ["sent", "sent", "accepted", "bounced", "expired", "pending", "failed"]


def add_waves(rng, pool: list, *, waves: int, per_wave: int, now) -> None:
    """`waves` waves (the last one still sending), each inviting the next `per_wave` people of
    `pool`, with invitations in every state."""
    from invitations.models import Invitation
    from invitations.models import Wave

    invitations = []
    for number in range(waves):
        wave = Wave.objects.create(
            name=f"Wave {number + 1}",
            home_countries=[COUNTRIES[number % len(COUNTRIES)]],
            status="completed" if number < waves - 1 else "sending",
            launched_at=now - datetime.timedelta(days=7 * (waves - number)),
        )
        for participant in pool[number * per_wave : (number + 1) * per_wave]:
            status = rng.choice(INVITATION_STATUSES)
            invitations.append(
                Invitation(
                    wave=wave,
                    participant=participant,
                    email=participant.email,
                    status=status,
                    sent_at=now if status != "pending" else None,
                    delivered_at=now if status in ("sent", "accepted", "expired") else None,
                    bounced_at=now if status == "bounced" else None,
                )
            )
    Invitation.objects.bulk_create(invitations, batch_size=5000)


def add_activities(rng, members: list, *, now) -> None:
    """24 webinars a fortnight apart (four months back to eight ahead), 80 members in each."""
    from activities.models import Activity
    from activities.models import Registration

    for month in range(24):
        starts = now + datetime.timedelta(days=15 * month - 120)
        activity = Activity.objects.create(
            kind="webinar",
            title=f"Webinar {month}",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1),
            time_zone="Europe/Oslo",
            online_url="https://meet.example.org/x",
            capacity=100,
            status="published",
            published_at=now,
        )
        Registration.objects.bulk_create(
            [
                Registration(activity=activity, participant=participant, status="confirmed")
                for participant in rng.sample(members, 80)
            ]
        )


def add_newsletters(members: list, *, now) -> None:
    """12 sent newsletters, one a month, each delivered to every member."""
    from newsletters.models import Delivery
    from newsletters.models import Newsletter

    for month in range(12):
        newsletter = Newsletter.objects.create(
            subject=f"News {month + 1}",
            month=datetime.date(now.year, month + 1, 1),
            body="Hello",
            status="sent",
            started_at=now - datetime.timedelta(days=30 * (12 - month)),
            sent_at=now - datetime.timedelta(days=30 * (12 - month)),
        )
        Delivery.objects.bulk_create(
            [
                Delivery(
                    newsletter=newsletter,
                    participant=participant,
                    email=participant.email,
                    status="sent",
                    sent_at=now,
                    delivered_at=now,
                )
                for participant in members
            ],
            batch_size=10000,
        )


def superuser_client():
    """A test client logged in as a superuser with TOTP set up (the admin asks for it); the
    same account when the database is reused."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    from members.models import User

    superuser = User.objects.filter(email="bench@example.org").first()
    if superuser is None:
        superuser = User.objects.create_superuser("bench@example.org", "bench-password-1")
    if not Authenticator.objects.filter(user=superuser).exists():
        TOTP.activate(superuser, "NORECBENCHNORECBENCHNORECBENCH23")
    client = Client()
    client.force_login(superuser)
    return client


def measure(client, url: str, params: dict, check: bytes, *, rounds: int) -> tuple:
    """Wall-clock times (ms, sorted), this process's CPU time per request (ms: Django's own
    work, which the machine's other load does not change), the most queries of a request, and
    the last response."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm-up: template loading, connections, caches
        assert client.get(url, params).status_code == 200
    times, cpu, queries = [], [], set()
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            begun, cpu_begun = time.perf_counter(), time.process_time()
            response = client.get(url, params)
            times.append((time.perf_counter() - begun) * 1000)
            cpu.append((time.process_time() - cpu_begun) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
        assert check in response.content, (url, params)
        queries.add(len(captured))
    times.sort()
    return times, cpu, max(queries), response


def print_figures(name: str, times: list[float], cpu: list[float], queries: int) -> None:
    print(f"bench: {name}_p50_ms {statistics.median(times):.1f} ms")
    print(f"bench: {name}_p95_ms {times[int(len(times) * 0.95) - 1]:.1f} ms")
    print(f"bench: {name}_cpu_p50_ms {statistics.median(cpu):.1f} ms")
    print(f"bench: {name}_queries {queries} queries")


def use_production_cache() -> None:
    """The cache production has (Redis, the broker's server, database 1 there; here the broker's
    own database), under a key prefix of this run's own: the dashboard keeps its figures there,
    and figures from another run's database must never be read."""
    broker = urlsplit(os.environ.get("CELERY_BROKER_URL", ""))
    if broker.scheme in ("redis", "rediss") and "CACHE_URL" not in os.environ:
        prefix = f"bench-{uuid.uuid4().hex[:12]}"
        os.environ["CACHE_URL"] = urlunsplit(broker._replace(query=f"key_prefix={prefix}"))


@contextlib.contextmanager
def bench_database(name: str):
    """A scratch database `name` (+ BENCH_DB_SUFFIX). With BENCH_KEEP_DB=1 it is kept afterwards
    and reused when it is already there (generating 100,000 people is slow); yields whether it
    was reused."""
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_DEBUG"] = "true"
    use_production_cache()
    full_name = name + os.environ.get("BENCH_DB_SUFFIX", "")
    url = os.environ.get("DATABASE_URL", "")
    if keep and url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        parts = urlsplit(url)
        conn = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [full_name])
            exists = cursor.fetchone() is not None
        conn.close()
        if exists:
            os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{full_name}"))
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")
            os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
            yield True
            return
    with scratch_database(name, keep=keep):
        yield False
