"""The worker's memory stays flat however large the campaign (issue 14, item 4): its pool children
keep sharing what the parent imported, even after their garbage collector has run over it."""

import json

import pytest

from norec_network.celery import app as celery_app
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# A pool child's private memory after a full collection: about 25 MB of its own while it shares
# the objects the parent imported (Django, the apps, Celery); 65 MB once it copied them (measured).
SHARED_HEAP_KB = 35_000


def test_a_pool_childs_full_garbage_collection_leaves_the_parents_objects_shared(
    start_worker, tmp_path
):
    worker = start_worker(concurrency=1, extra_args=("--include", "tests.support.worker_probes"))
    report_path = tmp_path / "full_collection.json"

    celery_app.send_task("tests.full_collection", args=[str(report_path)], queue="default")

    wait_until(report_path.exists)
    report = json.loads(report_path.read_text())
    # Without the freeze the child's private memory holds a copy of the parent's whole heap.
    assert report["private_kb"] < SHARED_HEAP_KB, report
    assert report["frozen"] > 100_000, worker.log()
