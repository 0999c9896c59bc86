"""Fill the directory's search text for members registered before it existed (re-runnable)."""

from django.db import migrations


def fill_search_text(apps, schema_editor):
    Participant = apps.get_model("members", "Participant")
    registered = Participant.objects.filter(user__isnull=False).prefetch_related("expertise")
    for participant in registered.iterator(chunk_size=500):
        expertise = [field.name for field in participant.expertise.all() if field.is_approved]
        parts = [
            participant.first_name,
            participant.last_name,
            participant.organisation,
            participant.position,
            *expertise,
            participant.bio,
        ]
        text = " ".join(part for part in parts if part).lower()
        if text != participant.search_text:
            Participant.objects.filter(pk=participant.pk).update(search_text=text)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_profile_directory_privacy"),
    ]

    operations = [
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
