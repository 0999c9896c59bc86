"""Benchmark: 12,000 newsletter messages and 12,000 invitations handed to an ESP's API through a
real worker (prefork, concurrency 2), with ESP batch sending (core/outbound/batching.py).

The ESP is the fake one of the tests (tests/support/fake_esp.py) on loopback, answering each call
after 0.5 s (`--delay`), once Postmark-style (/email/batch, 500 messages a call) and once
Mailgun-style (/v3/<domain>/messages with recipient-variables, 1,000 a call) (`--esp`). The data
is bench_newsletter.py's (members in four languages, an issue with a French and a Portuguese
variant) and bench_send.py's (a roster with one exchange each, a wave with throttling off and its
window always open). Each ESP style gets its own scratch database `norec_bench_esp_<esp>`.

Prints `bench: <name> <value> <unit>` lines; for Postmark `esp_newsletter_12000_s` and
`esp_invitations_12000_s` (target 60 s or less each: one call per message took 51 minutes), for
Mailgun the same with `esp_mailgun_`; the ESP calls made and messages per second. Fails unless
the ESP got every recipient exactly once and every row is marked sent.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench_newsletter import BODY
from bench_newsletter import LANGUAGES
from bench_newsletter import VARIANTS
from bench_send import make_roster
from harness import add_members
from harness import tree_cpu_seconds
from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICK_SECONDS = 15.0
WAVE_BATCH_SIZE = 500


def wait_for_sent(model, filters: dict, count: int, worker, tick=None, limit: float = 900):
    """Until `count` rows are marked sent; runs beat's tick every 15 s when given."""
    deadline = time.monotonic() + limit
    next_tick = time.monotonic() + TICK_SECONDS
    rows = model.objects.filter(status="sent", **filters)
    while rows.count() < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {rows.count()} of {count} sent")
        if not worker.alive:
            raise RuntimeError("the worker died:\n" + worker.log()[-3000:])
        if tick is not None and time.monotonic() >= next_tick:
            tick.delay()
            next_tick += TICK_SECONDS
        time.sleep(0.1)


def check_once(esp, stream: str, count: int) -> None:
    got = Counter(item.address for item in esp.accepted if item.metadata.get("stream") == stream)
    assert len(got) == count, f"{stream}: {len(got)} of {count} recipients reached the ESP"
    assert max(got.values()) == 1, f"{stream}: somebody got it twice"


def run(style: str, count: int, delay: float) -> None:
    scratch = contextlib.ExitStack()
    bench_url = scratch.enter_context(scratch_database(f"norec_bench_esp_{style}"))
    worker = esp = None
    try:
        import django

        django.setup()
        from datetime import time as clock

        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from core.tasks import outbound_send_batch
        from core.tasks import outbound_tick
        from invitations import services as invitation_services
        from invitations.models import Invitation
        from invitations.models import Wave
        from newsletters import services as newsletter_services
        from newsletters.models import Delivery
        from newsletters.models import Newsletter
        from newsletters.models import NewsletterVariant
        from tests.support.fake_esp import FakeEsp
        from tests.support.worker import WorkerProcess
        from tests.support.worker import purge_queues

        call_command("migrate", verbosity=0)
        add_members(count, LANGUAGES)
        make_roster(count)
        esp = FakeEsp(delay=delay, keep_content=False).start()
        env = esp.postmark_env() if style == "postmark" else esp.mailgun_env()
        worker = WorkerProcess(
            database_url=bench_url,
            env={
                **env,
                "DJANGO_LOG_LEVEL": "WARNING",
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
            },
            concurrency=2,
            loglevel="WARNING",
        )
        purge_queues()
        worker.start()
        prefix = "esp" if style == "postmark" else f"esp_{style}"

        # The newsletter: "send now", then beat's tick every 15 s.
        newsletter = Newsletter.objects.create(
            subject="News from the network",
            month=timezone.localdate().replace(day=1),
            body=BODY,
            include_activities=True,
            rate_per_hour=0,
        )
        for language, (subject, body) in VARIANTS.items():
            NewsletterVariant.objects.create(
                newsletter=newsletter, language=language, subject=subject, body=body
            )
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        began = time.monotonic()
        newsletter_services.newsletter_schedule(newsletter=newsletter, actor=None)
        wait_for_sent(Delivery, {"newsletter": newsletter}, count, worker, tick=outbound_tick)
        elapsed = time.perf_counter() - started
        cpu_ms = (tree_cpu_seconds(worker.pid) - cpu_before) * 1000 / count
        check_once(esp, "newsletter", count)
        calls = len(esp.calls)
        print(
            f"newsletter: first call after {esp.call_times[0] - began:.1f} s, "
            f"last after {esp.call_times[-1] - began:.1f} s"
        )
        print(f"bench: {prefix}_newsletter_{count}_s {elapsed:.1f} s")
        print(f"bench: {prefix}_newsletter_calls {calls} calls")
        print(f"bench: {prefix}_newsletter_messages_per_s {count / elapsed:.0f} messages/s")
        print(f"bench: {prefix}_newsletter_worker_cpu_ms_per_message {cpu_ms:.2f} ms")

        # The wave: launch (one chain), a second chain as beat's next tick would add.
        wave = Wave.objects.create(
            name="Benchmark",
            home_countries=["KE"],
            starts_at=timezone.now(),
            rate_per_hour=0,
            batch_size=WAVE_BATCH_SIZE,
            window_start=clock(0, 0),
            window_end=clock(0, 0),
            window_weekdays=list(range(7)),
        )
        calls_before = len(esp.calls)
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        began = time.monotonic()
        created = invitation_services.wave_launch(wave=wave, actor=None)
        launched = time.monotonic() - began
        outbound_send_batch.delay("invitation", wave.pk)
        wait_for_sent(Invitation, {"wave": wave}, created, worker, tick=outbound_tick)
        elapsed = time.perf_counter() - started
        cpu_ms = (tree_cpu_seconds(worker.pid) - cpu_before) * 1000 / created
        check_once(esp, "invitation", created)
        calls = len(esp.calls) - calls_before
        print(
            f"wave: {created} invitations (members are not invited), launched in "
            f"{launched:.1f} s, first call after {esp.call_times[calls_before] - began:.1f} s, "
            f"last after {esp.call_times[-1] - began:.1f} s"
        )
        print(f"bench: {prefix}_invitations_{created}_s {elapsed:.1f} s")
        print(f"bench: {prefix}_invitations_calls {calls} calls")
        print(f"bench: {prefix}_invitations_messages_per_s {created / elapsed:.0f} messages/s")
        print(f"bench: {prefix}_invitations_worker_cpu_ms_per_message {cpu_ms:.2f} ms")
        connections.close_all()
    finally:
        if worker is not None:
            worker.stop()
        if esp is not None:
            esp.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        scratch.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--esp", choices=["postmark", "mailgun", "both"], default="both")
    parser.add_argument("--recipients", type=int, default=12_000)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds per ESP call")
    args = parser.parse_args()
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        print("bench_esp needs CELERY_BROKER_URL=redis://... (make bench sets it)", file=sys.stderr)
        return 2
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    styles = ["postmark", "mailgun"] if args.esp == "both" else [args.esp]
    for style in styles:
        # Each style in a process of its own: Django is set up once per process, on its database.
        if len(styles) > 1:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--esp",
                    style,
                    "--recipients",
                    str(args.recipients),
                    "--delay",
                    str(args.delay),
                ],
                check=True,
            )
        else:
            run(style, args.recipients, args.delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
