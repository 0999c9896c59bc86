"""Benchmark: the member directory over 100,000 generated participants on PostgreSQL.

Run by `make bench` (which sets DATABASE_URL). Creates a scratch database `norec_bench_directory`
on the same server, migrates it, generates 100,000 participants (60,000 registered, 40,000 of
them visible in the directory, with fields of expertise, languages and exchanges), then requests
the directory page through Django's test client with a mix of searches and filters, and drops the
database again. Server time is the time of the whole request inside Django (views, queries,
templates), measured per request. Prints `bench: <name> <value> <unit>` lines.
"""

import gzip
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "norec_bench_directory" + os.environ.get("BENCH_DB_SUFFIX", "")
PARTICIPANTS = 100_000
REGISTERED = 60_000
VISIBLE = 40_000
ROUNDS = 10
COUNTRIES = [
    "KE",
    "TZ",
    "UG",
    "ET",
    "MW",
    "ZM",
    "MZ",
    "MG",
    "GH",
    "NG",
    "VN",
    "NP",
    "BD",
    "LK",
    "TH",
    "PH",
    "ID",
    "BO",
    "GT",
    "NI",
    "NO",
]
HOSTS = ["NO", "KE", "TZ", "TH", "ZA", "UG"]
PROGRAMMES = ["FK Health", "FK Youth", "Norec South-South", "Norec Professional"]
ORGANISATIONS = [
    "Red Cross",
    "Ministry of Health",
    "Makerere University",
    "Save the Children",
    "Norwegian Church Aid",
    "District Hospital",
    "Teachers' College",
    "Radio Maria",
]
WORDS = [
    "malaria",
    "midwifery",
    "teacher",
    "engineer",
    "water",
    "farming",
    "journalist",
    "nurse",
    "accountant",
    "youth",
    "climate",
    "radio",
    "football",
    "music",
]


