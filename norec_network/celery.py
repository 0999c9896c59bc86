"""The Celery app. Configuration comes from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norec_network.settings")

# "celery.contrib.django.task:DjangoTask" gives every task delay_on_commit().
# autodiscover_tasks() only looks in INSTALLED_APPS; the project package's own tasks (the one-off
# mail's send_email) are listed by name, or a worker would discard them as unregistered.
app = Celery(
    "norec_network",
    task_cls="celery.contrib.django.task:DjangoTask",
    include=["norec_network.tasks", "norec_network.mail"],
)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
