"""A scratch PostgreSQL database for a benchmark: created next to DATABASE_URL's, dropped after.

with scratch_database("norec_bench_x"):
    django.setup()  # settings now point at the scratch database
    ...

`migrated_database` does both and migrates; `server_sql` runs a statement on the server (a
database of a benchmark's own that Django does not use).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def server_sql(sql: str, url: str | None = None) -> None:
    """Runs `sql` (CREATE or DROP DATABASE) on the server of `url` (DATABASE_URL's by default)."""
    import psycopg2

    parts = urlsplit(url or os.environ["DATABASE_URL"])
    conn = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


@contextlib.contextmanager
def scratch_database(name: str, *, keep: bool = False, reuse: bool = False):
    """Point DATABASE_URL (and so Django's settings) at a fresh database `name`; drop it on exit
    unless `keep`. Exits with a message when DATABASE_URL is not PostgreSQL. With `reuse`, a
    database of that name left by an earlier run (`keep`) is used as it is, not recreated: the
    benchmark then finds its data there and skips generating it.

    BENCH_DB_SUFFIX (e.g. "_alice") is appended to the name, so that two checkouts can run the same
    benchmark at once on one PostgreSQL server without dropping each other's database."""
    name = name + os.environ.get("BENCH_DB_SUFFIX", "")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"{name} needs DATABASE_URL=postgres://... (make bench sets it)")
    import psycopg2

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    def exists() -> bool:
        conn = psycopg2.connect(server)
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            found = cursor.fetchone() is not None
        conn.close()
        return found

    if not (reuse and exists()):
        server_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", server)
        server_sql(f"CREATE DATABASE {name}", server)
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not keep:
            # FORCE: a killed worker's connections may linger for a moment.
            server_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", server)


@contextlib.contextmanager
def migrated_database(name: str, **options):
    """`scratch_database` (same options) with Django set up on it and every migration applied."""
    with scratch_database(name, **options) as url:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield url
