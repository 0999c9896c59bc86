"""What the mail benchmarks share: their scratch environment (`mail_benchmark`), a counting SMTP
sink, a real worker with production settings sending to it, what beat does while they wait, the
worker's CPU and memory, the campaigns and the people to mail (members for newsletters and digests,
a roster for invitation waves), and the `bench:` lines they print. Django is set up by
`mail_benchmark` (or scratch.py's `migrated_database`), so the functions import it lazily."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections import Counter

from scratch import migrated_database

# Beat's outbound tick (OUTBOUND_TICK_SECONDS's default).
TICK_SECONDS = 15.0
# The members' languages: the site's four, a quarter each.
LANGUAGES = ["en", "fr", "es", "pt"]
# A worker (or profile_send.py's process) as production runs it: no debug query log, which would
# make the benchmark measure Django's debugging rather than the sender.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    "DJANGO_LOG_LEVEL": "WARNING",
}


def bench(name: str, value: float, unit: str, decimals: int = 0) -> None:
    """One figure as `make bench` prints it and bench/README.md names it."""
    print(f"bench: {name} {value:.{decimals}f} {unit}")


def smtp_env(port: int) -> dict[str, str]:
    """Django's SMTP backend pointed at the sink on `port`."""
    return {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }


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


def start_worker(
    *, database_url: str, smtp_port: int | None = None, concurrency: int = 2, env=None
):
    """A real `celery worker` (prefork) with production settings (PRODUCTION_ENV), sending over
    SMTP to the sink on `smtp_port`, or as `env` says (an ESP's settings). Purges the queues
    first."""
    from tests.support.worker import WorkerProcess
    from tests.support.worker import purge_queues

    purge_queues()
    worker = WorkerProcess(
        database_url=database_url,
        env={**PRODUCTION_ENV, **(smtp_env(smtp_port) if smtp_port else {}), **(env or {})},
        concurrency=concurrency,
        loglevel="WARNING",
    )
    return worker.start()


class MailRun:
    """What `mail_benchmark` yields: the scratch database's URL, and `sink()` and `worker()`,
    which start what the run's end stops again (the worker before the sink)."""

    def __init__(self, url: str, stack: contextlib.ExitStack):
        self.url = url
        self._stack = stack

    def stop_at_end(self, thing):
        """`thing.stop()` when the run ends, before what was started earlier; returns `thing`."""
        self._stack.callback(thing.stop)
        return thing

    def sink(self) -> tuple[CountingHandler, int]:
        """(handler, port) of a counting SMTP sink."""
        controller, handler, port = start_sink()
        self.stop_at_end(controller)
        return handler, port

    def worker(self, *, smtp_port: int | None = None, env=None):
        """A production worker on the scratch database (`start_worker`)."""
        return self.stop_at_end(start_worker(database_url=self.url, smtp_port=smtp_port, env=env))


@contextlib.contextmanager
def mail_benchmark(database: str):
    """The scratch environment of a benchmark that a real worker sends for: Redis as the broker, as
    in production, tasks sent to it rather than run in this process, and a scratch database
    `database` with Django set up and migrated (scratch.py). Yields a MailRun; ends with what it
    started stopped and the database dropped."""
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        sys.exit(f"{database} needs CELERY_BROKER_URL=redis://... (make bench sets it)")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(migrated_database(database))
        yield MailRun(url, stack)


def wait_until(
    done,
    *,
    what,
    started: float,
    limit: float = 900,
    worker=None,
    beat: bool = False,
    poll: float = 0.1,
    while_waiting=None,
) -> float:
    """Polls `done()` until it is true and returns the seconds since `started` (a
    `time.perf_counter()`). With `beat`, runs what beat would (the outbound tick every
    TICK_SECONDS from `started`); calls `while_waiting()` (a memory sample) at each poll. Raises
    when `limit` seconds from `started` have passed (saying `what()`) or when `worker` died."""
    from core.tasks import outbound_tick

    next_tick = started + TICK_SECONDS
    while not done():
        now = time.perf_counter()
        if now > started + limit:
            raise TimeoutError(what())
        if worker is not None and not worker.alive:
            raise RuntimeError("the worker died:\n" + worker.log()[-3000:])
        if beat and now >= next_tick:
            outbound_tick.delay()
            next_tick += TICK_SECONDS
        if while_waiting is not None:
            while_waiting()
        time.sleep(poll)
    return time.perf_counter() - started


