"""Benchmark: a newsletter to 12,000 members, sent by a real Celery worker (prefork, concurrency 2)
to a local SMTP sink, throttling off. Rendering (Markdown, templates, CSS inlining) is included.

The members read English, French, Spanish and Portuguese (a quarter each) and the issue has a
French and a Portuguese variant, so the worker renders three editions and the Spanish readers get
English. `BENCH_NEWSLETTER_MONOLINGUAL=1` runs the issue's earlier workload: everyone on English,
no variant. `BENCH_NEWSLETTER_DB` names the scratch database (when two checkouts bench at once).

Run by `make bench` (which sets DATABASE_URL and CELERY_BROKER_URL). Creates a scratch database
`norec_bench_newsletter`, migrates it, adds 12,000 registered members, schedules a newsletter for
now and runs what beat would run (the newsletter starter, then the sender's tick every 15 s) until
the sink has every message. Prints `bench: <name> <value> <unit>` lines: messages per second from
"send now" to the last message, and the worker's peak memory (resident set size).
"""

import os
import sys
import time

from harness import LANGUAGES as ALL_LANGUAGES
from harness import VARIANTS
from harness import add_members
from harness import assert_each_once
from harness import bench
from harness import mail_benchmark
from harness import make_newsletter
from harness import tree_cpu_seconds
from harness import wait_for_messages
from harness import wait_for_sent
from memory import TreeMemoryPeak

# Another name when two checkouts bench at once (each run drops and re-creates its database).
BENCH_DB = os.environ.get("BENCH_NEWSLETTER_DB", "norec_bench_newsletter")
MEMBERS = int(os.environ.get("BENCH_NEWSLETTER_MEMBERS", "12000"))
MONOLINGUAL = os.environ.get("BENCH_NEWSLETTER_MONOLINGUAL", "") == "1"
LANGUAGES = ["en"] if MONOLINGUAL else ALL_LANGUAGES


def main() -> int:
    with mail_benchmark(BENCH_DB) as run:
        import psutil

        from newsletters import services
        from newsletters.models import Delivery

        add_members(MEMBERS, LANGUAGES)
        handler, port = run.sink()
        worker = run.worker(smtp_port=port)
        process = psutil.Process(worker.pid)
        newsletter = make_newsletter(variants=None if MONOLINGUAL else VARIANTS)
        memory = TreeMemoryPeak(worker.pid).start()
        cpu_before = tree_cpu_seconds(process)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        # "Send now": the worker prepares the deliveries, then starts its batches.
        services.newsletter_schedule(newsletter=newsletter, actor=None)
        waiting = {"started": started, "worker": worker}
        wait_for_messages(handler, MEMBERS, beat=True, **waiting)
        rows = Delivery.objects.filter(newsletter=newsletter)
        elapsed = wait_for_sent(rows, MEMBERS, poll=0.05, **waiting)
        worker_cpu = tree_cpu_seconds(process) - cpu_before
        memory.stop()
        assert_each_once(handler, MEMBERS)

        size = handler.bytes / MEMBERS
        print(f"sent {MEMBERS} messages in {elapsed:.1f} s, {size:.0f} bytes each")
        print(
            f"readers' languages: {', '.join(LANGUAGES)}; "
            f"variants: {', '.join(newsletter.variants.values_list('language', flat=True)) or '-'}"
        )
        bench("newsletter_messages_per_s", MEMBERS / elapsed, "messages/s")
        bench(f"newsletter_{MEMBERS}_s", elapsed, "s", 1)
        # CPU per message is what the machine's other load does not change: on an otherwise idle
        # 2-core machine the worker alone could send about 2000 / this figure messages a second.
        bench("newsletter_worker_cpu_ms_per_message", worker_cpu * 1000 / MEMBERS, "ms", 2)
        print(f"load average before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
        bench("newsletter_worker_peak_rss_mb", memory.largest_rss_mb, "MB")
        bench("newsletter_worker_tree_peak_rss_mb", memory.rss_mb, "MB")
        bench(f"newsletter_worker_tree_pss_mb_{MEMBERS}", memory.pss_mb, "MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
