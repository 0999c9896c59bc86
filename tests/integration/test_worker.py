"""A real worker process runs our tasks, and /healthz sees it."""

import json
import re

import pytest
from django.urls import reverse

from core.mail import send_later
from core.models import OutgoingMail
from tests.members.factories import MemberFactory
from tests.support.worker import broker_in_this_process
from tests.support.worker import filesystem_broker_options

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_sends_a_queued_email_to_the_smtp_server_and_marks_its_row(
    celery_worker, smtp_sink
):
    row = send_later(
        template="account/email/password_reset_key",
        context={"password_reset_url": "https://network.example/reset/abc/"},
        to="amina@example.org",
    )

    (received,) = smtp_sink.wait_for(1)
    assert received.envelope_to == ("amina@example.org",)
    assert received["To"] == "amina@example.org"
    assert received["Subject"] == "[Norec Network] Password Reset Email"
    assert "https://network.example/reset/abc/" in received.text()
    # The row is marked in the commit right after the server took the message; over SMTP the
    # Message-ID is the message's id.
    row = _wait_until_sent(row)
    assert row.esp_message_id == received["Message-ID"]


def _wait_until_sent(row: OutgoingMail, timeout: float = 30.0) -> OutgoingMail:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status == "sent":
            return row
        time.sleep(0.05)
    raise AssertionError(f"mail {row.pk} is still {row.status}")


def test_a_password_reset_reaches_the_member_through_the_worker(celery_worker, smtp_sink, client):
    MemberFactory(email="amina@example.org")

    response = client.post(reverse("account_reset_password"), {"email": "amina@example.org"})

    assert response.status_code == 302
    (received,) = smtp_sink.wait_for(1)
    assert received.envelope_to == ("amina@example.org",)
    text = received.text()
    assert "Hello from Norec Network!" in text
    assert re.search(r"http://testserver/accounts/password/reset/key/\S+/", text)


def test_healthz_reports_a_running_worker(celery_worker, client):
    response = client.get(reverse("healthz"))

    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert body["workers"]["ok"] is True
    assert celery_worker.name in body["workers"]["names"]


def test_healthz_is_unavailable_once_the_worker_is_gone(celery_worker, client):
    celery_worker.stop()

    response = client.get(reverse("healthz"))

    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["workers"]["ok"] is False
    assert celery_worker.name not in body["workers"].get("names", [])


def test_healthz_sees_a_worker_on_the_filesystem_broker_of_make_run(start_worker, client, tmp_path):
    # `make run` has no Redis: kombu's filesystem transport carries the tasks and the broadcast
    # that control.ping needs. Web side (this process) and worker share a private broker folder.
    folder = tmp_path / "broker"
    with broker_in_this_process("filesystem://localhost/", filesystem_broker_options(folder)):
        worker = start_worker(
            broker_url="filesystem://localhost/",
            env={"CELERY_BROKER_FOLDER": str(folder)},
            concurrency=1,
        )

        response = client.get(reverse("healthz"))
        body = json.loads(response.content)
        assert response.status_code == 200, body
        assert body["workers"]["names"] == [worker.name]

        worker.stop()
        response = client.get(reverse("healthz"))
        body = json.loads(response.content)
        assert response.status_code == 503
        assert body["workers"]["ok"] is False
