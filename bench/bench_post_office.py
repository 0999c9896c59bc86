"""Benchmark: our bulk sender over SMTP against django-post_office, in the same run (issue 14).

Run by `make bench` (which sets DATABASE_URL and CELERY_BROKER_URL). In a scratch database
`norec_bench_smtp` it adds N registered members (four languages, the issue with a French and a
Portuguese variant) and a roster of N people without an account, then, with a real Celery worker
(prefork, concurrency 2, production settings) sending to a counting aiosmtpd sink:

1. a newsletter to the N members ("Send now", beat's tick simulated every 15 s);
2. an invitation wave to the N people (launched, the same ticks).

Then django-post_office 3.x, installed in a scratch virtualenv this benchmark makes (norec-bench-
post-office-venv in the temporary folder: Django 5.2, django-post_office, psycopg2-binary; never a
project dependency), in a minimal settings module written here and a database of its own
(`norec_bench_post_office`), sends N queued mails of the same size and parts (subject, text and
HTML taken from a message the sink received) to the same kind of sink, once newsletter-sized and
once invitation-sized, with `send_queued_mail --processes 2` (its documented multiprocessing; 5
threads per process, its default). The time counts from the command's start to its exit.

Prints `bench:` lines: `smtp_newsletter_per_s`, `smtp_invitation_per_s`, `post_office_per_s`,
`post_office_invitation_per_s`, the ratios `smtp_newsletter_ratio` and `smtp_invitation_ratio`
(ours / post_office's for the same size; target 2 or more), and CPU per message
(`smtp_newsletter_cpu_ms_per_message`, `smtp_invitation_cpu_ms_per_message`,
`post_office_cpu_ms_per_message`; target 0.8 ms or less for ours): the worker's (main process and
pool) or post_office's (the command and its processes), which other load on the machine does not
change. `BENCH_SMTP_COUNT` changes N (default 12,000). Fails unless every recipient got exactly one
message each time.
"""

import contextlib
import email
import email.policy
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from bench_newsletter import BODY
from bench_newsletter import VARIANTS
from harness import add_members
from harness import make_roster
from harness import start_sink
from harness import start_worker
from harness import tree_cpu_seconds
from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COUNT = int(os.environ.get("BENCH_SMTP_COUNT", "12000"))
LANGUAGES = ["en", "fr", "es", "pt"]
TICK_SECONDS = 15.0
# Outside the checkout: the project's own checks walk its files.
VENV = Path(tempfile.gettempdir()) / "norec-bench-post-office-venv"
PO_REQUIREMENTS = ["django==5.2.*", "django-post_office", "psycopg2-binary"]
PO_DB = "norec_bench_post_office" + os.environ.get("BENCH_DB_SUFFIX", "")


def wait_sent(handler, count, rows, started, process):
    """Tick as beat does until the sink has `count` messages and `rows` are all marked sent;
    returns (seconds, worker CPU seconds) from `started`."""
    from core.tasks import outbound_tick

    next_tick = started + TICK_SECONDS
    deadline = started + max(900, count / 10)
    while handler.count < count and time.perf_counter() < deadline:
        time.sleep(0.1)
        if time.perf_counter() >= next_tick:
            outbound_tick.delay()
            next_tick += TICK_SECONDS
    while rows.filter(status="sent").count() < count and time.perf_counter() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    assert handler.count == count, f"only {handler.count} of {count} arrived"
    assert max(handler.recipients.values()) == 1, "somebody got it twice"
    assert rows.filter(status="sent").count() == count
    return elapsed, tree_cpu_seconds(process)


