"""Network advisers run the community from the admin (issue 13): they create branches and choose
their committees, keep the rooms and the list of themes, moderate topics and posts in every room
(the `change_post` permission is also what the member pages' moderation asks of staff), work
through the reports, and read branch announcements and digest deliveries. A new migration, as
0007 says a change of a role must be."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Network advisers"
APP_LABEL = "community"
CODENAMES = [
    "view_branch", "add_branch", "change_branch",
    "view_room", "change_room",
    "view_tag", "add_tag", "change_tag", "delete_tag",
    "view_topic", "change_topic",
    "view_post", "change_post",
    "view_report", "change_report",
    "view_announcement",
    "view_digestdelivery",
]  # fmt: skip


def grant(apps) -> None:
    """Also called by the test suite after a flush (tests/support/roles.py)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    found = list(
        Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=CODENAMES)
    )
    missing = set(CODENAMES) - {permission.codename for permission in found}
    if missing:
        raise RuntimeError(f"{GROUP}: no such permissions in {APP_LABEL}: {missing}")
    group.permissions.add(*found)


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate).
    app_config = apps.get_app_config(APP_LABEL)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    grant(apps)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_participant_list_indexes"),
        ("community", "0004_digest_mentions_notify"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
