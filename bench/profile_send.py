"""Profile the bulk sender's per-message path in this process (not a benchmark: `make bench` does
not run it). Fills a scratch database with a newsletter to N members and a wave to N people,
claims their rows as a worker would and sends them with `outbound.send_claimed` to a counting
SMTP sink, under cProfile; prints the CPU per message and the top functions by cumulative time.

    .venv/bin/python bench/profile_send.py --count 2000 --stream invitation --sort tottime
"""

import argparse
import contextlib
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

from harness import add_members
from harness import make_roster
from harness import start_sink
from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LANGUAGES = ["en", "fr", "es", "pt"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--stream", default="newsletter", choices=["newsletter", "invitation"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-profile", action="store_true", help="CPU per message only")
    parser.add_argument("--callers", default="", help="also print the callers of this function")
    args = parser.parse_args()
    scratch = contextlib.ExitStack()
    scratch.enter_context(scratch_database("norec_profile_send"))
    controller, handler, port = start_sink()
    os.environ.update(
        {
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    # One connection: everything then runs in this thread, which is what the CPU time (of this
    # thread, not of the sink's) and the profile see.
    os.environ.setdefault("OUTBOUND_CONNECTIONS", "1")
    try:
        import django

        django.setup()
        from datetime import time as clock

        from django.core.management import call_command
        from django.db import transaction
        from django.utils import timezone

        from core import outbound
        from invitations.models import Wave
        from invitations.services import INVITATION_STREAM
        from newsletters.models import Newsletter
        from newsletters.services import STREAM as NEWSLETTER_STREAM

        call_command("migrate", verbosity=0)
        with transaction.atomic():
            if args.stream == "newsletter":
                add_members(args.count, LANGUAGES)
                campaign = Newsletter.objects.create(
                    subject="News from the network",
                    month=timezone.localdate().replace(day=1),
                    body="## News\n\nThis month **forty** former participants registered.\n" * 8,
                    include_activities=True,
                    rate_per_hour=0,
                    status=Newsletter.Status.DRAFT,
                )
                from newsletters import services

                # No worker here: the task enqueued on commit only reaches an empty queue.
                services.newsletter_schedule(newsletter=campaign, actor=None)
                stream_name = NEWSLETTER_STREAM
            else:
                make_roster(args.count, languages=LANGUAGES)
                campaign = Wave.objects.create(
                    name="Profile",
                    home_countries=["KE"],
                    starts_at=timezone.now(),
                    rate_per_hour=0,
                    batch_size=500,
                    window_start=clock(0, 0),
                    window_end=clock(0, 0),
                    window_weekdays=list(range(7)),
                )
                from invitations import services

                services.wave_launch(wave=campaign, actor=None)
                stream_name = INVITATION_STREAM
        # The launch only marked the campaign "preparing"; make its rows here as the worker would.
        after = None
        while True:
            prepared = outbound.prepare_chunk(
                stream_name=stream_name, campaign_id=campaign.pk, after=after
            )
            if not prepared.more:
                break
            after = prepared.after
        stream = outbound.get_stream(stream_name)
        big = outbound.Campaign(id=campaign.pk, rate_per_hour=0, batch_size=args.count)
        ids = outbound.claim(stream=stream, campaign=big, claimed_by="profile/1")
        # One warm-up message outside the profile (templates compiled, connection opened).
        outbound.send_claimed(stream=stream, ids=ids[:1])
        profiler = cProfile.Profile()
        cpu = time.thread_time()
        wall = time.perf_counter()
        if not args.no_profile:
            profiler.enable()
        result = outbound.send_claimed(stream=stream, ids=ids[1:])
        profiler.disable()
        cpu = time.thread_time() - cpu
        wall = time.perf_counter() - wall
        sent = result.sent
        print(result)
        print(f"{stream_name}: {sent} sent, {handler.bytes / max(handler.messages, 1):.0f} bytes")
        print(f"bench: profile_{stream_name}_cpu_ms_per_message {cpu * 1000 / sent:.3f} ms")
        print(f"bench: profile_{stream_name}_messages_per_s {sent / wall:.0f} messages/s")
        if not args.no_profile:
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
    finally:
        controller.stop()
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