def send_newsletter(handler, process):
    from django.utils import timezone

    from newsletters import services
    from newsletters.models import Delivery
    from newsletters.models import Newsletter
    from newsletters.models import NewsletterVariant

    newsletter = Newsletter.objects.create(
        subject="News from the network",
        month=timezone.localdate().replace(day=1),
        body=BODY,
        include_activities=True,
        rate_per_hour=0,
    )
    for language, (subject, body) in VARIANTS.items():
        NewsletterVariant.objects.create(
            newsletter=newsletter, language=language, subject=subject, body=body
        )
    cpu = tree_cpu_seconds(process)
    started = time.perf_counter()
    services.newsletter_schedule(newsletter=newsletter, actor=None)
    elapsed, cpu_after = wait_sent(
        handler, COUNT, Delivery.objects.filter(newsletter=newsletter), started, process
    )
    return elapsed, cpu_after - cpu


def send_wave(handler, process):
    from datetime import time as clock

    from django.utils import timezone

    from invitations import services
    from invitations.models import Invitation
    from invitations.models import Wave

    wave = Wave.objects.create(
        name="Benchmark",
        home_countries=["ZM"],
        starts_at=timezone.now(),
        rate_per_hour=0,
        batch_size=500,
        window_start=clock(0, 0),
        window_end=clock(0, 0),
        window_weekdays=list(range(7)),
    )
    cpu = tree_cpu_seconds(process)
    started = time.perf_counter()
    created = services.wave_launch(wave=wave, actor=None)
    assert created == COUNT, created
    elapsed, cpu_after = wait_sent(
        handler, COUNT, Invitation.objects.filter(wave=wave), started, process
    )
    return elapsed, cpu_after - cpu


# --- django-post_office -----------------------------------------------------------------------


def post_office_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PO_REQUIREMENTS],
            check=True,
        )
    return python


def server_sql(url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def write_settings(folder: Path, database_url: str, smtp_port: int) -> None:
    parts = urlsplit(database_url)
    (folder / "po_settings.py").write_text(
        textwrap.dedent(
            f"""
            SECRET_KEY = "bench-only-" + "x" * 50
            INSTALLED_APPS = ["django.contrib.contenttypes", "post_office"]
            DATABASES = {{"default": {{
                "ENGINE": "django.db.backends.postgresql",
                "NAME": {PO_DB!r},
                "USER": {parts.username or ""!r},
                "PASSWORD": {parts.password or ""!r},
                "HOST": {parts.hostname or "127.0.0.1"!r},
                "PORT": {parts.port or 5432!r},
            }}}}
            USE_TZ = True
            DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
            EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            EMAIL_HOST = "127.0.0.1"
            EMAIL_PORT = {smtp_port}
            POST_OFFICE = {{"BACKENDS": {{"default": EMAIL_BACKEND}}}}
            LOGGING = {{"version": 1, "disable_existing_loggers": True}}
            """
        )
    )
    (folder / "po_fill.py").write_text(
        textwrap.dedent(
            """
            import json, sys
            import django
            django.setup()
            from post_office.models import Email, STATUS
            count, subject, text, html = json.load(sys.stdin)
            Email.objects.all().delete()
            Email.objects.bulk_create(
                [
                    Email(
                        from_email="Norec Network <noreply@norec.example>",
                        to=[f"po{n}@example.org"],
                        subject=subject,
                        message=text,
                        html_message=html,
                        status=STATUS.queued,
                    )
                    for n in range(count)
                ],
                batch_size=2000,
            )
            """
        )
    )


def parts_of(sample: bytes) -> tuple[str, str, str]:
    message = email.message_from_bytes(sample, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    return str(message["Subject"]), text, html_part.get_content() if html_part else ""


def post_office_send(python: Path, folder: Path, handler, sample: bytes) -> tuple[float, float]:
    """(seconds, CPU seconds) for post_office to send COUNT mails like `sample`."""
    import json

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "po_settings",
        "PYTHONPATH": str(folder),
    }
    subprocess.run(
        [str(python), str(folder / "po_fill.py")],
        input=json.dumps([COUNT, *parts_of(sample)]),
        text=True,
        env=env,
        check=True,
        cwd=folder,
    )
    handler.reset()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            str(python),
            "-m",
            "django",
            "send_queued_mail",
            "--processes",
            "2",
            "--lockfile",
            str(folder / "po.lock"),
        ],
        env=env,
        check=True,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # its log of every round
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert handler.count == COUNT, f"post_office: {handler.count} of {COUNT} arrived"
    assert max(handler.recipients.values()) == 1
    return elapsed, cpu


