"""`manage.py compile_catalogues`: write the .mo file of every translation catalogue (locale/),
with polib rather than GNU gettext's msgfmt, so that a machine with only Python serves translated
pages. `make run`, `make test` and the Dockerfile run it; the .mo files are not committed."""

from django.core.management.base import BaseCommand

from core.i18n_catalogues import compile_catalogues


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/*.po into its .mo (with polib; no gettext needed)."

    def handle(self, *args, **options):
        written = compile_catalogues()
        for path in written:
            self.stdout.write(f"Compiled {path}")
        if not written:
            self.stdout.write("No catalogue to compile (locale/ holds no .po file).")
