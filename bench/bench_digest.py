"""Benchmark: a weekly community digest to 12,000 members, sent by a real Celery worker (prefork,
concurrency 2, production settings) through the shared bulk sender (stream "community_digest") to
a local SMTP sink. The members follow the network room (a quarter of them a branch room too), read
in four languages, and the week had 12 new topics and 40 replies.

Run by `make bench` (which sets DATABASE_URL and CELERY_BROKER_URL). Creates a scratch database
`norec_bench_digest`, migrates it, adds the members, then times the weekly run
(`community.digests.digest_start`, what beat starts on Mondays) and the sender's ticks every 15 s
(what beat does) until the sink has every digest. Prints `bench: <name> <value> <unit>` lines.
"""

import datetime
import os
import sys
import time

from harness import LANGUAGES
from harness import add_members
from harness import assert_each_once
from harness import bench
from harness import mail_benchmark
from harness import tree_cpu_seconds
from harness import wait_for_messages
from harness import wait_for_sent
from memory import TreeMemoryPeak

BENCH_DB = "norec_bench_digest"
MEMBERS = int(os.environ.get("BENCH_DIGEST_MEMBERS", "12000"))


def add_community(count: int) -> None:
    """Every member in the community (weekly digest, the default), following the network room;
    every fourth also Kenya's branch room. A week of news: 12 topics, 40 replies."""
    from community import services
    from community.models import Branch
    from community.models import CommunityMember
    from community.models import Post
    from community.models import Room
    from community.models import RoomFollow
    from community.models import Topic
    from members.models import Participant

    network = services.network_room()
    kenya = Branch.objects.create(name="Kenya", slug="kenya", countries=["KE"])
    kenya_room = Room.objects.create(
        kind=Room.Kind.BRANCH, branch=kenya, name="Kenya", slug="kenya"
    )
    ids = list(Participant.objects.order_by("pk").values_list("pk", flat=True))
    for n, language in enumerate(LANGUAGES):
        Participant.objects.filter(pk__in=ids[n :: len(LANGUAGES)]).update(
            preferred_language=language
        )
    CommunityMember.objects.bulk_create(
        [CommunityMember(participant_id=pk) for pk in ids], batch_size=2000
    )
    follows = [RoomFollow(participant_id=pk, room=network) for pk in ids]
    follows += [RoomFollow(participant_id=pk, room=kenya_room) for pk in ids[::4]]
    RoomFollow.objects.bulk_create(follows, batch_size=2000)
    for n in range(12):
        room = network if n % 3 else kenya_room
        topic = Topic.objects.create(room=room, title=f"Topic number {n}", author_id=ids[n])
        Post.objects.create(
            topic=topic, author_id=ids[n], is_opening=True, text=f"What do you think of {n}?"
        )
        for m in range(n % 7):
            Post.objects.create(topic=topic, author_id=ids[100 + m], text="An answer.")
        topic.reply_count = n % 7
        topic.save()


def main() -> int:
    with mail_benchmark(BENCH_DB) as run:
        import psutil
        from django.utils import timezone

        from community import digests
        from community.models import DigestDelivery
        from core.tasks import outbound_tick

        add_members(MEMBERS, LANGUAGES)
        add_community(MEMBERS)
        handler, port = run.sink()
        worker = run.worker(smtp_port=port)
        process = psutil.Process(worker.pid)
        memory = TreeMemoryPeak(worker.pid).start()

        today = digests.today_local(timezone.now())
        monday = today + datetime.timedelta(days=7 - today.weekday())
        cpu_before = tree_cpu_seconds(process)
        started = time.perf_counter()
        made = digests.digest_start(frequency="weekly", day=monday)
        materialised = time.perf_counter() - started
        assert made == MEMBERS, f"{made} digests made for {MEMBERS} members"
        outbound_tick.delay()
        waiting = {"started": started, "worker": worker}
        wait_for_messages(handler, MEMBERS, beat=True, **waiting)
        rows = DigestDelivery.objects.all()
        elapsed = wait_for_sent(rows, MEMBERS, poll=0.05, **waiting)
        worker_cpu = tree_cpu_seconds(process) - cpu_before
        memory.stop()
        assert_each_once(handler, MEMBERS)
        assert digests.digest_start(frequency="weekly", day=monday) == 0  # idempotent

        size = handler.bytes / MEMBERS
        print(f"sent {MEMBERS} digests in {elapsed:.1f} s, {size:.0f} bytes each")
        bench("digest_materialise_s", materialised, "s", 1)
        bench(f"digest_{MEMBERS}_s", elapsed, "s", 1)
        bench("digest_messages_per_s", MEMBERS / elapsed, "messages/s")
        bench("digest_worker_cpu_ms_per_message", worker_cpu * 1000 / MEMBERS, "ms", 2)
        bench("digest_worker_peak_rss_mb", memory.largest_rss_mb, "MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
