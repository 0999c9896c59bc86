"""The one-off mail path (core/mail.py): a row per mail, recorded with the change that
causes it; a task per row that sends it once, rendered in the worker from ids; every message
tracked like bulk mail; errors retried from the row, never by a blind autoretry."""

import datetime
import json
import re
import threading
from smtplib import SMTPRecipientsRefused
from types import SimpleNamespace

import pytest
from allauth.account.adapter import get_adapter
from django.conf import settings as django_settings
from django.core import mail as django_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone
from django.utils import translation

from activities import services as activity_services
from core import mail
from core import tasks
from core.models import OutgoingMail
from members import services as member_services
from members.models import ContactMessage
from members.models import Participant
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

ANYMAIL_TEST = "anymail.backends.test.EmailBackend"


@pytest.fixture(autouse=True)
def _esp(settings):
    # anymail's test backend gives each message an ESP id, as a real ESP does.
    settings.EMAIL_BACKEND = ANYMAIL_TEST


def confirmation(capture, *, execute=True) -> OutgoingMail:
    """An activity confirmation, recorded by the service that registers the member."""
    member = MemberFactory(first_name="Amina", email="amina@example.org")
    with capture(execute=execute):
        activity_services.activity_register(activity=ActivityFactory(), participant=member)
    return OutgoingMail.objects.get()


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 No such user")})


class BrokenBackend(BaseEmailBackend):
    """The server takes the connection, then fails on the message."""

    def send_messages(self, messages):
        raise OSError("Connection reset by peer")


class UnreachableBackend(BaseEmailBackend):
    def open(self):
        raise ConnectionRefusedError("Connection refused")

    def send_messages(self, messages):  # pragma: no cover - never reached
        raise AssertionError("sent without a connection")


# --- a row per mail, sent after commit -----------------------------------------------------------


def test_the_mail_is_a_row_written_with_the_change_and_sent_after_commit(
    django_capture_on_commit_callbacks,
):
    row = confirmation(django_capture_on_commit_callbacks, execute=False)

    assert row.status == "pending" and django_mail.outbox == []
    assert row.template == "emails/activities/confirmed"
    assert row.email == "amina@example.org" and row.participant.first_name == "Amina"

    tasks.send_email.delay(row.pk)

    (message,) = django_mail.outbox
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1) and row.sent_at is not None
    assert row.esp_message_id == str(message.anymail_status.message_id)
    # The one tracking receiver finds the row from the metadata, with any ESP.
    assert message.metadata == {"stream": "mail", "id": row.pk}
    assert message.tags == ["mail"]
    assert f".mail.{row.pk}@" in message.extra_headers["Message-ID"]


def test_the_row_holds_ids_and_small_values_never_the_rendered_mail(
    django_capture_on_commit_callbacks,
):
    row = confirmation(django_capture_on_commit_callbacks, execute=False)

    participant = Participant.objects.get(email="amina@example.org")
    assert row.context["participant"] == {"$model": "members.participant", "pk": participant.pk}
    assert row.context["activity"]["$model"] == "activities.activity"
    assert row.context["attach_ics"] is True
    assert "Amina" not in json.dumps(row.context)


def test_a_contact_message_is_referred_to_not_copied(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = member_services.contact_message_send(
            sender=MemberFactory(),
            recipient=MemberFactory(),
            subject="About the water project",
            body="My private telephone is 555-0199.",
        )

    row = OutgoingMail.objects.get()
    assert row.context["message"] == {"$model": "members.contactmessage", "pk": message.pk}
    stored = json.dumps(row.context)
    assert "555-0199" not in stored and "water project" not in stored


# --- sent once -----------------------------------------------------------------------------------


def test_the_task_run_twice_sends_once(django_capture_on_commit_callbacks):
    row = confirmation(django_capture_on_commit_callbacks, execute=False)

    assert tasks.send_email.delay(row.pk).get() == "sent"
    assert tasks.send_email.delay(row.pk).get() == "sent"

    assert len(django_mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)


def test_a_mail_in_flight_in_another_worker_is_left_alone(django_capture_on_commit_callbacks):
    row = confirmation(django_capture_on_commit_callbacks, execute=False)
    OutgoingMail.objects.filter(pk=row.pk).update(
        status="sending", claimed_at=timezone.now(), claimed_by="worker@other/42", attempts=1
    )

    assert tasks.send_email.delay(row.pk).get() == "sending"

    assert django_mail.outbox == []
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by) == ("sending", 1, "worker@other/42")


