"""The staff groups, as the data migration makes them, for tests that run after a flush.

Transactional tests (browser, real worker) end with a flush that empties every table, the
migration's groups included; permissions come back by themselves (post_migrate), groups do not.
"""

import importlib

from django.apps import apps
from django.contrib.auth.models import Group

NETWORK_ADVISERS = "Network advisers"
ACTIVITY_STAFF = "Activity staff"


def ensure_staff_groups() -> None:
    if Group.objects.filter(name__in=[NETWORK_ADVISERS, ACTIVITY_STAFF]).count() < 2:
        migration = importlib.import_module("members.migrations.0007_staff_groups")
        migration.set_staff_groups(apps)
        importlib.import_module("members.migrations.0011_advisers_see_outgoing_mail").grant(apps)
        importlib.import_module("members.migrations.0014_advisers_run_the_community").grant(apps)


def staff_group(name: str) -> Group:
    ensure_staff_groups()
    return Group.objects.get(name=name)
