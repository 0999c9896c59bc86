"""Benchmark: an invitation wave of 12,000 participants through a real worker to a local SMTP sink.

Run by `make bench` (which sets DATABASE_URL and CELERY_BROKER_URL). Creates a scratch database
`norec_bench_send`, fills it with a roster (one exchange each), launches a wave with throttling off
and its window always open, and lets a real `celery worker` (prefork, concurrency 2, the same
command and settings as production) send it over SMTP to an aiosmtpd sink in this process. Two
batch chains run at once, as after the second beat tick in production. Prints
`bench: <name> <value> <unit>` lines:

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
import sys
import time

from harness import assert_each_once
from harness import bench
from harness import mail_benchmark
from harness import make_roster
from harness import make_wave
from harness import tree_cpu_seconds
from harness import wait_for_messages
from harness import wait_until
from memory import TreeMemoryPeak

BENCH_DB = "norec_bench_send"
BATCH_SIZE = 500


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=12_000)
    args = parser.parse_args()
    count = args.recipients

    with mail_benchmark(BENCH_DB) as run:
        from core.tasks import outbound_send_batch
        from invitations import services
        from invitations.models import Invitation
        from invitations.models import Wave

        make_roster(count)
        sink, port = run.sink()
        worker = run.worker(smtp_port=port)
        wave = make_wave(batch_size=BATCH_SIZE)
        memory = TreeMemoryPeak(worker.pid).start()
        cpu_before = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        # Marks the wave preparing; the worker makes the invitations, then kicks a batch chain.
        created = services.wave_launch(wave=wave, actor=None)
        assert created == count, created
        waiting = {"started": started, "worker": worker, "poll": 0.05}
        # Until the worker has made every invitation (`prepared_at`).
        materialised = wait_until(
            Wave.objects.filter(pk=wave.pk, prepared_at__isnull=False).exists,
            what=lambda: "the wave's preparation did not end",
            limit=600,
            **waiting,
        )
        outbound_send_batch.delay("invitation", wave.pk)  # the second chain, as beat would add
        elapsed = wait_for_messages(
            sink, count, limit=materialised + max(600, count / 20), **waiting
        )
        cpu_ms = (tree_cpu_seconds(worker.pid) - cpu_before) * 1000 / count
        memory.stop()
        time.sleep(1)  # anything sent twice would arrive now

        assert_each_once(sink, count)
        sent = Invitation.objects.filter(wave=wave, status="sent").count()
        assert sent == count, f"{sent} rows marked sent"
        rate = count / (elapsed - materialised)
        label = "" if count == 12_000 else f"_{count}"
        bench(f"send_materialise{label or '_12000'}_s", materialised, "s", 2)
        bench(f"send{label}_messages_per_s", rate, "messages/s")
        bench(f"send{label}_launch_to_last_message_s", elapsed, "s", 1)
        bench(f"send{label}_worker_cpu_ms_per_message", cpu_ms, "ms", 2)
        bench(f"send{label}_worker_peak_rss_mb", memory.rss_mb, "MB")
        bench(f"send{label}_worker_process_peak_rss_mb", memory.largest_rss_mb, "MB")
        bench(f"send_worker_tree_pss_mb_{count}", memory.pss_mb, "MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
