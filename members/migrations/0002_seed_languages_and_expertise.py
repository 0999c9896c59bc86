"""The starting vocabularies: languages members speak and fields of expertise.

Production needs them as much as the demo does. Safe to run twice: rows are matched on their
natural key and only missing ones are added; staff edits to existing rows are kept. Reversing
leaves the rows, since members may already point at them.
"""

from django.db import migrations

# ISO 639-1 codes: the languages of the countries Norec works with, and Norway's.
LANGUAGES = [
    ("am", "Amharic"),
    ("ar", "Arabic"),
    ("bn", "Bengali"),
    ("my", "Burmese"),
    ("zh", "Chinese"),
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("gu", "Gujarati"),
    ("ha", "Hausa"),
    ("hi", "Hindi"),
    ("ig", "Igbo"),
    ("id", "Indonesian"),
    ("rw", "Kinyarwanda"),
    ("lo", "Lao"),
    ("lg", "Luganda"),
    ("mg", "Malagasy"),
    ("ne", "Nepali"),
    ("no", "Norwegian"),
    ("om", "Oromo"),
    ("pt", "Portuguese"),
    ("qu", "Quechua"),
    ("si", "Sinhala"),
    ("so", "Somali"),
    ("es", "Spanish"),
    ("sw", "Swahili"),
    ("tl", "Tagalog"),
    ("ta", "Tamil"),
    ("th", "Thai"),
    ("ti", "Tigrinya"),
    ("vi", "Vietnamese"),
    ("yo", "Yoruba"),
    ("zu", "Zulu"),
    ("ny", "Chichewa"),
    ("sn", "Shona"),
]

EXPERTISE_FIELDS = [
    "Agriculture and food security",
    "Climate and environment",
    "Communication and media",
    "Culture and the arts",
    "Democracy and governance",
    "Disability inclusion",
    "Education and teaching",
    "Energy",
    "Engineering and technology",
    "Finance and microcredit",
    "Gender equality",
    "Human rights",
    "Information technology",
    "Journalism",
    "Law and justice",
    "Management and leadership",
    "Nursing and midwifery",
    "Peace and reconciliation",
    "Public health",
    "Sports and youth work",
    "Water and sanitation",
]


def add_vocabularies(apps, schema_editor):
    Language = apps.get_model("members", "Language")
    ExpertiseField = apps.get_model("members", "ExpertiseField")
    db = schema_editor.connection.alias

    known_codes = set(Language.objects.using(db).values_list("code", flat=True))
    Language.objects.using(db).bulk_create(
        [Language(code=code, name=name) for code, name in LANGUAGES if code not in known_codes]
    )
    known_fields = {name.lower() for name in ExpertiseField.objects.using(db).values_list("name", flat=True)}
    ExpertiseField.objects.using(db).bulk_create(
        [
            ExpertiseField(name=name, is_approved=True)
            for name in EXPERTISE_FIELDS
            if name.lower() not in known_fields
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_vocabularies, migrations.RunPython.noop),
    ]