def wait_for_messages(handler: CountingHandler, count: int, **options) -> float:
    """`wait_until` the sink has `count` messages."""
    return wait_until(
        lambda: handler.count >= count,
        what=lambda: f"only {handler.count} of {count} messages arrived",
        **options,
    )


def wait_for_sent(rows, count: int, **options) -> float:
    """`wait_until` `count` of `rows` (a queryset of a stream's rows) are marked sent (a moment
    after their message left: the sink may have it already)."""
    sent = rows.filter(status="sent")
    return wait_until(
        lambda: sent.count() >= count,
        what=lambda: f"only {sent.count()} of {count} rows marked sent",
        **options,
    )


def assert_each_once(handler: CountingHandler, count: int) -> None:
    """Fails the benchmark unless each of `count` recipients got exactly one message."""
    assert handler.count == count, f"{handler.count} messages for {count} recipients"
    twice = [address for address, times in handler.recipients.items() if times > 1]
    assert not twice, f"{len(twice)} recipients got it twice"


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


# A month's newsletter: Markdown with a heading, an image, a list and a quote, and its French and
# Portuguese variants (subject, body); Spanish readers get English.
BODY = """## News from the network

This month **forty** former participants registered. Read their stories on
[the website](https://www.norec.no/), and keep your profile up to date.

![A meeting in Nairobi](https://www.norec.no/images/nairobi.jpg)

- A webinar on climate and health
- A physical meeting in Kathmandu
- New e-learning on project management

> "The exchange taught me to listen first." (Grace, Malawi 2019)
"""
VARIANTS = {
    "fr": (
        "Des nouvelles du réseau",
        """## Des nouvelles du réseau

Ce mois-ci, **quarante** anciens participants se sont inscrits. Lisez leurs histoires sur
[le site](https://www.norec.no/) et tenez votre profil à jour.

![Une rencontre à Nairobi](https://www.norec.no/images/nairobi.jpg)

- Un webinaire sur le climat et la santé
- Une rencontre en présentiel à Katmandou
- Une nouvelle formation en ligne à la gestion de projet

> « L'échange m'a appris à écouter d'abord. » (Grace, Malawi 2019)
""",
    ),
    "pt": (
        "Notícias da rede",
        """## Notícias da rede

Este mês registaram-se **quarenta** antigos participantes. Leia as suas histórias
[no site](https://www.norec.no/) e mantenha o seu perfil atualizado.

![Um encontro em Nairobi](https://www.norec.no/images/nairobi.jpg)

- Um webinário sobre clima e saúde
- Um encontro presencial em Katmandu
- Uma nova formação online em gestão de projetos

> «O intercâmbio ensinou-me a ouvir primeiro.» (Grace, Malawi 2019)
""",
    ),
}


def make_newsletter(*, body: str = BODY, variants: dict | None = None, include_activities=True):
    """A newsletter of this month with throttling off, with `variants` ({language: (subject,
    body)}, e.g. VARIANTS), not yet scheduled."""
    from django.utils import timezone

    from newsletters.models import Newsletter

    newsletter = Newsletter.objects.create(
        subject="News from the network",
        month=timezone.localdate().replace(day=1),
        body=body,
        include_activities=include_activities,
        rate_per_hour=0,  # throttling off
    )
    if variants:
        # Imported here: a run without variants also works on code from before they existed.
        from newsletters.models import NewsletterVariant

        for language, (subject, variant_body) in variants.items():
            NewsletterVariant.objects.create(
                newsletter=newsletter, language=language, subject=subject, body=variant_body
            )
    return newsletter


def make_wave(*, country: str = "KE", name: str = "Benchmark", batch_size: int = 500):
    """A wave to everyone from `country` with throttling off and its window always open, not yet
    launched."""
    from datetime import time as clock

    from django.utils import timezone

    from invitations.models import Wave

    return Wave.objects.create(
        name=name,
        home_countries=[country],
        starts_at=timezone.now(),
        rate_per_hour=0,
        batch_size=batch_size,
        window_start=clock(0, 0),
        window_end=clock(0, 0),
        window_weekdays=list(range(7)),
    )
