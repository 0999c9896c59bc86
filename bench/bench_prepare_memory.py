"""Benchmark: the worker's memory while it prepares a large campaign (issue 14, item 4).

A wave's launch and a newsletter's "send now" only mark the campaign "preparing"; a real worker
(prefork, concurrency 2, production settings) then creates the rows 2,000 per INSERT and starts
sending. This measures the peak PSS of the worker's whole process tree (`memory.py`, from
/proc/<pid>/smaps_rollup) from the launch until the preparation has ended and SENT_AFTER (2,000)
messages have reached a counting SMTP sink (the steady state of sending; the full send is what
bench_send.py and bench_newsletter.py time). The same protocol at 12,000 and 100,000 recipients:
the figures must be flat. Each run uses the roster of bench_send.py (a wave) or the members of
bench_newsletter.py (a newsletter) in a scratch database `norec_bench_prepare_memory`.

    bench_prepare_memory.py                  # send and newsletter at 12,000 and 100,000
    bench_prepare_memory.py send 100000      # one of them

Prints `bench: prepare_send_worker_tree_pss_mb_<n>` and
`bench: prepare_newsletter_worker_tree_pss_mb_<n>`, and the seconds from the launch to the last
row prepared (`prepare_<kind>_<n>_s`).
"""

import subprocess
import sys
import time

from harness import LANGUAGES
from harness import add_members
from harness import bench
from harness import mail_benchmark
from harness import make_newsletter
from harness import make_roster
from harness import make_wave
from memory import TreeMemoryPeak

BENCH_DB = "norec_bench_prepare_memory"
SIZES = (12_000, 100_000)
SENT_AFTER = 2_000
TICK_SECONDS = 15.0


def launch(kind: str):
    """Start the campaign as staff would; returns a function telling whether it is prepared."""
    if kind == "send":
        from invitations import services
        from invitations.models import Wave

        wave = make_wave()
        services.wave_launch(wave=wave, actor=None)
        return lambda: Wave.objects.filter(pk=wave.pk, prepared_at__isnull=False).exists()
    from newsletters import services
    from newsletters.models import Newsletter

    newsletter = make_newsletter(
        body="This month **forty** former participants registered.", include_activities=False
    )
    services.newsletter_schedule(newsletter=newsletter, actor=None)
    return lambda: Newsletter.objects.filter(pk=newsletter.pk, prepared_at__isnull=False).exists()


def run_one(kind: str, count: int) -> int:
    with mail_benchmark(BENCH_DB) as run:
        from core.tasks import outbound_tick

        if kind == "send":
            make_roster(count)
        else:
            add_members(count, LANGUAGES)
        sink, port = run.sink()
        worker = run.worker(smtp_port=port)
        memory = TreeMemoryPeak(worker.pid).start()
        started = time.perf_counter()
        prepared = launch(kind)
        prepared_s = None
        next_tick = started + TICK_SECONDS
        deadline = time.monotonic() + 1800
        while prepared_s is None or sink.messages < min(count, SENT_AFTER):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{kind} {count}: {sink.messages} sent, prepared: {prepared_s}")
            if not worker.alive:
                raise RuntimeError("the worker died:\n" + worker.log()[-3000:])
            if prepared_s is None and prepared():
                prepared_s = time.perf_counter() - started
            if time.perf_counter() >= next_tick:  # what beat does
                outbound_tick.delay()
                next_tick += TICK_SECONDS
            time.sleep(0.1)
        memory.stop()
        bench(f"prepare_{kind}_{count}_s", prepared_s, "s", 1)
        bench(f"prepare_{kind}_worker_tree_pss_mb_{count}", memory.pss_mb, "MB")
    return 0


def main() -> int:
    if len(sys.argv) == 3:
        return run_one(sys.argv[1], int(sys.argv[2]))
    # One process per run: each needs its own scratch database and Django setup.
    for kind in ("send", "newsletter"):
        for count in SIZES:
            subprocess.run([sys.executable, __file__, kind, str(count)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
