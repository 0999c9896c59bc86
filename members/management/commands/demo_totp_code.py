"""`manage.py demo_totp_code`: the current authenticator code of the demo staff accounts."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from members.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = (
        "Print the current six-digit code for the demo staff accounts' authenticator "
        "(local use only; a real staff member uses an authenticator app)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp_code only works with DJANGO_DEBUG=true.")
        from allauth.mfa.totp.internal.auth import format_hotp_value
        from allauth.mfa.totp.internal.auth import hotp_value
        from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time

        counters = list(yield_hotp_counters_from_time())
        current = counters[len(counters) // 2]
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current)))
