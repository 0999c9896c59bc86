"""The directory's search text without accents ("jose" finds "José"); see
`members.services.fold_for_search`. Re-runnable: folding folded text changes nothing."""

import unicodedata

from django.db import migrations


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_search_text(apps, schema_editor):
    Participant = apps.get_model("members", "Participant")
    rows = Participant.objects.exclude(search_text="").only("pk", "search_text")
    for participant in rows.iterator(chunk_size=1000):
        folded = fold(participant.search_text)
        if folded != participant.search_text:
            Participant.objects.filter(pk=participant.pk).update(search_text=folded)


class Migration(migrations.Migration):
    dependencies = [("members", "0007_staff_groups")]

    operations = [migrations.RunPython(fold_search_text, migrations.RunPython.noop)]
