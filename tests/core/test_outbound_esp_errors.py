"""An ESP batch call that fails (core/outbound/esp_errors.py), through the fake ESP on loopback
(real HTTP): a call the ESP may have taken (no answer in time, the connection dropped, a 5xx) is
uncertain as a whole and left for the webhooks, and only what the ESP never reported is sent
again; a call the ESP refused (4xx) or that never reached it goes back at once; a recipient
left out of a successful answer waits for its webhook; and after any failed call this worker
sends nothing more of its batch."""

import collections
import json
import socket
from datetime import timedelta

import pytest
import requests
from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.mail import get_connection
from django.utils import timezone

from core import outbound
from core.outbound import batching
from core.outbound.esp_errors import certainly_not_taken
from newsletters.models import Delivery
from tests.members.factories import MemberFactory
from tests.support.esp_batches import WORKER
from tests.support.esp_batches import deliveries_of
from tests.support.esp_batches import prepared_newsletter
from tests.support.esp_batches import report_postmark_delivery
from tests.support.esp_batches import send_newsletter_batch
from tests.support.fake_esp import FakeEsp
from tests.support.fake_esp import Misbehaviour

pytestmark = pytest.mark.django_db

SECRET = "hook:secret"
ALIVE = lambda: frozenset({WORKER})  # noqa: E731
# Past OUTBOUND_STALE_SECONDS (180) and OUTBOUND_UNCERTAIN_SECONDS (240) after the call.
LATER = timedelta(seconds=241)


