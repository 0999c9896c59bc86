"""The worker's memory as the benchmarks report it: the proportional set size (PSS) of the whole
process tree, the worker's main process and its pool children, read from
/proc/<pid>/smaps_rollup. PSS shares each copy-on-write page among the processes that map it, so
the sum is what the tree really costs (RSS counts the shared pages once per process)."""

from __future__ import annotations

import threading


def process_pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree_pss_kb(pid: int) -> int:
    import psutil

    try:
        process = psutil.Process(pid)
        pids = [pid, *(child.pid for child in process.children(recursive=True))]
    except psutil.NoSuchProcess:
        return 0
    return sum(process_pss_kb(each) for each in pids)


class TreePssPeak:
    """Samples the tree's PSS in a thread while the benchmark runs; `peak_mb` afterwards."""

    def __init__(self, pid: int, every: float = 0.25):
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.pid))
            self._stop.wait(self.every)

    def start(self) -> TreePssPeak:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, tree_pss_kb(self.pid))

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024
