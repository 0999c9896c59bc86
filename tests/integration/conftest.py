"""Fixtures for tests that run a real Celery worker process against the test database.

A worker is another process: it only sees committed rows, so every test here uses a transactional
database (the `celery_worker` fixture asks for `transactional_db` itself; marking the test
`@pytest.mark.django_db(transaction=True)` says the same thing out loud).
"""

import pytest
from django.db import connection

from tests.support.smtp import SmtpSink
from tests.support.worker import WorkerProcess
from tests.support.worker import database_url
from tests.support.worker import purge_queues


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def smtp_sink():
    """A local SMTP server on a free port; `smtp_sink.wait_for(n)` returns the parsed messages."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def worker_env(smtp_sink):
    """Environment for the worker: by default it sends mail over SMTP to `smtp_sink`. Override this
    fixture (or pass `env=` to `start_worker`) for another email backend."""
    return smtp_sink.env()


@pytest.fixture
def start_worker(transactional_db, worker_env, tmp_path):
    """Factory: `start_worker(**options)` starts a worker subprocess on the test database and
    returns its handle (`kill(signal)`, `restart()`, `stop()`, `log()`). Every worker it started is
    stopped at teardown, before the database is flushed."""
    workers: list[WorkerProcess] = []
    url = database_url(connection.settings_dict)

    def start(*, env=None, **options) -> WorkerProcess:
        if not workers:
            purge_queues()
        worker = WorkerProcess(
            database_url=url,
            env={**worker_env, **(env or {})},
            log_dir=tmp_path,
            **options,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
        # Captured output: pytest shows it only when the test failed.
        print(f"--- log of worker {worker.name} ---\n{worker.log()}")


@pytest.fixture
def celery_worker(start_worker):
    """One running worker (prefork, concurrency 2, queues default, email and bulk)."""
    return start_worker()
