"""Benchmark: the roster import over a generated, messy-ish 12,000-row file on PostgreSQL.

Run by `make bench` (which sets DATABASE_URL). Creates a scratch database `norec_bench_import`
on the same server, migrates it, imports the file twice (first import, then an unchanged
re-import) and drops the database again. Prints `bench: <name> <value> <unit>` lines.
"""

import contextlib
import random
import sys
import time
from pathlib import Path

from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "norec_bench_import"
ROWS = 12_000
PEOPLE = 10_000
COUNTRIES = [
    "Kenya",
    "KE",
    "Tanzania, United Republic of",
    "TZA",
    "Uganda",
    "Ethiopia",
    "Malawi",
    "Zambia",
    "Mozambique",
    "Madagascar",
    "Ghana",
    "Nigeria",
    "Cameroon",
    "Côte d'Ivoire",
    "Senegal",
    "Viet Nam",
    "Laos",
    "Nepal",
    "Bangladesh",
    "Sri Lanka",
    "Thailand",
    "Philippines",
    "Indonesia",
    "Bolivia",
    "Guatemala",
    "Nicaragua",
    "Norway",
]
HOSTS = ["Norway", "NO", "Kenya", "Tanzania", "Thailand", "South Africa", "Uganda"]
PROGRAMMES = ["FK Health", "FK Youth", "Norec South-South", "Norec Professional"]


def generate(rows: int = ROWS, people: int = PEOPLE, seed: int = 1963) -> bytes:
    """A semicolon file with a BOM, upper-case headers, mixed-case emails, Excel-style years."""
    rng = random.Random(seed)
    lines = [
        "PARTICIPANT_ID; First_Name ;Last_Name;EMAIL;Phone;Home_Country;Exchange_Year;"
        "Host_Country;Partner_Organisation;Programme;Notes"
    ]
    second_exchanges = set(rng.sample(range(people), rows - people))
    for n in range(people):
        country = rng.choice(COUNTRIES)
        person = f"BENCH-{n:06d};  Name{n} ;Family{n % 997};Person.{n}@Example.ORG;;{country}"
        year = rng.randint(1963, 2025)
        lines.append(
            f"{person};{year}.0;{rng.choice(HOSTS)};Partner {n % 300};{rng.choice(PROGRAMMES)};"
        )
        if n in second_exchanges:
            lines.append(f"{person};{year + 1};{rng.choice(HOSTS)};Partner {n % 250};FK Youth;x")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def main() -> int:
    scratch = contextlib.ExitStack()
    scratch.enter_context(scratch_database(BENCH_DB))
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from members.models import Exchange
        from members.roster_import import roster_import

        call_command("migrate", verbosity=0)
        data = generate()

        started = time.perf_counter()
        first = roster_import(data=data, source="bench.csv")
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = roster_import(data=data, source="bench.csv")
        again_s = time.perf_counter() - started

        assert first.errors == [], first.errors[:5]
        assert (first.created, first.exchanges_added) == (PEOPLE, ROWS), first.summary()
        assert Exchange.objects.count() == ROWS
        assert (again.unchanged, again.exchanges_added) == (PEOPLE, 0), again.summary()
        print(f"first import: {first.summary()}")
        print(f"re-import:    {again.summary()}")
        print(f"bench: import_rows_per_s {ROWS / first_s:.0f} rows/s")
        print(f"bench: import_12000_rows_s {first_s:.2f} s")
        print(f"bench: reimport_12000_rows_s {again_s:.2f} s")
        connections.close_all()
    finally:
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