@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_the_same_mail_at_the_same_moment_send_it_once():
    member = MemberFactory()
    message = ContactMessage.objects.create(sender=MemberFactory(), recipient=member)
    # The row as send_later writes it, without its own task (which would run at once here).
    row = OutgoingMail.objects.create(
        email=member.user.email,
        participant=member,
        template="emails/members/contact_reply",
        context=mail.dump_context({"message": message}),
    )
    start = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            start.wait()
            outcomes.append(tasks.outgoing_mail_send(mail_id=row.pk, claimed_by="t"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(django_mail.outbox) == 1
    # The loser saw the row in flight or already sent; neither sent it again.
    assert sorted(outcomes) in (["sending", "sent"], ["sent", "sent"])
    assert OutgoingMail.objects.get(pk=row.pk).attempts == 1


# --- errors: retried from the row -----------------------------------------------------------------


def test_an_error_puts_the_mail_back_and_the_retry_sends_it_later(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.core.test_outgoing_mail.BrokenBackend"
    row = confirmation(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection reset" in row.last_error
    # A young row's task may still be on its way: the retry leaves it to it.
    assert tasks.retry_due(now=row.created_at + datetime.timedelta(seconds=30)) == 0

    settings.EMAIL_BACKEND = ANYMAIL_TEST
    assert tasks.retry_due(now=row.created_at + datetime.timedelta(minutes=2)) == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(django_mail.outbox) == 1


def test_a_mail_that_keeps_failing_is_given_up_after_three_attempts(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.core.test_outgoing_mail.BrokenBackend"
    row = confirmation(django_capture_on_commit_callbacks)
    later = row.created_at + datetime.timedelta(minutes=2)

    assert tasks.retry_due(now=later) == 1
    assert tasks.retry_due(now=later) == 1
    assert tasks.retry_due(now=later) == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)


def test_an_unreachable_mail_server_costs_no_attempt(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "tests.core.test_outgoing_mail.UnreachableBackend"
    row = confirmation(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert "Connection refused" in row.last_error


def test_a_refused_address_is_a_bounce_and_marks_the_members_address(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.core.test_outgoing_mail.RefusingBackend"
    row = confirmation(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert row.status == "bounced" and row.bounced_at is not None
    person = Participant.objects.get(pk=row.participant_id)
    assert person.email_status == Participant.EmailStatus.BOUNCED
    assert tasks.retry_due(now=row.created_at + datetime.timedelta(minutes=2)) == 0


def test_a_mail_about_data_erased_meanwhile_is_skipped(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = member_services.contact_message_send(
            sender=MemberFactory(), recipient=MemberFactory(), subject="Hello", body="Hi."
        )
    row = OutgoingMail.objects.get()
    ContactMessage.objects.filter(pk=message.pk).delete()

    assert tasks.send_email.delay(row.pk).get() == "skipped"

    assert django_mail.outbox == []
    assert "erased" in OutgoingMail.objects.get(pk=row.pk).last_error


# --- rendering in the worker ----------------------------------------------------------------------


def test_the_mail_is_built_in_the_recipients_language(django_capture_on_commit_callbacks):
    seen = []

    def probe(outgoing, context):
        seen.append(translation.get_language())
        return mail.render_outgoing(outgoing, context)

    mail.register_mail_builder(mail.MailBuilder(prefix="emails/members/", build=probe))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            member_services.contact_message_send(
                sender=MemberFactory(),
                recipient=MemberFactory(preferred_language="pt"),
                subject="Olá",
                body="Tudo bem?",
            )
    finally:
        mail._builders.pop("emails/members/")

    assert seen == ["pt"]
    assert OutgoingMail.objects.get().language == "pt"


def test_allauths_reset_link_is_dropped_from_the_row_once_sent(
    django_capture_on_commit_callbacks, rf
):
    member = MemberFactory(email="amina@example.org")
    with django_capture_on_commit_callbacks(execute=False):
        get_adapter(rf.get("/")).send_mail(
            "account/email/password_reset_key",
            "amina@example.org",
            {"user": member.user, "password_reset_url": "https://network.example/reset/k-123/"},
        )
    row = OutgoingMail.objects.get()
    assert row.participant_id == member.pk
    assert row.context["password_reset_url"] == "https://network.example/reset/k-123/"

    tasks.send_email.delay(row.pk)

    (message,) = django_mail.outbox
    assert "https://network.example/reset/k-123/" in message.body
    row.refresh_from_db()
    assert row.status == "sent" and row.context == {}


def test_the_context_keeps_rows_times_and_plain_values_and_refuses_the_rest():
    member = MemberFactory()
    moment = timezone.now()

    stored = mail.dump_context({"user": member.user, "at": moment, "code": "X1", "n": [1, 2]})
    loaded = mail.load_context(json.loads(json.dumps(stored)))

    assert loaded == {"user": member.user, "at": moment, "code": "X1", "n": [1, 2]}
    with pytest.raises(TypeError):
        mail.dump_context({"site": SimpleNamespace(name="Norec")})
    with pytest.raises(TypeError):
        mail.dump_context({"participant": Participant(first_name="Unsaved")})


# --- the person's mails go with their account -----------------------------------------------------


def test_download_my_data_lists_the_mails_sent_to_the_person(django_capture_on_commit_callbacks):
    row = confirmation(django_capture_on_commit_callbacks)
    participant = Participant.objects.get(email="amina@example.org")

    data = member_services.participant_export_data(participant=participant)

    row.refresh_from_db()
    assert data["mails_sent_to_you"] == [
        {
            "mail": "activities/confirmed",
            "to": "amina@example.org",
            "status": "sent",
            "created_at": row.created_at.isoformat(),
            "sent_at": row.sent_at.isoformat(),
        }
    ]
    json.dumps(data)


def test_deleting_the_account_erases_the_persons_mail_log(django_capture_on_commit_callbacks):
    confirmation(django_capture_on_commit_callbacks, execute=False)
    other = mail.send_later(
        template="emails/invitations/request_received",
        context={"site_url": "https://network.example"},
        to="someone@example.org",
    )
    participant = Participant.objects.get(email="amina@example.org")

    member_services.participant_delete_account(participant=participant)

    assert list(OutgoingMail.objects.all()) == [other]


# --- queues: a newsletter never delays a password reset -------------------------------------------


def test_one_off_mail_and_bulk_mail_are_routed_to_separate_queues(settings):
    routes = settings.CELERY_TASK_ROUTES

    assert routes["norec_network.send_email"] == {"queue": "email"}
    assert routes["norec_network.outgoing_mail_retry_due"] == {"queue": "email"}
    for task in ("outbound_tick", "outbound_send_batch", "outbound_sweep"):
        assert routes[f"norec_network.{task}"] == {"queue": "bulk"}


@pytest.mark.parametrize("path", ["docker-compose.yml", "Procfile.dev"])
def test_separate_worker_processes_serve_the_email_and_the_bulk_queue(path):
    text = (django_settings.BASE_DIR / path).read_text()
    # `-Q default,email` in the Procfile, `"-Q", "default,email"` in compose.
    served = [set(found.split(",")) for found in re.findall(r'-Q"?,? "?([a-z,]+)', text)]

    assert {"default", "email"} in served
    assert {"bulk"} in served
    assert not [queues for queues in served if {"email", "bulk"} <= queues]
