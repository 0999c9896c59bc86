"""Benchmark: the busiest admin pages at 100,000 participants (issue 14, item 5).

100,000 participants over the 25 partner countries and Norway (30,000 registered, 120,000
exchanges, a few per cent bad addresses), 40 waves with 60,000 invitations, 24 activities with
registrations and 12 sent newsletters to the members. Times, through Django's test client as a
superuser with MFA satisfied (middleware, queries, templates): the participant list's first page,
a search for a common surname, page 500, and the admin index (the dashboard). Prints p50, p95 and
the number of SQL queries of each, which must not grow with the data, and the CPU time the
request takes in this process (templates, Python; not the database's), which the machine's other
load does not change. Target: p95 at most 100 ms each. Scratch database `norec_bench_admin`
(`BENCH_KEEP_DB=1` keeps it and reuses it next time).
"""

import datetime
import os
import random
import statistics
import sys
import time

from scratch import scratch_database

BENCH_DB = "norec_bench_admin"
PARTICIPANTS = 100_000
MEMBERS = 30_000
WAVES = 40
INVITATIONS_PER_WAVE = 1_500
ROUNDS = 30
COUNTRIES = [
    "KE", "TZ", "UG", "ET", "MW", "ZM", "MZ", "MG", "ZA", "GH", "NG", "CM", "SN",
    "NP", "BD", "IN", "LK", "VN", "LA", "KH", "TH", "PH", "ID", "BR", "GT", "NO",
]  # fmt: skip
FIRST_NAMES = [
    "Grace", "John", "Mary", "Peter", "Fatima", "Joseph", "Amina", "David", "Esther", "Samuel",
    "Anh", "Minh", "Sita", "Ram", "Ana", "José", "Maria", "Kofi", "Ama", "Tendai",
]  # fmt: skip
# A few very common family names (the search looks for the first), then a long tail.
COMMON_SURNAMES = ["Banda", "Phiri", "Nguyen", "Silva", "Mwangi", "Shrestha", "Otieno", "Diallo"]
SEARCHED = "banda"
PAGES = {
    "changelist": {},
    "search": {"q": SEARCHED},
    "page500": {"p": "500"},
}


def generate(rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from activities.models import Activity
    from activities.models import Registration
    from invitations.models import Invitation
    from invitations.models import Wave
    from members.models import Exchange
    from members.models import Participant
    from members.models import User
    from newsletters.models import Delivery
    from newsletters.models import Newsletter

    now = timezone.now()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(
                email=f"member.{n}@example.org",
                password=unusable,
                date_joined=now - datetime.timedelta(days=rng.randint(0, 1000)),
            )
            for n in range(MEMBERS)
        ],
        batch_size=5000,
    )
    statuses = ["ok"] * 60 + ["unknown"] * 36 + ["bounced"] * 3 + ["complained"]
    people = []
    for n in range(PARTICIPANTS):
        # About 2 % of the roster carry each common name; the rest a name of their own family.
        pick = rng.random()
        last = COMMON_SURNAMES[int(pick * 50)] if pick < 0.16 else f"Family{n % 4999}"
        people.append(
            Participant(
                participant_id=f"BENCH-{n:06d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=last,
                email=f"person.{n}@example.org",
                email_status=rng.choice(statuses),
                home_country=rng.choice(COUNTRIES),
                preferred_language=rng.choice(["en", "fr", "es", "pt"]),
                user=users[n] if n < MEMBERS else None,
                directory_visibility="members" if n < MEMBERS // 2 else "hidden",
            )
        )
    people = Participant.objects.bulk_create(people, batch_size=5000)
    Exchange.objects.bulk_create(
        [
            Exchange(
                participant_id=person.pk,
                year=1963 + (n * 7 + extra * 3) % 63,
                host_country=rng.choice(["NO", "KE", "TZ", "TH", "ZA", "UG"]),
                programme=rng.choice(["FK Health", "FK Youth", "Norec South-South"]),
                partner_organisation=f"Partner {n % 300}",
            )
            for n, person in enumerate(people)
            for extra in ([0, 1] if n % 5 == 0 else [0])
        ],
        batch_size=10000,
    )

    invitations = []
    invitation_statuses = ["sent", "sent", "accepted", "bounced", "expired", "pending", "failed"]
    pool = people[MEMBERS : MEMBERS + WAVES * INVITATIONS_PER_WAVE]
    for number in range(WAVES):
        wave = Wave.objects.create(
            name=f"Wave {number + 1}",
            home_countries=[COUNTRIES[number % len(COUNTRIES)]],
            status="completed" if number < WAVES - 1 else "sending",
            launched_at=now - datetime.timedelta(days=7 * (WAVES - number)),
        )
        chunk = pool[number * INVITATIONS_PER_WAVE : (number + 1) * INVITATIONS_PER_WAVE]
        for participant in chunk:
            status = rng.choice(invitation_statuses)
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

    members = people[:MEMBERS]
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
            batch_size=10000,
        )


def measure(client, url: str, params: dict, check: bytes) -> tuple[list[float], list[float], int]:
    """Wall-clock times (ms, sorted), this process's CPU time per request (ms: Django's own
    work, which the machine's other load does not change) and the most queries of a request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm-up: template loading, connections, caches
        assert client.get(url, params).status_code == 200
    times, cpu, queries = [], [], set()
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as captured:
            begun, cpu_begun = time.perf_counter(), time.process_time()
            response = client.get(url, params)
            times.append((time.perf_counter() - begun) * 1000)
            cpu.append((time.process_time() - cpu_begun) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
        assert check in response.content, (url, params)
        queries.add(len(captured))
    times.sort()
    return times, cpu, max(queries)


def run() -> None:
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from members.models import Participant
    from members.models import User

    call_command("migrate", verbosity=0)
    if not Participant.objects.exists():
        started = time.perf_counter()
        generate(random.Random(1963))
        print(f"generated the network in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"{Participant.objects.count()} participants")

    superuser = User.objects.filter(email="bench@example.org").first()
    if superuser is None:
        superuser = User.objects.create_superuser("bench@example.org", "bench-password-1")
    if not Authenticator.objects.filter(user=superuser).exists():
        TOTP.activate(superuser, "NORECBENCHNORECBENCHNORECBENCH23")
    client = Client()
    client.force_login(superuser)

    changelist = reverse("admin:members_participant_changelist")
    pages = [(name, changelist, params, b"result_list") for name, params in PAGES.items()]
    pages.append(("index", reverse("admin:index"), {}, b"Invitations per home country"))
    for name, url, params, check in pages:
        times, cpu, queries = measure(client, url, params, check)
        print(f"bench: admin_{name}_p50_ms {statistics.median(times):.1f} ms")
        print(f"bench: admin_{name}_p95_ms {times[int(len(times) * 0.95) - 1]:.1f} ms")
        print(f"bench: admin_{name}_cpu_p50_ms {statistics.median(cpu):.1f} ms")
        print(f"bench: admin_{name}_queries {queries} queries")


def main() -> int:
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_DEBUG"] = "true"
    if os.environ.get("BENCH_KEEP_DB") == "1":
        # Tuning queries: keep the generated database, and reuse it when it is there.
        import psycopg2

        url = os.environ.get("DATABASE_URL", "")
        server = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg2.connect(server) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
            exists = cursor.fetchone() is not None
        if exists:
            os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{BENCH_DB}"
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")
            os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
            run()
            return 0
    with scratch_database(BENCH_DB, keep=os.environ.get("BENCH_KEEP_DB") == "1"):
        run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
