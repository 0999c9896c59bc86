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

from harness import LANGUAGES
from harness import PRODUCTION_ENV
from harness import add_members
from harness import bench
from harness import make_newsletter
from harness import make_roster
from harness import make_wave
from harness import smtp_env
from harness import start_sink
from scratch import migrated_database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--stream", default="newsletter", choices=["newsletter", "invitation"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-profile", action="store_true", help="CPU per message only")
    parser.add_argument("--callers", default="", help="also print the callers of this function")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        controller, handler, port = start_sink()
        stack.callback(controller.stop)
        # This process sends as a production worker would; no worker here, and a task enqueued
        # on commit only reaches an empty queue.
        os.environ.update({**smtp_env(port), **PRODUCTION_ENV, "CELERY_TASK_ALWAYS_EAGER": "false"})
        # One connection: everything then runs in this thread, which is what the CPU time (of
        # this thread, not of the sink's) and the profile see.
        os.environ.setdefault("OUTBOUND_CONNECTIONS", "1")
        stack.enter_context(migrated_database("norec_profile_send"))
        from django.db import transaction

        from core import outbound
        from invitations.services import INVITATION_STREAM
        from newsletters.services import STREAM as NEWSLETTER_STREAM

        with transaction.atomic():
            if args.stream == "newsletter":
                from newsletters import services

                add_members(args.count, LANGUAGES)
                campaign = make_newsletter(
                    body="## News\n\nThis month **forty** former participants registered.\n" * 8
                )
                services.newsletter_schedule(newsletter=campaign, actor=None)
                stream_name = NEWSLETTER_STREAM
            else:
                from invitations import services

                make_roster(args.count, languages=LANGUAGES)
                campaign = make_wave(name="Profile")
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
        bench(f"profile_{stream_name}_cpu_ms_per_message", cpu * 1000 / sent, "ms", 3)
        bench(f"profile_{stream_name}_messages_per_s", sent / wall, "messages/s")
        if not args.no_profile:
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
