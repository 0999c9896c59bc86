"""Benchmark: 12,000 newsletter messages and 12,000 invitations handed to an ESP's API through a
real worker (prefork, concurrency 2), with ESP batch sending (core/outbound/batching.py).

The ESP is the fake one of the tests (tests/support/fake_esp.py) on loopback, answering each call
after 0.5 s (`--delay`), once Postmark-style (/email/batch, 500 messages a call) and once
Mailgun-style (/v3/<domain>/messages with recipient-variables, 1,000 a call) (`--esp`); `--esp ses`
runs Amazon SES's SendBulkEmail through boto3 (50 a call), not part of `both`. The data
is bench_newsletter.py's (members in four languages, an issue with a French and a Portuguese
variant) and bench_send.py's (a roster with one exchange each, a wave with throttling off and its
window always open). Each ESP style gets its own scratch database `norec_bench_esp_<esp>`.

Prints `bench: <name> <value> <unit>` lines; for Postmark `esp_newsletter_12000_s` and
`esp_invitations_12000_s` (target 60 s or less each: one call per message took 51 minutes), for
Mailgun the same with `esp_mailgun_`; the ESP calls made and messages per second. Fails unless
the ESP got every recipient exactly once and every row is marked sent.
"""

import argparse
import os
import subprocess
import sys
import time
from collections import Counter

from harness import LANGUAGES
from harness import VARIANTS
from harness import add_members
from harness import bench
from harness import mail_benchmark
from harness import make_newsletter
from harness import make_roster
from harness import make_wave
from harness import tree_cpu_seconds
from harness import wait_for_sent

WAVE_BATCH_SIZE = 500


def check_once(esp, stream: str, count: int) -> None:
    got = Counter(item.address for item in esp.accepted if item.metadata.get("stream") == stream)
    assert len(got) == count, f"{stream}: {len(got)} of {count} recipients reached the ESP"
    assert max(got.values()) == 1, f"{stream}: somebody got it twice"


def report(name: str, count: int, elapsed: float, calls: int, cpu_ms: float) -> None:
    bench(f"{name}_{count}_s", elapsed, "s", 1)
    bench(f"{name}_calls", calls, "calls")
    bench(f"{name}_messages_per_s", count / elapsed, "messages/s")
    bench(f"{name}_worker_cpu_ms_per_message", cpu_ms, "ms", 2)


def run(style: str, count: int, delay: float) -> None:
    with mail_benchmark(f"norec_bench_esp_{style}") as session:
        from core.tasks import outbound_send_batch
        from invitations import services as invitation_services
        from invitations.models import Invitation
        from newsletters import services as newsletter_services
        from newsletters.models import Delivery
        from tests.support.fake_esp import FakeEsp

        add_members(count, LANGUAGES)
        make_roster(count)
        esp = FakeEsp(delay=delay, keep_content=False).start()
        session.stop_at_end(esp)
        env = {"postmark": esp.postmark_env, "mailgun": esp.mailgun_env, "ses": esp.ses_env}[
            style
        ]()
        worker = session.worker(env=env)
        prefix = "esp" if style == "postmark" else f"esp_{style}"
        waiting = {"worker": worker, "beat": True}

        # The newsletter: "send now", then beat's tick every 15 s.
        newsletter = make_newsletter(variants=VARIANTS)
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        began = time.monotonic()
        newsletter_services.newsletter_schedule(newsletter=newsletter, actor=None)
        rows = Delivery.objects.filter(newsletter=newsletter)
        elapsed = wait_for_sent(rows, count, started=started, **waiting)
        cpu_ms = (tree_cpu_seconds(worker.pid) - cpu_before) * 1000 / count
        check_once(esp, "newsletter", count)
        calls = len(esp.calls)
        print(
            f"newsletter: first call after {esp.call_times[0] - began:.1f} s, "
            f"last after {esp.call_times[-1] - began:.1f} s"
        )
        report(f"{prefix}_newsletter", count, elapsed, calls, cpu_ms)

        # The wave: launch (one chain), a second chain as beat's next tick would add.
        wave = make_wave(batch_size=WAVE_BATCH_SIZE)
        calls_before = len(esp.calls)
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        began = time.monotonic()
        created = invitation_services.wave_launch(wave=wave, actor=None)
        launched = time.monotonic() - began
        outbound_send_batch.delay("invitation", wave.pk)
        rows = Invitation.objects.filter(wave=wave)
        elapsed = wait_for_sent(rows, created, started=started, **waiting)
        cpu_ms = (tree_cpu_seconds(worker.pid) - cpu_before) * 1000 / created
        check_once(esp, "invitation", created)
        calls = len(esp.calls) - calls_before
        print(
            f"wave: {created} invitations (members are not invited), launched in "
            f"{launched:.1f} s, first call after {esp.call_times[calls_before] - began:.1f} s, "
            f"last after {esp.call_times[-1] - began:.1f} s"
        )
        report(f"{prefix}_invitations", created, elapsed, calls, cpu_ms)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--esp", choices=["postmark", "mailgun", "ses", "both"], default="both")
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
