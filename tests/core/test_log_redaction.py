"""Secret tokens never reach a log: gunicorn's access log as the Dockerfile starts it, and
Django's own log lines (core/log_redaction.py)."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.log_redaction import redact
from invitations.models import Invitation
from invitations.tokens import invitation_token
from newsletters.rendering import unsubscribe_token
from tests.members.factories import ParticipantFactory

LOGGER_CLASS = "core.gunicorn_logger.RedactingLogger"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GET /invitations/accept/3f-0a1b2c/ HTTP/1.1",
            "GET /invitations/accept/[redacted]/ HTTP/1.1",
        ),
        ("POST /invitations/decline/3f-0a1b2c/", "POST /invitations/decline/[redacted]/"),
        ("/newsletters/unsubscribe/12-abc?x=1", "/newsletters/unsubscribe/[redacted]?x=1"),
        ("/accounts/password/reset/key/1a-key/", "/accounts/password/reset/key/[redacted]/"),
        ("/accounts/confirm-email/AbC:1x/", "/accounts/confirm-email/[redacted]/"),
        (
            "https://network.example/invitations/accept/3f-0a1b2c/",
            "https://network.example/invitations/accept/[redacted]/",
        ),
        # The token-free pages, and everything else, stay as they are.
        ("GET /invitations/accept/ HTTP/1.1", "GET /invitations/accept/ HTTP/1.1"),
        ("GET /invitations/request/ HTTP/1.1", "GET /invitations/request/ HTTP/1.1"),
        ("GET /activities/12/ HTTP/1.1", "GET /activities/12/ HTTP/1.1"),
    ],
)
def test_the_secret_segment_of_a_path_is_replaced(line, expected):
    assert redact(line) == expected


def dockerfile_command() -> list[str]:
    dockerfile = (settings.BASE_DIR / "Dockerfile").read_text()
    (line,) = [line for line in dockerfile.splitlines() if line.startswith("CMD [")]
    return json.loads(line.removeprefix("CMD "))


def test_compose_starts_gunicorn_with_the_same_logger():
    compose = (settings.BASE_DIR / "docker-compose.yml").read_text()
    (web_command,) = [line for line in compose.splitlines() if "gunicorn norec_network" in line]

    assert f"--logger-class {LOGGER_CLASS}" in web_command
    assert "--access-logfile -" in web_command
    assert dockerfile_command()[-2:] == ["--logger-class", LOGGER_CLASS]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    database = settings.DATABASES["default"]
    user = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgres://{user}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


def wait_until_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not start listening")


def get(port: int, path: str, **headers) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.django_db(transaction=True)
def test_gunicorn_as_the_dockerfile_starts_it_logs_no_token(tmp_path):
    participant = ParticipantFactory()
    invitation = Invitation.objects.create(
        participant=participant,
        email=participant.email,
        status=Invitation.Status.SENT,
        expires_at=timezone.now() + timedelta(days=30),
    )
    token = invitation_token(invitation)
    unknown = "zz-" + "0123456789" * 4
    unsubscribe = unsubscribe_token(participant.pk)
    command = dockerfile_command()
    port = free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),  # gunicorn's control socket goes there, apart from others'
        "PYTHONUNBUFFERED": "1",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    assert command[0] == "gunicorn"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *command[1:]],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(process, port)
        # The invitee's first click, arriving from their webmail.
        assert get(port, f"/invitations/accept/{token}/", Referer="https://mail.example/") == 302
        # A page that links back to an old link (the Referer carries the token).
        referer = f"http://127.0.0.1:{port}/invitations/decline/{token}/"
        assert get(port, "/invitations/request/", Referer=referer) == 200
        assert get(port, f"/newsletters/unsubscribe/{unsubscribe}/") == 200
        # Django logs the path of a 404 itself ("Not Found: ...").
        assert get(port, f"/invitations/accept/{unknown}/") == 404
    finally:
        process.terminate()
        out, err = process.communicate(timeout=60)

    logs = out + err
    assert '"GET /invitations/accept/[redacted]/ HTTP/1.1" 302' in out
    assert f'"http://127.0.0.1:{port}/invitations/decline/[redacted]/"' in out
    assert '"GET /newsletters/unsubscribe/[redacted]/ HTTP/1.1" 200' in out
    assert "Not Found: /invitations/accept/[redacted]/" in err
    for secret in (token, unsubscribe, unknown):
        assert secret not in logs, logs