def generate(rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password

    from members.models import Exchange
    from members.models import ExpertiseField
    from members.models import Language
    from members.models import Participant
    from members.models import User

    unusable = make_password(None)
    fields = list(ExpertiseField.objects.filter(is_approved=True))
    languages = list(Language.objects.all())
    users = User.objects.bulk_create(
        [User(email=f"member{n}@example.org", password=unusable) for n in range(REGISTERED)],
        batch_size=5000,
    )
    people = []
    chosen_fields = {}
    for n in range(PARTICIPANTS):
        registered = n < REGISTERED
        visible = n < VISIBLE
        first, last = f"Name{n}", f"Family{n % 4999}"
        organisation = rng.choice(ORGANISATIONS) if registered else ""
        bio = " ".join(rng.sample(WORDS, 3)) if registered else ""
        picked = rng.sample(fields, 2) if registered else []
        chosen_fields[n] = picked
        text = " ".join([first, last, organisation, *(f.name for f in picked), bio]).lower()
        people.append(
            Participant(
                participant_id=f"BENCH-{n:06d}",
                first_name=first,
                last_name=last,
                email=f"member{n}@example.org",
                home_country=rng.choice(COUNTRIES),
                residence_country=rng.choice(COUNTRIES) if registered else "",
                organisation=organisation,
                bio=bio,
                user=users[n] if registered else None,
                directory_visibility="members" if visible else "hidden",
                search_text=text if registered else "",
            )
        )
    people = Participant.objects.bulk_create(people, batch_size=5000)
    expertise_rows = []
    language_rows = []
    exchanges = []
    for n, person in enumerate(people):
        for field in chosen_fields[n]:
            expertise_rows.append(
                Participant.expertise.through(participant_id=person.pk, expertisefield_id=field.pk)
            )
        if n < REGISTERED:
            for language in rng.sample(languages, 2):
                language_rows.append(
                    Participant.languages.through(participant_id=person.pk, language_id=language.pk)
                )
        exchanges.append(
            Exchange(
                participant_id=person.pk,
                year=rng.randint(1963, 2025),
                host_country=rng.choice(HOSTS),
                programme=rng.choice(PROGRAMMES),
                partner_organisation=f"Partner {n % 300}",
            )
        )
    Participant.expertise.through.objects.bulk_create(expertise_rows, batch_size=10000)
    Participant.languages.through.objects.bulk_create(language_rows, batch_size=10000)
    Exchange.objects.bulk_create(exchanges, batch_size=10000)


def searches(rng: random.Random) -> list[dict]:
    from members.models import ExpertiseField
    from members.models import Language

    fields = list(ExpertiseField.objects.values_list("pk", flat=True))
    codes = list(Language.objects.values_list("code", flat=True))
    mix = [
        {},
        {"page": 50},
        {"q": "malaria"},
        {"q": "red cross"},
        {"q": "family123"},
        {"q": "name12345"},
        {"q": "zzzz-nobody"},
        {"q": "nurse water"},
        {"expertise": rng.choice(fields)},
        {"language": rng.choice(codes)},
        {"home_country": "KE"},
        {"residence_country": "NP", "expertise": rng.choice(fields)},
        {"host_country": "NO", "year": 1999},
        {"programme": "FK Health", "home_country": "UG"},
        {"q": "teacher", "home_country": "TZ", "language": rng.choice(codes)},
        {"q": "radio", "host_country": "TH", "programme": "FK Youth"},
    ]
    return mix


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench_directory needs DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    import psycopg2

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_DEBUG"] = "true"

    def admin_sql(sql: str) -> None:
        conn = psycopg2.connect(server)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.close()

    # BENCH_KEEP_DB=1 keeps the generated database for the next run (when tuning queries).
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    conn = psycopg2.connect(server)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        exists = cursor.fetchone() is not None
    conn.close()
    reuse = keep and exists
    if not reuse:
        admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin_sql(f"CREATE DATABASE {BENCH_DB}")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.db import connections
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from members.models import Participant

        call_command("migrate", verbosity=0)
        rng = random.Random(1963)
        started = time.perf_counter()
        if not reuse:
            generate(rng)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"generated {Participant.objects.count()} participants in "
            f"{time.perf_counter() - started:.1f} s"
        )

        client = Client()
        client.force_login(Participant.objects.get(participant_id="BENCH-000001").user)
        directory = reverse("members:directory")
        mix = searches(rng)
        for params in mix:  # warm-up: connections, template loading, the programme cache
            client.get(directory, params)

        times = []
        queries = set()
        per_search = {}
        for _ in range(ROUNDS):
            for n, params in enumerate(mix):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(directory, params)
                    elapsed = (time.perf_counter() - started) * 1000
                times.append(elapsed)
                per_search.setdefault(n, []).append(elapsed)
                assert response.status_code == 200, (params, response.status_code)
                queries.add(len(captured))
        for n, params in enumerate(mix):
            print(f"  {statistics.median(per_search[n]):6.1f} ms  {params}")
        times.sort()
        p50 = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]

        page = client.get(directory, {"q": "nurse"}, HTTP_ACCEPT_ENCODING="gzip")
        html_gz = (
            len(page.content)
            if page.get("Content-Encoding") == "gzip"
            else len(gzip.compress(page.content))
        )
        css = (ROOT / "static" / "css" / "site.css").read_bytes()
        css_gz = len(gzip.compress(css))
        profile = client.get(
            reverse(
                "members:directory_profile",
                args=[Participant.objects.get(participant_id="BENCH-000002").pk],
            ),
            HTTP_ACCEPT_ENCODING="gzip",
        )
        profile_gz = len(profile.content)

        print(f"requests: {len(times)} over {len(mix)} searches and filters")
        print(f"bench: directory_p50_ms {p50:.1f} ms")
        print(f"bench: directory_p95_ms {p95:.1f} ms")
        print(f"bench: directory_max_ms {times[-1]:.1f} ms")
        print(f"bench: directory_queries_per_page {max(queries)} queries")
        print(f"bench: directory_page_kb_gzip {(html_gz + css_gz) / 1024:.1f} KB")
        print(f"bench: profile_page_kb_gzip {(profile_gz + css_gz) / 1024:.1f} KB")
        connections.close_all()
    finally:
        if not keep:
            admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
