"""The worker's memory as every benchmark reports it, one sampling for all the figures: each
process of the tree (the worker's main process and its pool children) read once from
/proc/<pid>/smaps_rollup, which gives both its resident set size (RSS) and its proportional set
size (PSS). PSS shares each copy-on-write page among the processes that map it, so the tree's
sum is what the tree really costs (RSS counts the shared pages once per process); the largest
process's RSS is what one process needs."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class TreeMemory:
    """One sample of a process tree, in kB."""

    pss_kb: int = 0
    rss_kb: int = 0
    largest_rss_kb: int = 0


def process_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return rss, pss


def tree_memory(pid: int) -> TreeMemory:
    import psutil

    try:
        process = psutil.Process(pid)
        pids = [pid, *(child.pid for child in process.children(recursive=True))]
    except psutil.NoSuchProcess:
        return TreeMemory()
    sizes = [process_memory_kb(each) for each in pids]
    return TreeMemory(
        pss_kb=sum(pss for _rss, pss in sizes),
        rss_kb=sum(rss for rss, _pss in sizes),
        largest_rss_kb=max((rss for rss, _pss in sizes), default=0),
    )


class TreeMemoryPeak:
    """Samples the tree in a thread while the benchmark runs; each figure's own peak afterwards
    (`pss_mb`, `rss_mb`, `largest_rss_mb`)."""

    def __init__(self, pid: int, every: float = 0.25):
        self.pid, self.every = pid, every
        self.peak = tree_memory(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        now, peak = tree_memory(self.pid), self.peak
        self.peak = TreeMemory(
            pss_kb=max(peak.pss_kb, now.pss_kb),
            rss_kb=max(peak.rss_kb, now.rss_kb),
            largest_rss_kb=max(peak.largest_rss_kb, now.largest_rss_kb),
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def start(self) -> TreeMemoryPeak:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def pss_mb(self) -> float:
        return self.peak.pss_kb / 1024

    @property
    def rss_mb(self) -> float:
        return self.peak.rss_kb / 1024

    @property
    def largest_rss_mb(self) -> float:
        return self.peak.largest_rss_kb / 1024
