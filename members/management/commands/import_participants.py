"""`manage.py import_participants FILE [--dry-run]`: import (or check) a roster CSV file.

Exit codes: 0 every row imported; 1 the file could not be imported at all (nothing was saved);
3 the good rows were imported and the rows listed under "Rows not imported" were not.
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from members.roster_import import COLUMNS
from members.roster_import import roster_import
from members.services import ParticipantRefused

EXIT_ROWS_REJECTED = 3


class Command(BaseCommand):
    help = (
        "Import the participant roster from a CSV file (one row per exchange; columns: "
        + ", ".join(COLUMNS)
        + "). Safe to re-run: an unchanged file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (comma, semicolon or tab separated).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print the report without saving anything.",
        )

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        try:
            report = roster_import(data=data, dry_run=dry_run, source=path.name)
        except ParticipantRefused as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from error
        for line in report.lines():
            self.stdout.write(line)
        if report.errors:
            raise CommandError(
                f"{report.rows_rejected} rows were not imported (listed above); "
                "fix them and import the file again.",
                returncode=EXIT_ROWS_REJECTED,
            )
