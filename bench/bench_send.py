"""Benchmark: an invitation wave of 12,000 participants through a real worker to a local SMTP sink.

Run by `make bench` (which sets DATABASE_URL and CELERY_BROKER_URL). Creates a scratch database
`norec_bench_send`, fills it with a roster (one exchange each), launches a wave with throttling off
and its window always open, and lets a real `celery worker` (prefork, concurrency 2, the same
command as production) send it over SMTP to an aiosmtpd sink in this process. Two batch chains run
at once, as after the second beat tick in production. Prints `bench: <name> <value> <unit>` lines:

- `send_materialise_12000_s`: launching the wave (one invitation row per participant)
- `send_messages_per_s`: messages handed to the SMTP server per second, launch to last message
- `send_worker_cpu_ms_per_message`: the worker's CPU time per message (user + system), a figure
  that does not depend on what else the machine is doing (2 cores / this = the worker's ceiling)
- `send_worker_peak_rss_mb`: the worker's peak memory (main process plus its two pool children)
- `send_worker_process_peak_rss_mb`: the largest of those processes at its peak
- `send_worker_tree_pss_mb_<count>`: the peak PSS of the worker's whole process tree (see
  `memory.py`), the figure that must stay flat from 12,000 to 100,000 recipients

`--recipients 100000` runs the memory check at 100,000 recipients (figures are named after the
count). Every recipient must have received exactly one message, or the benchmark fails.
"""

import argparse
import contextlib
import os
import sys
import threading
import time
from pathlib import Path

from harness import tree_cpu_seconds
from memory import TreeMemoryPeak
from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "norec_bench_send"
BATCH_SIZE = 500


class CountingHandler:
    """An SMTP sink that only counts recipients (parsing every message would make the sink,
    not the sender, the thing measured)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.per_recipient: dict[str, int] = {}
        self.total = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt] = self.per_recipient.get(rcpt, 0) + 1
            self.total += 1
        return "250 OK"


def start_sink():
    from aiosmtpd.controller import Controller

    from tests.support.smtp import free_port

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler, port


def make_roster(count: int) -> None:
    from members.models import Exchange
    from members.models import Participant

    chunk = 5000
    for start in range(0, count, chunk):
        people = Participant.objects.bulk_create(
            [
                Participant(
                    participant_id=f"BENCH-{n:07d}",
                    first_name=f"Name{n}",
                    last_name=f"Family{n % 997}",
                    email=f"person.{n}@example.org",
                    home_country="KE",
                )
                for n in range(start, min(start + chunk, count))
            ]
        )
        Exchange.objects.bulk_create(
            [
                Exchange(
                    participant=person,
                    year=2000 + person.pk % 25,
                    host_country="NO",
                    partner_organisation=f"Partner {person.pk % 300}",
                    programme="Norec Health",
                )
                for person in people
            ]
        )


def wait_prepared(wave, started: float) -> float:
    """Seconds from the launch until the worker has made every invitation (`prepared_at`)."""
    from invitations.models import Wave

    deadline = time.monotonic() + 600
    while not Wave.objects.filter(pk=wave.pk, prepared_at__isnull=False).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the wave's preparation did not end")
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=12_000)
    args = parser.parse_args()
    count = args.recipients

    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        print(
            "bench_send needs CELERY_BROKER_URL=redis://... (make bench sets it)", file=sys.stderr
        )
        return 2
    scratch = contextlib.ExitStack()
    bench_url = scratch.enter_context(scratch_database(BENCH_DB))
    controller = worker = None
    try:
        import django

        django.setup()
        from datetime import time as clock

        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from core.tasks import outbound_send_batch
        from invitations import services
        from invitations.models import Invitation
        from invitations.models import Wave
        from tests.support.worker import WorkerProcess
        from tests.support.worker import purge_queues

        call_command("migrate", verbosity=0)
        make_roster(count)
        controller, sink, port = start_sink()
        worker = WorkerProcess(
            database_url=bench_url,
            env={
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(port),
                "DJANGO_LOG_LEVEL": "WARNING",
            },
            loglevel="WARNING",
        )
        purge_queues()
        worker.start()

        wave = Wave.objects.create(
            name="Benchmark",
            home_countries=["KE"],
            starts_at=timezone.now(),
            rate_per_hour=0,
            batch_size=BATCH_SIZE,
            window_start=clock(0, 0),
            window_end=clock(0, 0),
            window_weekdays=list(range(7)),
        )
        memory = TreeMemoryPeak(worker.pid).start()
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        # Marks the wave preparing; the worker makes the invitations, then kicks a batch chain.
        created = services.wave_launch(wave=wave, actor=None)
        assert created == count, created
        materialised = wait_prepared(wave, started)
        outbound_send_batch.delay("invitation", wave.pk)  # the second chain, as beat would add
        deadline = time.monotonic() + max(600, count / 20)
        while sink.total < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {sink.total} of {count} messages arrived")
            if not worker.alive:
                raise RuntimeError("the worker died:\n" + worker.log()[-3000:])
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu_ms = (tree_cpu_seconds(worker.pid) - cpu_before) * 1000 / count
        memory.stop()
        time.sleep(1)  # anything sent twice would arrive now

        assert sink.total == count, f"{sink.total} messages for {count} recipients"
        assert len(sink.per_recipient) == count and max(sink.per_recipient.values()) == 1
        sent = Invitation.objects.filter(wave=wave, status="sent").count()
        assert sent == count, f"{sent} rows marked sent"
        rate = count / (elapsed - materialised)
        label = "" if count == 12_000 else f"_{count}"
        print(f"bench: send_materialise{label or '_12000'}_s {materialised:.2f} s")
        print(f"bench: send{label}_messages_per_s {rate:.0f} messages/s")
        print(f"bench: send{label}_launch_to_last_message_s {elapsed:.1f} s")
        print(f"bench: send{label}_worker_cpu_ms_per_message {cpu_ms:.2f} ms")
        print(f"bench: send{label}_worker_peak_rss_mb {memory.rss_mb:.0f} MB")
        print(f"bench: send{label}_worker_process_peak_rss_mb {memory.largest_rss_mb:.0f} MB")
        print(f"bench: send_worker_tree_pss_mb_{count} {memory.pss_mb:.0f} MB")
        connections.close_all()
    finally:
        if worker is not None:
            worker.stop()
        if controller is not None:
            controller.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not have been set up
            pass
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
