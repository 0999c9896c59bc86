"""What the mail benchmarks share: a counting SMTP sink, a real worker with production settings
sending to it, the worker's CPU (its memory: `memory.py`), and the people to mail (members for
newsletters and digests, a roster for invitation waves). Import after `scratch_database` (Django
is set up here lazily, inside the functions)."""

from __future__ import annotations

import threading
from collections import Counter


class CountingHandler:
    """An SMTP sink that only counts (parsing every message would make the sink, not the sender,
    the thing measured). Keeps the first message it receives, for a benchmark that wants to send
    one of the same size another way."""

    def __init__(self):
        self.recipients: Counter = Counter()
        self.lock = threading.Lock()
        self.bytes = 0
        self.messages = 0
        self.sample: bytes | None = None

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or b""
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
            self.bytes += len(content)
            self.messages += 1
            if self.sample is None:
                self.sample = content
        return "250 OK"

    @property
    def count(self) -> int:
        with self.lock:
            return sum(self.recipients.values())

    def reset(self) -> None:
        with self.lock:
            self.recipients.clear()
            self.bytes = self.messages = 0
            self.sample = None


def start_sink():
    """(controller, handler, port) of an aiosmtpd sink on loopback; `controller.stop()` ends it."""
    from aiosmtpd.controller import Controller

    from tests.support.smtp import free_port

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler, port


def start_worker(*, database_url: str, smtp_port: int, concurrency: int = 2, env=None):
    """A real `celery worker` (prefork) with production settings (no debug query log), sending
    over SMTP to the sink on `smtp_port`. Purges the queues first."""
    from tests.support.worker import WorkerProcess
    from tests.support.worker import purge_queues

    purge_queues()
    worker = WorkerProcess(
        database_url=database_url,
        env={
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
            **(env or {}),
        },
        concurrency=concurrency,
        loglevel="WARNING",
    )
    return worker.start()


def _processes(process):
    """A psutil.Process (or a pid) and its children."""
    import psutil

    try:
        if isinstance(process, int):
            process = psutil.Process(process)
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_cpu_seconds(process) -> float:
    """User and system CPU time so far of a psutil.Process (or a pid) and its children."""
    import psutil

    total = 0.0
    for proc in _processes(process):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def add_members(count: int, languages: list[str]) -> None:
    """`count` registered members (an account each, newsletter subscribers), in ten countries,
    reading `languages` in turn."""
    from django.contrib.auth.hashers import make_password

    from members.models import Participant
    from members.models import User

    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"member{n}@example.org", password=password) for n in range(count)],
        batch_size=2000,
    )
    countries = ["KE", "TZ", "UG", "NP", "BD", "VN", "MZ", "MW", "ET", "NO"]
    Participant.objects.bulk_create(
        [
            Participant(
                participant_id=f"BENCH-{n:06d}",
                first_name=f"Name{n}",
                last_name=f"Family{n % 997}",
                email=user.email,
                email_source=Participant.EmailSource.MEMBER,
                email_status=Participant.EmailStatus.OK,
                home_country=countries[n % len(countries)],
                preferred_language=languages[n % len(languages)],
                user=user,
            )
            for n, user in enumerate(users)
        ],
        batch_size=2000,
    )


def make_roster(count: int, *, country: str = "KE", languages: list[str] | None = None) -> None:
    """`count` former participants from `country` without an account (a wave's audience), one
    exchange each, reading `languages` in turn (default: the participant's default)."""
    from members.models import Exchange
    from members.models import Participant

    chunk = 5000
    extra = {}
    for start in range(0, count, chunk):
        people = []
        for n in range(start, min(start + chunk, count)):
            if languages:
                extra = {"preferred_language": languages[n % len(languages)]}
            people.append(
                Participant(
                    participant_id=f"ROSTER-{n:07d}",
                    first_name=f"Name{n}",
                    last_name=f"Family{n % 997}",
                    email=f"person.{n}@example.org",
                    home_country=country,
                    **extra,
                )
            )
        people = Participant.objects.bulk_create(people)
        Exchange.objects.bulk_create(
            [
                Exchange(
                    participant=person,
                    year=2000 + person.pk % 25,
                    host_country="NO",
                    partner_organisation=f"Partner {person.pk % 300}",
                    programme="Norec Health",
                )
                for person in people
            ]
        )
