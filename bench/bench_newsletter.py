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

import contextlib
import os
import sys
import time
from pathlib import Path

from harness import add_members
from harness import start_sink
from harness import start_worker
from harness import tree_cpu_seconds
from memory import TreeMemoryPeak
from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Another name when two checkouts bench at once (each run drops and re-creates its database).
BENCH_DB = os.environ.get("BENCH_NEWSLETTER_DB", "norec_bench_newsletter")
MEMBERS = int(os.environ.get("BENCH_NEWSLETTER_MEMBERS", "12000"))
MONOLINGUAL = os.environ.get("BENCH_NEWSLETTER_MONOLINGUAL", "") == "1"
LANGUAGES = ["en"] if MONOLINGUAL else ["en", "fr", "es", "pt"]
TICK_SECONDS = 15.0
BODY = """## News from the network

This month **forty** former participants registered. Read their stories on
[the website](https://www.norec.no/), and keep your profile up to date.

![A meeting in Nairobi](https://www.norec.no/images/nairobi.jpg)

- A webinar on climate and health
- A physical meeting in Kathmandu
- New e-learning on project management

> "The exchange taught me to listen first." (Grace, Malawi 2019)
"""
VARIANTS = {
    "fr": (
        "Des nouvelles du réseau",
        """## Des nouvelles du réseau

Ce mois-ci, **quarante** anciens participants se sont inscrits. Lisez leurs histoires sur
[le site](https://www.norec.no/) et tenez votre profil à jour.

![Une rencontre à Nairobi](https://www.norec.no/images/nairobi.jpg)

- Un webinaire sur le climat et la santé
- Une rencontre en présentiel à Katmandou
- Une nouvelle formation en ligne à la gestion de projet

> « L'échange m'a appris à écouter d'abord. » (Grace, Malawi 2019)
""",
    ),
    "pt": (
        "Notícias da rede",
        """## Notícias da rede

Este mês registaram-se **quarenta** antigos participantes. Leia as suas histórias
[no site](https://www.norec.no/) e mantenha o seu perfil atualizado.

![Um encontro em Nairobi](https://www.norec.no/images/nairobi.jpg)

- Um webinário sobre clima e saúde
- Um encontro presencial em Katmandu
- Uma nova formação online em gestão de projetos

> «O intercâmbio ensinou-me a ouvir primeiro.» (Grace, Malawi 2019)
""",
    ),
}


def main() -> int:
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    scratch = contextlib.ExitStack()
    scratch.enter_context(scratch_database(BENCH_DB))
    worker = None
    controller = None
    try:
        import django

        django.setup()
        import psutil
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from core.tasks import outbound_tick
        from newsletters import services
        from newsletters.models import Delivery
        from newsletters.models import Newsletter

        call_command("migrate", verbosity=0)
        add_members(MEMBERS, LANGUAGES)

        controller, handler, port = start_sink()
        worker = start_worker(database_url=os.environ["DATABASE_URL"], smtp_port=port)
        process = psutil.Process(worker.pid)
        memory = TreeMemoryPeak(worker.pid).start()

        newsletter = Newsletter.objects.create(
            subject="News from the network",
            month=timezone.localdate().replace(day=1),
            body=BODY,
            include_activities=True,
            rate_per_hour=0,  # throttling off
        )
        if not MONOLINGUAL:
            # Imported here: the monolingual run also works on code from before variants existed.
            from newsletters.models import NewsletterVariant

            for language, (subject, body) in VARIANTS.items():
                NewsletterVariant.objects.create(
                    newsletter=newsletter, language=language, subject=subject, body=body
                )
        cpu_before = tree_cpu_seconds(process)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        # "Send now": the worker prepares the deliveries, then starts its batches.
        services.newsletter_schedule(newsletter=newsletter, actor=None)
        next_tick = started + TICK_SECONDS
        deadline = started + 900
        while handler.count < MEMBERS and time.perf_counter() < deadline:
            time.sleep(0.2)
            if time.perf_counter() >= next_tick:  # what beat does
                outbound_tick.delay()
                next_tick += TICK_SECONDS
        # The last rows are marked sent a moment after the sink has their message.
        while (
            Delivery.objects.filter(status="sent").count() < MEMBERS
            and time.perf_counter() < deadline
        ):
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        worker_cpu = tree_cpu_seconds(process) - cpu_before
        memory.stop()
        assert handler.count == MEMBERS, f"only {handler.count} of {MEMBERS} arrived"
        twice = [address for address, times in handler.recipients.items() if times > 1]
        assert not twice, f"{len(twice)} recipients got it twice"
        assert Delivery.objects.filter(status="sent").count() == MEMBERS

        size = handler.bytes / MEMBERS
        print(f"sent {MEMBERS} messages in {elapsed:.1f} s, {size:.0f} bytes each")
        print(
            f"readers' languages: {', '.join(LANGUAGES)}; "
            f"variants: {', '.join(newsletter.variants.values_list('language', flat=True)) or '-'}"
        )
        print(f"bench: newsletter_messages_per_s {MEMBERS / elapsed:.0f} messages/s")
        print(f"bench: newsletter_{MEMBERS}_s {elapsed:.1f} s")
        # CPU per message is what the machine's other load does not change: on an otherwise idle
        # 2-core machine the worker alone could send about 2000 / this figure messages a second.
        print(f"bench: newsletter_worker_cpu_ms_per_message {worker_cpu * 1000 / MEMBERS:.2f} ms")
        print(f"load average before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
        print(f"bench: newsletter_worker_peak_rss_mb {memory.largest_rss_mb:.0f} MB")
        print(f"bench: newsletter_worker_tree_peak_rss_mb {memory.rss_mb:.0f} MB")
        print(f"bench: newsletter_worker_tree_pss_mb_{MEMBERS} {memory.pss_mb:.0f} MB")
        connections.close_all()
    finally:
        if worker is not None:
            worker.stop()
        if controller is not None:
            controller.stop()
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
