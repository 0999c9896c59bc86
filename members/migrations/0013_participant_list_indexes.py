# The participant list at 100,000 participants (issue 14): a page deep in the list reads the
# roster's order from one index, and a search reads two trigram indexes
# (the row's own fields, and login addresses).

from django.db import migrations, models

# UPPER(members.models.ADMIN_SEARCH_TEXT), as Django compiles it for PostgreSQL: the search's
# `icontains` must match this expression for the planner to use the index.
ADMIN_SEARCH_EXPRESSION = (
    "UPPER((COALESCE(\"participant_id\", '') || COALESCE((COALESCE(' ', '') || "
    "COALESCE((COALESCE(\"first_name\", '') || COALESCE((COALESCE(' ', '') || "
    "COALESCE((COALESCE(\"last_name\", '') || COALESCE((COALESCE(' ', '') || "
    "COALESCE(\"email\", '')), '')), '')), '')), '')), '')))"
)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # `make run`'s SQLite: the search scans, as it did
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS participant_admin_search_idx ON members_participant "
        f"USING gin (({ADMIN_SEARCH_EXPRESSION}) gin_trgm_ops)"
    )
    # The same search looks for the word in login addresses (`user__email__icontains`).
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS user_email_search_idx ON members_user "
        "USING gin ((UPPER(email::text)) gin_trgm_ops)"
    )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS participant_admin_search_idx")
        schema_editor.execute("DROP INDEX IF EXISTS user_email_search_idx")


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0012_staffaction_kind_registered_by_apps'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='participant',
            name='members_par_last_na_fbb510_idx',
        ),
        migrations.AddIndex(
            model_name='participant',
            index=models.Index(fields=['last_name', 'first_name', 'id'], name='participant_name_order_idx'),
        ),
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
    ]
