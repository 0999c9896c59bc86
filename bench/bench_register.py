"""Benchmark: 200 members press Register at the same moment for 100 seats, through a running web
server (gunicorn) on loopback.

Run by `make bench` (which sets DATABASE_URL). Creates a scratch database `norec_bench_register`,
migrates it, makes 200 logged-in members (sessions written directly: logging 200 people in through
the password hasher would measure PBKDF2, not registration) and one webinar with 100 seats, starts
gunicorn on a free port, and fires 200 logged-in POSTs (with CSRF) from 200 threads released by one
barrier. Mails are rendered but not sent (eager tasks, dummy email backend), so the figure is the
web request with its row lock, not the SMTP server. Prints `bench: <name> <value> <unit>` lines and
fails if the confirmed count is not exactly 100.
"""

import contextlib
import datetime
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "norec_bench_register"
PEOPLE = 200
SEATS = 100
QUIET = 20  # one at a time first: the latency of a registration with nobody else pressing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    scratch = contextlib.ExitStack()
    bench_url = scratch.enter_context(scratch_database(BENCH_DB))
    web = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY
        from django.contrib.auth import HASH_SESSION_KEY
        from django.contrib.auth import SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from activities.models import Activity
        from activities.models import Registration
        from members.models import Participant
        from members.models import User

        call_command("migrate", verbosity=0)
        users = User.objects.bulk_create(
            [User(email=f"bench{n}@example.org", password="!") for n in range(PEOPLE)]
        )
        Participant.objects.bulk_create(
            [
                Participant(
                    participant_id=f"BENCH-{n}",
                    first_name=f"Bench{n}",
                    email=user.email,
                    email_status=Participant.EmailStatus.OK,
                    user=user,
                )
                for n, user in enumerate(users)
            ]
        )
        start = timezone.now() + datetime.timedelta(days=14)
        quiet = Activity.objects.create(
            kind=Activity.Kind.WEBINAR,
            title="A quiet webinar",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            capacity=QUIET,
            status=Activity.Status.PUBLISHED,
        )
        activity = Activity.objects.create(
            kind=Activity.Kind.WEBINAR,
            title="The webinar everyone wants",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            online_url="https://meet.example.org/full",
            capacity=SEATS,
            status=Activity.Status.PUBLISHED,
        )
        sessions = []
        for user in users:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            sessions.append(store.session_key)
        connections.close_all()

        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": bench_url,
            "DJANGO_DEBUG": "true",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "ANYMAIL_ESP": "",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "norec_network.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
                "--threads",
                "8",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/activities/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or web.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)

        path = f"/activities/{activity.pk}/register/"
        barrier = threading.Barrier(PEOPLE)
        latencies: list[float] = []
        statuses: list[int] = []
        lock = threading.Lock()

        def post(session_key: str, target: str) -> tuple[int, float]:
            csrf = secrets.token_hex(16)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = {
                "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Content-Length": "0",
            }
            started = time.perf_counter()
            conn.request("POST", target, body=b"", headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            return response.status, time.perf_counter() - started

        quiet_latencies = []
        for key in sessions[:QUIET]:
            status, elapsed = post(key, f"/activities/{quiet.pk}/register/")
            assert status == 302, status
            quiet_latencies.append(elapsed)

        def press(session_key: str) -> None:
            barrier.wait()
            status, elapsed = post(session_key, path)
            with lock:
                latencies.append(elapsed)
                statuses.append(status)

        threads = [threading.Thread(target=press, args=(key,)) for key in sessions]
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall

        confirmed = Registration.objects.filter(
            activity=activity, status=Registration.Status.CONFIRMED
        ).count()
        waiting = list(
            Registration.objects.filter(activity=activity, status=Registration.Status.WAITLISTED)
            .order_by("waitlist_number")
            .values_list("waitlist_number", flat=True)
        )
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
        print(f"responses: {sorted(set(statuses))}, {len(statuses)} requests in {wall:.2f} s")
        print(f"bench: register_alone_p50_ms {statistics.median(quiet_latencies) * 1000:.0f} ms")
        print(f"bench: register_p50_ms {p50:.0f} ms")
        print(f"bench: register_p95_ms {p95:.0f} ms")
        print(f"bench: register_confirmed {confirmed} seats")
        print(f"bench: register_waitlisted {len(waiting)} members")
        print(f"bench: register_requests_per_s {PEOPLE / wall:.0f} req/s")
        connections.close_all()
        assert statuses == [302] * PEOPLE, statuses
        assert confirmed == SEATS, f"{confirmed} confirmed for {SEATS} seats"
        assert waiting == list(range(1, PEOPLE - SEATS + 1)), waiting
    finally:
        if web is not None and web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            try:
                web.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)
                web.wait()
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
