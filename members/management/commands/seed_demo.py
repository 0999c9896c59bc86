"""`manage.py seed_demo [--if-empty] [--participants N] [--force]`: a living local portal."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from members import demo
from members.extensions import demo_seeders
from members.models import Participant


class Command(BaseCommand):
    help = (
        "Fill the portal with invented demo people, exchanges and accounts (local use only). "
        "Safe to re-run: only what is missing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the roster already has participants (used by `make run`).",
        )
        parser.add_argument(
            "--participants",
            type=int,
            default=demo.DEFAULT_PARTICIPANTS,
            help=f"How many people to invent (default {demo.DEFAULT_PARTICIPANTS}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG=false. Never do this on production.",
        )

    def handle(self, *args, if_empty, participants, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo invents people and accounts with published passwords, so it refuses "
                "to run with DJANGO_DEBUG=false. Pass --force if this really is not production."
            )
        if participants < demo.MEMBER_COUNT:
            raise CommandError(f"--participants must be at least {demo.MEMBER_COUNT}.")
        if if_empty and Participant.objects.exists():
            self.stdout.write("The roster already has participants: demo data not added.")
            return

        started = time.monotonic()
        result = demo.demo_seed(participants=participants)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {elapsed:.1f} s: {result.participants_created} participants "
                f"and {result.exchanges_created} exchanges added, "
                f"{result.members_linked} members registered, "
                f"{len(result.accounts_created)} accounts created."
            )
        )
        # The other apps' demo data (activities, newsletters...), registered from their ready().
        for seeder in demo_seeders():
            self.stdout.write(f"  {seeder.name}: {seeder.seed()}")
        self.stdout.write("Local demo accounts (see docs/demo-accounts.md):")
        for label, (email, password) in (
            ("network adviser", demo.ADVISER),
            ("activity staff ", demo.STAFF),
            ("superuser      ", demo.SUPERUSER),
            ("member         ", demo.MEMBER),
            ("branch committee", demo.COMMITTEE),
        ):
            self.stdout.write(f"  {label}  {email}  /  {password}")
