"""Benchmark: the busiest admin pages at 100,000 participants (issue 14, item 5).

100,000 participants over the 25 partner countries and Norway (30,000 registered, 120,000
exchanges, a few per cent bad addresses), 40 waves with 60,000 invitations, 24 activities with
registrations and 12 sent newsletters to the members. Times, through Django's test client as a
superuser with MFA satisfied (middleware, queries, templates): the participant list's first page,
a search for a common surname (and one for another that sorts late), page 500, and the admin
index (the dashboard). Prints p50, p95 and the number of SQL queries of each, which must not
grow with the data, and the CPU time the request takes in this process (templates, Python; not
the database's), which the machine's other load does not change. Target: p95 at most 100 ms
each. Scratch database `norec_bench_admin` (`BENCH_KEEP_DB=1` keeps it and reuses it next time).
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

BENCH_DB = "norec_bench_admin"
PARTICIPANTS = 100_000
MEMBERS = 30_000
WAVES = 40
INVITATIONS_PER_WAVE = 1_500
ROUNDS = 30
FIRST_NAMES = [
    "Grace", "John", "Mary", "Peter", "Fatima", "Joseph", "Amina", "David", "Esther", "Samuel",
    "Anh", "Minh", "Sita", "Ram", "Ana", "José", "Maria", "Kofi", "Ama", "Tendai",
]  # fmt: skip
# A few very common family names (the search looks for the first), then a long tail.
COMMON_SURNAMES = ["Banda", "Phiri", "Nguyen", "Silva", "Mwangi", "Shrestha", "Otieno", "Diallo"]
SEARCHED = "banda"
# As common, but sorting late in the list: a plan that walks the list's order index looking for
# a page of matches (rather than fetching the matches first) reads most of the roster for it.
SEARCHED_LATE = "phiri"
PAGES = {
    "changelist": {},
    "search": {"q": SEARCHED},
    "search_late": {"q": SEARCHED_LATE},
    "page500": {"p": "500"},
}


def generate(rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from members.models import Exchange
    from members.models import Participant
    from members.models import User

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

    add_waves(rng, people[MEMBERS:], waves=WAVES, per_wave=INVITATIONS_PER_WAVE, now=now)
    add_activities(rng, people[:MEMBERS], now=now)
    add_newsletters(people[:MEMBERS], now=now)


def run() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from members.models import Participant

    call_command("migrate", verbosity=0)
    if not Participant.objects.exists():
        started = time.perf_counter()
        generate(random.Random(1963))
        print(f"generated the network in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"{Participant.objects.count()} participants")

    client = superuser_client()
    changelist = reverse("admin:members_participant_changelist")
    pages = [(name, changelist, params, b"result_list") for name, params in PAGES.items()]
    index = reverse("admin:index")
    pages.append(("index", index, {}, b"Invitations per home country"))
    # The dashboard keeps its whole-roster figures for a couple of minutes: what the request
    # that counts them again costs (once per couple of minutes, or "Count again now").
    pages.append(("index_recount", index, {"recount": "1"}, b"Invitations per home country"))
    for name, url, params, check in pages:
        times, cpu, queries, _response = measure(client, url, params, check, rounds=ROUNDS)
        print_figures(f"admin_{name}", times, cpu, queries)


def main() -> int:
    with bench_database(BENCH_DB):
        run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
