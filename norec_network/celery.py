"""The Celery app. Configuration comes from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")

# "celery.contrib.django.task:DjangoTask" gives every task delay_on_commit(). Every task lives in
# the tasks.py of an installed app (core's included), which autodiscover_tasks() finds.
app = Celery("norec_network", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