def main() -> int:
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    python = post_office_python()
    scratch = contextlib.ExitStack()
    url = scratch.enter_context(scratch_database("norec_bench_smtp"))
    worker = controller = None
    try:
        import django

        django.setup()
        import psutil
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        add_members(COUNT, LANGUAGES)
        make_roster(COUNT, country="ZM", languages=LANGUAGES)
        controller, handler, port = start_sink()
        worker = start_worker(database_url=url, smtp_port=port)
        process = psutil.Process(worker.pid)

        loads = [os.getloadavg()[0]]
        newsletter_s, newsletter_cpu = send_newsletter(handler, process)
        newsletter_sample, newsletter_size = handler.sample, handler.bytes / COUNT
        handler.reset()
        loads.append(os.getloadavg()[0])
        wave_s, wave_cpu = send_wave(handler, process)
        wave_sample, wave_size = handler.sample, handler.bytes / COUNT
        worker.stop()
        worker = None
        connections.close_all()

        loads.append(os.getloadavg()[0])
        folder = Path(tempfile.mkdtemp(prefix="bench-post-office-"))
        server_sql(url, f"DROP DATABASE IF EXISTS {PO_DB} WITH (FORCE)")
        server_sql(url, f"CREATE DATABASE {PO_DB}")
        try:
            write_settings(folder, url, port)
            po_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "po_settings"}
            po_env["PYTHONPATH"] = str(folder)
            subprocess.run(
                [str(python), "-m", "django", "migrate", "-v", "0"],
                env=po_env,
                cwd=folder,
                check=True,
            )
            po_s, po_cpu = post_office_send(python, folder, handler, newsletter_sample)
            po_size = handler.bytes / COUNT
            po_inv_s, po_inv_cpu = post_office_send(python, folder, handler, wave_sample)
            po_inv_size = handler.bytes / COUNT
        finally:
            server_sql(url, f"DROP DATABASE IF EXISTS {PO_DB} WITH (FORCE)")
        loads.append(os.getloadavg()[0])

        def per_s(seconds):
            return COUNT / seconds

        print(
            f"{COUNT} messages each; bytes per message: newsletter {newsletter_size:.0f}, "
            f"post_office like it {po_size:.0f}; invitation {wave_size:.0f}, "
            f"post_office like it {po_inv_size:.0f}"
        )
        print(f"bench: smtp_newsletter_per_s {per_s(newsletter_s):.0f} messages/s")
        print(f"bench: smtp_invitation_per_s {per_s(wave_s):.0f} messages/s")
        print(f"bench: post_office_per_s {per_s(po_s):.0f} messages/s")
        print(f"bench: post_office_invitation_per_s {per_s(po_inv_s):.0f} messages/s")
        print(f"bench: smtp_newsletter_ratio {po_s / newsletter_s:.2f} x")
        print(f"bench: smtp_invitation_ratio {po_inv_s / wave_s:.2f} x")
        for name, cpu in [
            ("smtp_newsletter", newsletter_cpu),
            ("smtp_invitation", wave_cpu),
            ("post_office", po_cpu),
            ("post_office_invitation", po_inv_cpu),
        ]:
            print(f"bench: {name}_cpu_ms_per_message {cpu * 1000 / COUNT:.2f} ms")
        print("load average (1 min) at each phase: " + " / ".join(f"{x:.1f}" for x in loads))
        connections.close_all()
    finally:
        if worker is not None:
            worker.stop()
        if controller is not None:
            controller.stop()
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
