"""`manage.py update_catalogues` (`make messages`): bring every language's catalogue
(locale/<language>/LC_MESSAGES/django.po) up to date with the strings the code marks, then set
each header's language and plural rule. Needs GNU gettext (scripts/ensure_gettext.sh)."""

from django.core.management.base import BaseCommand

from core.i18n_catalogues import update_catalogues


class Command(BaseCommand):
    help = (
        "Run makemessages for every language of settings.LANGUAGES but English (creating missing "
        "catalogues), then set the catalogues' Language and Plural-Forms headers."
    )

    def handle(self, *args, verbosity, **options):
        for path in update_catalogues(verbosity=max(verbosity - 1, 0)):
            self.stdout.write(f"Updated {path}")