@pytest.fixture
def fake(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.OUTBOUND_ESP_BATCH_SIZE = 2
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    settings.OUTBOUND_STALE_SECONDS = 180
    settings.OUTBOUND_UNCERTAIN_SECONDS = 240
    with FakeEsp() as esp:
        settings.ANYMAIL = {
            **esp.anymail_settings("postmark"),
            "REQUESTS_TIMEOUT": 0.5,
            "WEBHOOK_SECRET": SECRET,
        }
        yield esp


def _send_pending(newsletter) -> None:
    """Batches until nothing is pending (what waits for the webhooks stays `sending`)."""
    for _ in range(10):
        if not Delivery.objects.filter(status="pending").exists():
            return
        send_newsletter_batch(newsletter)
    raise AssertionError("the newsletter did not finish")


# --- a call the ESP may have taken ----------------------------------------------------------


MAYBE_TAKEN = {
    # The ESP took the group and its answer never came within the client's timeout.
    "read timeout": Misbehaviour(take=True, hang=2.0),
    # The ESP took the group and the connection broke before any answer.
    "connection dropped": Misbehaviour(take=True, drop=True),
    # A 500 after the ESP had queued the group.
    "500 after taking": Misbehaviour(take=True, status=500),
    # A 503 from a gateway in front of an ESP that never saw the call: just as uncertain to us.
    "503 without taking": Misbehaviour(take=False, status=503),
}


@pytest.mark.parametrize("trouble", MAYBE_TAKEN.values(), ids=MAYBE_TAKEN.keys())
def test_a_group_the_esp_may_have_taken_waits_for_the_webhooks_and_nobody_is_mailed_twice(
    trouble, fake, client, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(6, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.misbehave(trouble)

    result = send_newsletter_batch(newsletter)

    # One call only: after it, this worker sent nothing more of its batch.
    assert len(fake.calls) == 1 and result.sent == 0
    first, rest = deliveries_of(members)[:2], deliveries_of(members)[2:]
    for row in first:  # handed over, as a killed worker would have left them
        row.refresh_from_db()
        assert row.status == "sending" and row.claimed_by.endswith(batching.HANDED_OVER)
        assert row.attempts == 1
    assert {
        (row.status, row.attempts) for row in Delivery.objects.filter(pk__in=[r.pk for r in rest])
    } == {("pending", 0)}

    # The ESP's webhooks come for what it took; the live worker's group is not touched meanwhile.
    taken = fake.accepted
    assert len(taken) == (2 if trouble.take else 0)
    for item in taken:
        report_postmark_delivery(client, item, SECRET)
    assert outbound.sweep(live=ALIVE)["newsletter"] == 0
    _send_pending(newsletter)
    # What no webhook reported comes back once the webhooks' time is over, and goes out again.
    recovered = outbound.sweep(now=timezone.now() + LATER, live=ALIVE)["newsletter"]
    assert recovered == (0 if trouble.take else 2)
    _send_pending(newsletter)

    counts = collections.Counter(item.address for item in fake.accepted)
    assert counts == collections.Counter({member.email: 1 for member in members})
    accepted = {item.address: item for item in fake.accepted}
    for row in Delivery.objects.all():
        assert row.status == "sent" and row.esp_message_id == accepted[row.email].message_id


# --- a call the ESP certainly did not take --------------------------------------------------


@pytest.mark.parametrize("status", [401, 413, 422, 429])
def test_a_group_the_esp_refused_goes_back_at_once_with_its_attempt_counted(
    status, fake, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(6, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.misbehave(Misbehaviour(take=False, status=status))

    result = send_newsletter_batch(newsletter)

    assert len(fake.calls) == 1 and (result.sent, result.released) == (0, 4)
    rows = deliveries_of(members)
    assert [(row.status, row.attempts) for row in rows[:2]] == [("pending", 1)] * 2
    assert {
        (r.status, r.attempts) for r in Delivery.objects.filter(pk__in=[r.pk for r in rows[2:]])
    } == {("pending", 0)}
    _send_pending(newsletter)
    counts = collections.Counter(item.address for item in fake.accepted)
    assert counts == collections.Counter({member.email: 1 for member in members})


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_esp_that_cannot_be_reached_gets_nothing_and_nothing_waits(
    fake, settings, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(4, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "POSTMARK_API_URL": f"http://127.0.0.1:{_closed_port()}/",
    }

    result = send_newsletter_batch(newsletter)

    assert result.sent == 0
    rows = deliveries_of(members)
    assert [(row.status, row.attempts) for row in rows] == [("pending", 1)] * 2 + [
        ("pending", 0)
    ] * 2


# --- a recipient left out of a successful answer ------------------------------------------------


def test_a_recipient_left_out_of_the_answer_waits_for_its_webhook(
    fake, client, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(2, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.forget(members[1].email)

    result = send_newsletter_batch(newsletter)

    assert result.sent == 1
    kept, left_out = deliveries_of(members)
    assert kept.status == "sent"
    assert left_out.status == "sending" and left_out.claimed_by.endswith(batching.HANDED_OVER)
    assert not left_out.esp_message_id  # never our own Message-ID standing in for the ESP's
    (item,) = [i for i in fake.accepted if i.address == left_out.email]
    report_postmark_delivery(client, item, SECRET)
    assert outbound.sweep(now=timezone.now() + LATER, live=ALIVE)["newsletter"] == 0
    left_out.refresh_from_db()
    assert left_out.status == "sent" and left_out.esp_message_id == item.message_id
    assert len(fake.accepted) == 2


def test_a_recipient_left_out_and_never_reported_is_sent_again_after_the_webhooks_time(
    fake, django_capture_on_commit_callbacks
):
    # The ESP dropped the recipient altogether: no webhook will ever come for it.
    members = MemberFactory.create_batch(2, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.forget(members[1].email, take=False)
    send_newsletter_batch(newsletter)
    fake.forget_nobody()

    assert outbound.sweep(now=timezone.now() + LATER, live=ALIVE)["newsletter"] == 1
    _send_pending(newsletter)

    counts = collections.Counter(item.address for item in fake.accepted)
    assert counts == collections.Counter({member.email: 1 for member in members})
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


# --- a recipient the ESP says it failed to take (Mailjet's per-message status) -----------------


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_a_recipient_the_esp_failed_to_take_goes_back_to_the_queue(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "anymail.backends.mailjet.EmailBackend"
    settings.ANYMAIL = {"MAILJET_API_KEY": "public", "MAILJET_SECRET_KEY": "private"}
    settings.OUTBOUND_ESP_BATCH_SIZE = None

    def request_(session, method=None, url=None, **kwargs):
        messages = json.loads(kwargs["data"])["Messages"]
        answer = {
            "Messages": [
                {"Status": "error", "Errors": [{"ErrorMessage": "try later"}]}
                if number == 1
                else {
                    "Status": "success",
                    "To": [
                        {
                            "Email": message["To"][0]["Email"],
                            "MessageUUID": f"uuid-{number}",
                            "MessageID": 1000 + number,
                            "MessageHref": "https://api.mailjet.com/v3/REST/message/1",
                        }
                    ],
                }
                for number, message in enumerate(messages)
            ]
        }
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(answer).encode()
        response.headers["Content-Type"] = "application/json"
        response.encoding = "utf-8"
        return response

    monkeypatch.setattr(requests.Session, "request", request_)
    members = MemberFactory.create_batch(3, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)

    result = send_newsletter_batch(newsletter)

    assert result.sent == 2
    rows = deliveries_of(members)
    assert [row.status for row in rows] == ["sent", "pending", "sent"]
    assert rows[1].attempts == 1 and "failed" in rows[1].last_error


# --- the rule itself ------------------------------------------------------------------------


def test_errors_raised_before_the_call_are_not_taken_and_a_time_limit_inside_it_is_uncertain():
    assert certainly_not_taken(ValueError("no such merge field"))
    assert not certainly_not_taken(SoftTimeLimitExceeded())


def test_the_esps_api_has_a_numeric_timeout_well_within_a_batchs_margin():
    connection = get_connection("anymail.backends.postmark.EmailBackend", server_token="t")

    assert isinstance(connection.timeout, float)
    # Connecting and answering may each take the timeout, after the batch's last call started.
    margin = django_settings.OUTBOUND_STALE_SECONDS - django_settings.OUTBOUND_BATCH_SECONDS
    assert 2 * connection.timeout < margin
