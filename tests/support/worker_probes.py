"""Tasks that only the tests load into a real worker (`celery worker --include
tests.support.worker_probes`): they report what a pool child sees of its own process, in a JSON
file the test names (the project keeps no task results)."""

from __future__ import annotations

import gc
import json
import os

from celery import shared_task


def private_kb() -> int:
    """Memory this process no longer shares with any other (its own copies of pages)."""
    total = 0
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


@shared_task(name="tests.full_collection")
def full_collection(report_path: str) -> None:
    """A full garbage collection in the pool child that runs it, and what it cost: the child's
    private memory afterwards, how much the collection itself copied, and how many objects the
    collection was spared because the parent froze them before the fork."""
    before = private_kb()
    gc.collect()
    after = private_kb()
    report = {"private_kb": after, "copied_kb": after - before, "frozen": gc.get_freeze_count()}
    # Whole or not at all: the test reads the file as soon as it exists.
    with open(f"{report_path}.part", "w") as out:
        json.dump(report, out)
    os.replace(f"{report_path}.part", report_path)
