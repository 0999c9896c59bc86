"""Network advisers see the log of one-off mails (core.OutgoingMail), on its own page and on a
participant's page: whether a person's reset mail or confirmation went out, and what became of it.
A new migration, as 0007 says a change of a role must be."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Network advisers"
PERMISSION = ("core", "view_outgoingmail")


def grant(apps) -> None:
    """Also called by the test suite after a flush (tests/support/roles.py)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        app_label, codename = PERMISSION
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate).
    app_config = apps.get_app_config("core")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    grant(apps)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_label, codename = PERMISSION
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0010_staff_action_address_change"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
