"""A real `celery -A norec_network worker` subprocess, for integration tests and benchmarks.

Not eager, not in-process: the worker is its own process group, reads its configuration from the
environment like a production worker, and sees only what the test process has committed.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from kombu import pools as kombu_pools

from norec_network.celery import app as celery_app

QUEUES = ("default", "email", "bulk")
# A cap against hanging forever when a worker cannot start, not a performance assertion.
START_TIMEOUT = 90.0


def database_url(settings_dict: Mapping) -> str:
    """DATABASE_URL for another process to reach the same database (e.g. pytest-django's test
    database, whose name is only known once it has been created)."""
    engine = settings_dict["ENGINE"]
    if engine != "django.db.backends.postgresql":
        raise ValueError(f"a worker process needs PostgreSQL, not {engine}")
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def purge_queues(queues: tuple[str, ...] = QUEUES) -> int:
    """Drop waiting messages left by an earlier run, so a test starts from an empty broker."""
    dropped = 0
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in queues:
            try:
                dropped += channel.queue_purge(queue) or 0
            except Exception:  # a queue that was never declared has nothing to purge
                continue
    return dropped


def _drop_broker_connections() -> None:
    # Celery caches a connection pool and a producer pool, both taken from kombu's global pool
    # registry, plus the control mailbox's producers; after the broker changes they would still talk
    # to the old one. Closing a pool without clearing the registry would hand the closed pool back.
    kombu_pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    with contextlib.suppress(AttributeError, KeyError):
        del celery_app.control.mailbox.producer_pool


@contextlib.contextmanager
def broker_in_this_process(url: str, transport_options: dict | None = None):
    """Point this process's Celery app at another broker for a while (e.g. the filesystem
    transport `make run` uses). Celery reads CELERY_BROKER_URL from the environment before its
    configuration, so that is what changes."""
    previous_url = os.environ.get("CELERY_BROKER_URL")
    previous_options = celery_app.conf.broker_transport_options
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_transport_options = transport_options or {}
    _drop_broker_connections()
    try:
        yield
    finally:
        if previous_url is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_url
        celery_app.conf.broker_transport_options = previous_options
        _drop_broker_connections()


def filesystem_broker_options(folder: Path) -> dict:
    """Transport options for kombu's filesystem broker in `folder` (as settings.py builds them
    from CELERY_BROKER_FOLDER); creates the folders it needs."""
    for name in ("queue", "control", "processed"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }


class WorkerProcess:
    """One worker subprocess. `start()` returns once it answers `control.ping`."""

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str | None = None,
        env: Mapping[str, str] | None = None,
        queues: tuple[str, ...] = QUEUES,
        concurrency: int = 2,
        pool: str = "prefork",
        loglevel: str = "INFO",
        extra_args: tuple[str, ...] = (),
        log_dir: Path | None = None,
    ):
        self.database_url = database_url
        self.broker_url = broker_url or settings.CELERY_BROKER_URL
        self.extra_env = dict(env or {})
        self.queues = queues
        self.concurrency = concurrency
        self.pool = pool
        self.loglevel = loglevel
        self.extra_args = extra_args
        # The worker's name is unique so that pings and `names` only ever match this process.
        self.name = f"norec-test-{uuid.uuid4().hex[:10]}@{socket.gethostname()}"
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="norec-worker-"))
        self.log_path = self.log_dir / f"{self.name.split('@')[0]}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    # --- lifecycle -------------------------------------------------------------------------------

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "norec_network",
            "worker",
            f"--loglevel={self.loglevel}",
            "--without-mingle",
            "--without-gossip",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            "-Q",
            ",".join(self.queues),
            "-n",
            self.name,
            *self.extra_args,
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "norec_network.settings",
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": self.broker_url,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "PYTHONUNBUFFERED": "1",
                # Never run a test's tasks against an ESP configured in the developer's shell.
                "ANYMAIL_ESP": "",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = START_TIMEOUT) -> WorkerProcess:
        if self.alive:
            raise RuntimeError("worker already running")
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps writing after we return)
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=settings.BASE_DIR,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that stop() and kill() reach the pool's children too.
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"worker exited with {self.process.returncode} while starting:\n{self.log()}"
                )
            if self.ping(timeout=0.5):
                return
        self.stop()
        raise RuntimeError(f"worker did not answer a ping within {timeout:.0f} s:\n{self.log()}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def ping(self, timeout: float = 1.0) -> bool:
        replies = celery_app.control.ping(destination=[self.name], timeout=timeout) or []
        return any(self.name in reply for reply in replies)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the worker and its pool children (SIGKILL: a crash, nothing cleaned up)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGQUIT, signal.SIGINT):
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL the whole group: never leaves a process behind."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # Pool children of a killed parent may still be around: the group goes in any case.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait()

    def restart(self, timeout: float = START_TIMEOUT) -> WorkerProcess:
        """Stop (if still running) and start again with the same name and environment; messages
        left unacknowledged by a killed worker stay in the broker for the new one."""
        self.stop()
        return self.start(timeout=timeout)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_task(self, task_id: str, timeout: float = 60.0) -> str:
        """Block until this worker has finished the task, and return its result as the worker
        logged it ("Task <name>[<id>] succeeded in 0.01s: <result>"); the signal that a task
        ran, for tests that must know it did nothing more. Raises if the task failed.

        The timeout is a cap against hanging forever, not a performance assertion."""
        succeeded = re.compile(rf"\[{re.escape(task_id)}\] succeeded in [0-9.e-]+s: (.*)")
        failed = re.compile(rf"\[{re.escape(task_id)}\] raised unexpected")
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            found = succeeded.search(log)
            if found:
                return found.group(1).strip()
            if failed.search(log):
                raise RuntimeError(f"task {task_id} failed:\n{log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} did not finish within {timeout:.0f} s")
            time.sleep(0.1)

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
