"""Benchmark: the admin's first page (the network at a glance) with a full-size network.

12,000 participants over 26 home countries, 1,400 registered members, 20 waves with 10,000
invitations in every state, 24 activities with registrations and 12 sent newsletters. Renders
`/admin/` for a superuser through Django's test client (middleware, MFA gate, queries, templates,
SVG charts) and prints the latency and the number of SQL queries, which must not grow with the
data. Target (issue 7): under 300 ms. Scratch database `norec_bench_dashboard`.
"""

import datetime
import os
import random
import statistics
import sys
import time

from scratch import scratch_database

BENCH_DB = "norec_bench_dashboard"
PARTICIPANTS = 12_000
MEMBERS = 1_400
WAVES = 20
INVITATIONS_PER_WAVE = 500
ROUNDS = 30
COUNTRIES = [
    "KE", "TZ", "UG", "ET", "MW", "ZM", "MZ", "MG", "ZA", "GH", "NG", "CM", "SN",
    "NP", "BD", "IN", "LK", "VN", "LA", "KH", "TH", "PH", "ID", "BR", "GT", "NO",
]  # fmt: skip


def generate(rng: random.Random) -> None:
    from django.utils import timezone

    from activities.models import Activity
    from activities.models import Registration
    from invitations.models import Invitation
    from invitations.models import Wave
    from members.models import Participant
    from members.models import User
    from newsletters.models import Delivery
    from newsletters.models import Newsletter

    now = timezone.now()
    participants = Participant.objects.bulk_create(
        [
            Participant(
                participant_id=f"BENCH-{n:06d}",
                first_name=f"Name{n}",
                last_name=f"Family{n % 997}",
                email=f"person.{n}@example.org",
                home_country=COUNTRIES[n % (len(COUNTRIES) - 2)],  # two countries never invited
            )
            for n in range(PARTICIPANTS)
        ],
        batch_size=2000,
    )
    users = User.objects.bulk_create(
        [
            User(
                email=f"member.{n}@example.org",
                password="!",
                date_joined=now - datetime.timedelta(days=rng.randint(0, 700)),
            )
            for n in range(MEMBERS)
        ],
        batch_size=2000,
    )
    members = participants[:MEMBERS]
    for participant, user in zip(members, users, strict=True):
        participant.user = user
    Participant.objects.bulk_update(members, ["user"], batch_size=2000)

    invitations = []
    statuses = ["sent", "sent", "accepted", "bounced", "expired", "pending", "failed"]
    pool = participants[: WAVES * INVITATIONS_PER_WAVE]
    for number in range(WAVES):
        wave = Wave.objects.create(
            name=f"Wave {number + 1}",
            home_countries=[COUNTRIES[number % len(COUNTRIES)]],
            status="completed" if number < WAVES - 1 else "sending",
            launched_at=now - datetime.timedelta(days=7 * (WAVES - number)),
        )
        for participant in pool[
            number * INVITATIONS_PER_WAVE : (number + 1) * INVITATIONS_PER_WAVE
        ]:
            status = rng.choice(statuses)
            handed = status != "pending"
            invitations.append(
                Invitation(
                    wave=wave,
                    participant=participant,
                    email=participant.email,
                    status=status,
                    sent_at=now if handed else None,
                    delivered_at=now if status in ("sent", "accepted", "expired") else None,
                    bounced_at=now if status == "bounced" else None,
                )
            )
    Invitation.objects.bulk_create(invitations, batch_size=2000)

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
            batch_size=2000,
        )


def main() -> int:
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_DEBUG"] = "true"
    with scratch_database(BENCH_DB):
        import django

        django.setup()
        from allauth.mfa.totp.internal.auth import TOTP
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from members.models import User

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        generate(random.Random(1963))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"generated the network in {time.perf_counter() - started:.1f} s")

        superuser = User.objects.create_superuser("bench@example.org", "bench-password-1")
        TOTP.activate(superuser, "NORECBENCHNORECBENCHNORECBENCH23")
        client = Client()
        client.force_login(superuser)
        for _ in range(3):  # warm-up: template loading, connections
            assert client.get("/admin/").status_code == 200

        times, queries = [], set()
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as captured:
                begun = time.perf_counter()
                response = client.get("/admin/")
                times.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200
            assert b"Invitations per home country" in response.content
            queries.add(len(captured))
        times.sort()
        print(f"page size: {len(response.content) / 1024:.0f} KB of HTML")
        print(f"bench: dashboard_p50_ms {statistics.median(times):.1f} ms")
        print(f"bench: dashboard_p95_ms {times[int(len(times) * 0.95) - 1]:.1f} ms")
        print(f"bench: dashboard_queries {max(queries)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
