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
change; and the sink's CPU per message for each (`<name>_sink_cpu_ms_per_message`: this process's,
whose one sink thread answers every SMTP command; on two cores it is what caps the faster sender).
`BENCH_SMTP_COUNT` changes N (default 12,000). Fails unless every recipient got exactly one
message each time.
"""

import email
import email.policy
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from harness import LANGUAGES
from harness import VARIANTS
from harness import add_members
from harness import assert_each_once
from harness import bench
from harness import mail_benchmark
from harness import make_newsletter
from harness import make_roster
from harness import make_wave
from harness import tree_cpu_seconds
from harness import wait_for_messages
from harness import wait_for_sent
from scratch import server_sql

COUNT = int(os.environ.get("BENCH_SMTP_COUNT", "12000"))
# Outside the checkout: the project's own checks walk its files.
VENV = Path(tempfile.gettempdir()) / "norec-bench-post-office-venv"
PO_REQUIREMENTS = ["django==5.2.*", "django-post_office", "psycopg2-binary"]
PO_DB = "norec_bench_post_office" + os.environ.get("BENCH_DB_SUFFIX", "")


@dataclass(frozen=True)
class Timing:
    """A sender's COUNT messages: wall seconds, the sender's CPU seconds, and the sink's (this
    process's: on two cores the sink's single thread can be what caps the faster sender)."""

    seconds: float
    cpu: float
    sink_cpu: float


def own_cpu() -> float:
    """This process's CPU seconds: the sink's thread, and the little polling the bench does."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_send(handler, worker, rows, launch) -> Timing:
    """(seconds, worker CPU seconds) from `launch()` until the sink has COUNT messages, each to
    another recipient, and `rows` are all marked sent; beat's tick simulated."""
    handler.reset()
    cpu = tree_cpu_seconds(worker.pid)
    sink_cpu = own_cpu()
    started = time.perf_counter()
    launch()
    waiting = {"started": started, "limit": max(900, COUNT / 10), "worker": worker}
    wait_for_messages(handler, COUNT, beat=True, **waiting)
    elapsed = wait_for_sent(rows, COUNT, poll=0.05, **waiting)
    assert_each_once(handler, COUNT)
    return Timing(elapsed, tree_cpu_seconds(worker.pid) - cpu, own_cpu() - sink_cpu)


def send_newsletter(handler, worker):
    from newsletters import services
    from newsletters.models import Delivery

    newsletter = make_newsletter(variants=VARIANTS)
    rows = Delivery.objects.filter(newsletter=newsletter)
    return timed_send(
        handler,
        worker,
        rows,
        lambda: services.newsletter_schedule(newsletter=newsletter, actor=None),
    )


def send_wave(handler, worker):
    from invitations import services
    from invitations.models import Invitation

    wave = make_wave(country="ZM")

    def launch():
        created = services.wave_launch(wave=wave, actor=None)
        assert created == COUNT, created

    return timed_send(handler, worker, Invitation.objects.filter(wave=wave), launch)


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


def post_office_send(python: Path, folder: Path, handler, sample: bytes) -> Timing:
    """(seconds, CPU seconds) for post_office to send COUNT mails like `sample`."""
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
    sink_cpu = own_cpu()
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
    assert_each_once(handler, COUNT)
    return Timing(elapsed, cpu, own_cpu() - sink_cpu)


def main() -> int:
    python = post_office_python()
    with mail_benchmark("norec_bench_smtp") as run:
        add_members(COUNT, LANGUAGES)
        make_roster(COUNT, country="ZM", languages=LANGUAGES)
        handler, port = run.sink()
        worker = run.worker(smtp_port=port)

        loads = [os.getloadavg()[0]]
        newsletter = send_newsletter(handler, worker)
        newsletter_sample, newsletter_size = handler.sample, handler.bytes / COUNT
        loads.append(os.getloadavg()[0])
        wave = send_wave(handler, worker)
        wave_sample, wave_size = handler.sample, handler.bytes / COUNT
        worker.stop()

        loads.append(os.getloadavg()[0])
        folder = Path(tempfile.mkdtemp(prefix="bench-post-office-"))
        server_sql(f"DROP DATABASE IF EXISTS {PO_DB} WITH (FORCE)")
        server_sql(f"CREATE DATABASE {PO_DB}")
        try:
            write_settings(folder, run.url, port)
            po_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "po_settings"}
            po_env["PYTHONPATH"] = str(folder)
            subprocess.run(
                [str(python), "-m", "django", "migrate", "-v", "0"],
                env=po_env,
                cwd=folder,
                check=True,
            )
            po = post_office_send(python, folder, handler, newsletter_sample)
            po_size = handler.bytes / COUNT
            po_inv = post_office_send(python, folder, handler, wave_sample)
            po_inv_size = handler.bytes / COUNT
        finally:
            server_sql(f"DROP DATABASE IF EXISTS {PO_DB} WITH (FORCE)")
        loads.append(os.getloadavg()[0])

        print(
            f"{COUNT} messages each; bytes per message: newsletter {newsletter_size:.0f}, "
            f"post_office like it {po_size:.0f}; invitation {wave_size:.0f}, "
            f"post_office like it {po_inv_size:.0f}"
        )
        bench("smtp_newsletter_per_s", COUNT / newsletter.seconds, "messages/s")
        bench("smtp_invitation_per_s", COUNT / wave.seconds, "messages/s")
        bench("post_office_per_s", COUNT / po.seconds, "messages/s")
        bench("post_office_invitation_per_s", COUNT / po_inv.seconds, "messages/s")
        bench("smtp_newsletter_ratio", po.seconds / newsletter.seconds, "x", 2)
        bench("smtp_invitation_ratio", po_inv.seconds / wave.seconds, "x", 2)
        for name, timing in [
            ("smtp_newsletter", newsletter),
            ("smtp_invitation", wave),
            ("post_office", po),
            ("post_office_invitation", po_inv),
        ]:
            bench(f"{name}_cpu_ms_per_message", timing.cpu * 1000 / COUNT, "ms", 2)
            bench(f"{name}_sink_cpu_ms_per_message", timing.sink_cpu * 1000 / COUNT, "ms", 2)
        print("load average (1 min) at each phase: " + " / ".join(f"{x:.1f}" for x in loads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
