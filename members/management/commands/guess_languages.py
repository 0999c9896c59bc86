"""`manage.py guess_languages [--dry-run]`: give participants imported before the roster guessed
languages their home country's language (see README, "Invitation language"). Safe to re-run."""

from django.core.management.base import BaseCommand

from members.services import participants_guess_language


class Command(BaseCommand):
    help = (
        "Set the invitation language of participants who have not registered and are still on "
        "the default English from their home country (members/languages.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print how many would change; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        counts = participants_guess_language(dry_run=dry_run)
        verb = "Would set" if dry_run else "Set"
        for language, count in counts.items():
            self.stdout.write(f"{verb} {language} for {count} participants.")
