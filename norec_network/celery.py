"""The Celery app. Configuration comes from Django settings under the CELERY_ namespace."""

import gc
import os

from celery import Celery
from celery import signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")

# "celery.contrib.django.task:DjangoTask" gives every task delay_on_commit(). Every task lives in
# the tasks.py of an installed app (core's included), which autodiscover_tasks() finds.
app = Celery("norec_network", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def freeze_before_forking_the_pool(**_kwargs) -> None:
    """A pool child shares the worker's imported modules (Django, the apps, ~35 MB of objects)
    with its parent page by page until something writes to them. A full garbage collection in the
    child writes to the header of every object it tracks, so the child's first one copied the whole
    heap: the worker's tree grew by ~18 MB per process at some point during a long send (a step
    that 100,000 recipients always reached and 12,000 often not). Objects frozen before the fork
    are never scanned by the children's collections and stay shared. Every fork, also of a child
    replacing a dead one, so what the parent allocated since is frozen too."""
    os.register_at_fork(before=gc.freeze)
