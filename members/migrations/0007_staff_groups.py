"""The two staff roles as groups, with exactly the permissions each needs (issue 7).

- Network advisers: the roster and its import, waves, invitations, invitation requests and bad
  addresses (which live on participants).
- Activity staff: activities, registrations, materials and newsletters; resource persons to find
  speakers. They never see the roster as a whole, invitations or invitation requests.

Superusers need no group. The permission lists are frozen here, as a migration must be; a later
change of a role is a new migration. Every codename must exist, so a renamed model fails loudly.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Network advisers": {
        "members": [
            "view_participant", "add_participant", "change_participant",
            "view_exchange", "add_exchange", "change_exchange", "delete_exchange",
            "view_expertisefield", "add_expertisefield", "change_expertisefield",
            "view_language",
            "view_resourceperson",
            "view_contactmessage",
            "view_staffaction",
        ],
        "invitations": [
            "view_wave", "add_wave", "change_wave", "delete_wave",
            "view_invitation", "add_invitation", "change_invitation",
            "view_invitationreminder",
            "view_invitationrequest", "change_invitationrequest",
        ],
    },
    "Activity staff": {
        "members": [
            "view_expertisefield", "add_expertisefield", "change_expertisefield",
            "view_language",
            "view_resourceperson",
            "view_staffaction",
        ],
        "activities": [
            "view_activity", "add_activity", "change_activity", "delete_activity",
            "view_registration", "add_registration", "change_registration",
            "delete_registration",
            "view_material", "add_material", "change_material", "delete_material",
        ],
        "newsletters": [
            "view_newsletter", "add_newsletter", "change_newsletter", "delete_newsletter",
            "view_delivery",
        ],
    },
}  # fmt: skip


def set_staff_groups(apps) -> None:
    """Create or reset the groups from ROLES. Also called by the test suite after a flush (which
    empties tables but keeps the schema), with the live app registry."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in ROLES.items():
        wanted = []
        for app_label, codenames in by_app.items():
            found = list(
                Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
            missing = set(codenames) - {permission.codename for permission in found}
            if missing:
                raise RuntimeError(f"{name}: no such permissions in {app_label}: {missing}")
            wanted += found
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(wanted)


def create_staff_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); a fresh database
    # has none yet, so create them now for every app of this migration state.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    set_staff_groups(apps)


def remove_staff_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("members", "0006_directory_index_covers_user"),
        ("invitations", "0002_reminder_wave"),
        ("activities", "0001_activities_registrations_feeds"),
        ("newsletters", "0002_delivery_outbound"),
    ]

    operations = [migrations.RunPython(create_staff_groups, remove_staff_groups)]
