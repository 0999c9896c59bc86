"""Benchmark: the admin's first page (the network at a glance) with a full-size network.

12,000 participants over 26 home countries, 1,400 registered members, 20 waves with 10,000
invitations in every state, 24 activities with registrations and 12 sent newsletters. Renders
`/admin/` for a superuser through Django's test client (middleware, MFA gate, queries, templates,
SVG charts) and prints the latency and the number of SQL queries, which must not grow with the
data. Target (issue 7): under 300 ms. The dashboard keeps its whole-roster figures for a couple of
minutes: `dashboard_recount_*` is what a render that counts them again costs. Scratch database
`norec_bench_dashboard` (`BENCH_KEEP_DB=1` keeps it and reuses it next time).
"""

import datetime
import random
import sys
import time

from admin_pages import COUNTRIES
from admin_pages import add_activities
from admin_pages import add_newsletters
from admin_pages import add_waves
from admin_pages import bench_database
from admin_pages import measure
from admin_pages import print_figures
from admin_pages import superuser_client

BENCH_DB = "norec_bench_dashboard"
PARTICIPANTS = 12_000
MEMBERS = 1_400
WAVES = 20
INVITATIONS_PER_WAVE = 500
ROUNDS = 30


def generate(rng: random.Random) -> None:
    from django.utils import timezone

    from members.models import Participant
    from members.models import User

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
    add_waves(rng, participants, waves=WAVES, per_wave=INVITATIONS_PER_WAVE, now=now)
    add_activities(rng, members, now=now)
    add_newsletters(members, now=now)


def main() -> int:
    with bench_database(BENCH_DB):
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from members.models import Participant

        call_command("migrate", verbosity=0)
        if not Participant.objects.exists():
            started = time.perf_counter()
            generate(random.Random(1963))
            print(f"generated the network in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        client = superuser_client()
        check = b"Invitations per home country"
        times, cpu, queries, _response = measure(client, "/admin/", {}, check, rounds=ROUNDS)
        print_figures("dashboard", times, cpu, queries)
        times, cpu, queries, _response = measure(
            client, "/admin/", {"recount": "1"}, check, rounds=ROUNDS
        )
        print_figures("dashboard_recount", times, cpu, queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
