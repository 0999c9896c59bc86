"""Amazon SES batches (core/outbound/ses.py) through boto3 against the fake ESP's SES v2 API on
loopback: one SendBulkEmail per 50 recipients with the template inline and each recipient's own
values exactly once escaped, per-entry statuses, an account error that puts the group back, a
read timeout that is neither retried by boto3 nor resent by us, and SES's events mapped back to
the batch's rows."""

import base64
import collections
import json
import socket
import uuid
from datetime import timedelta

import pytest
from anymail.exceptions import AnymailAPIError
from botocore.exceptions import ConnectTimeoutError
from botocore.exceptions import FlexibleChecksumError
from botocore.exceptions import NoCredentialsError
from botocore.exceptions import NoRegionError
from botocore.exceptions import ParamValidationError
from botocore.exceptions import ReadTimeoutError
from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.core.mail import get_connection
from django.utils import timezone

from core import outbound
from core.outbound import batching
from core.outbound import ses
from core.outbound.esp_errors import certainly_not_taken
from newsletters.models import Delivery
from newsletters.rendering import unsubscribe_token
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.support.esp_batches import WORKER
from tests.support.esp_batches import deliveries_of
from tests.support.esp_batches import invitations_accepted
from tests.support.esp_batches import prepared_newsletter
from tests.support.esp_batches import send_newsletter_batch
from tests.support.fake_esp import SES_BULK
from tests.support.fake_esp import SES_SINGLE
from tests.support.fake_esp import FakeEsp
from tests.support.fake_esp import Misbehaviour

pytestmark = pytest.mark.django_db

NAME = "N'Dri & <Co>"
ESCAPED = "N&#x27;Dri &amp; &lt;Co&gt;"
SECRET = "hook:secret"
ALIVE = lambda: frozenset({WORKER})  # noqa: E731
LATER = timedelta(seconds=241)
# The client parameters settings.py gives boto3 (timeouts, no retries), before a test's changes.
SETTINGS_CLIENT = django_settings.ANYMAIL["AMAZON_SES_CLIENT_PARAMS"]


@pytest.fixture
def fake(settings):
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    settings.OUTBOUND_ESP_BATCH_SIZE = None
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    settings.OUTBOUND_STALE_SECONDS = 180
    settings.OUTBOUND_UNCERTAIN_SECONDS = 240
    with FakeEsp() as esp:
        ours = esp.anymail_settings("amazon_ses")
        config = {**SETTINGS_CLIENT["config"], "read_timeout": 0.5, "connect_timeout": 0.5}
        ours["AMAZON_SES_CLIENT_PARAMS"] = {**ours["AMAZON_SES_CLIENT_PARAMS"], "config": config}
        settings.ANYMAIL = {**ours, "WEBHOOK_SECRET": SECRET}
        yield esp


# --- the settings -------------------------------------------------------------------------------


def test_boto3_never_retries_an_ses_call_and_times_out_like_the_other_esps(settings):
    # What an operator adds (ANYMAIL_AMAZON_SES_CLIENT_PARAMS) keeps the site's config.
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "AMAZON_SES_CLIENT_PARAMS": {**SETTINGS_CLIENT, "region_name": "eu-west-1"},
    }
    connection = get_connection("anymail.backends.amazon_ses.EmailBackend")
    connection.open()
    config = connection.client.meta.config

    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout == django_settings.ANYMAIL["REQUESTS_TIMEOUT"]
    assert config.connect_timeout == django_settings.ANYMAIL["REQUESTS_TIMEOUT"]


def test_ses_batches_fifty_recipients_a_call():
    assert batching.ESPS["amazon_ses"].max_recipients == 50


def test_the_mails_own_braces_are_not_read_as_ses_variables():
    text, braces = ses.to_handlebars("Write {{name}} or {{{x}}} as " + ses.token("firstname"))

    assert braces
    assert text == (
        "Write {{norecbrace}}{name}} or {{norecbrace}}{{norecbrace}}{x}}} as {{firstname}}"
    )
    assert ses.to_handlebars("p { margin: 0 }") == ("p { margin: 0 }", False)


# --- a newsletter and a wave --------------------------------------------------------------------


def test_a_newsletter_goes_out_fifty_a_call_each_recipient_with_their_own_values(
    fake, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(61, preferred_language="en")
    members[0].first_name = NAME
    members[0].save(update_fields=["first_name"])
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks, subject="Use {{this}}")

    send_newsletter_batch(newsletter)
    send_newsletter_batch(newsletter)

    assert Delivery.objects.filter(status="sent").count() == 61
    assert sorted(count for path, count in fake.calls if path == SES_BULK) == [11, 50]
    assert not [path for path, _count in fake.calls if path != SES_BULK]
    accepted = {item.address: item for item in fake.accepted}
    assert len(fake.accepted) == 61
    for delivery in Delivery.objects.all():
        item = accepted[delivery.email]
        # SES's own message id for the entry, which its events carry as mail.messageId.
        assert delivery.esp_message_id == item.message_id
        assert item.metadata == {"stream": "newsletter", "id": delivery.pk}
        token = unsubscribe_token(delivery.participant_id)
        assert token in item.text and token in item.html
        assert item.headers["List-Unsubscribe"].endswith(f"/{token}/>")
        assert item.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Message-ID" not in item.headers  # SES sets its own and refuses ours
        assert item.subject == "Use {{this}}"
        assert "ZqMRG" not in item.subject + item.text + item.html
        assert "ZqSES" not in item.subject + item.text + item.html
    first = accepted[members[0].email]
    assert f"Hello {NAME}," in first.text
    assert ESCAPED in first.html and NAME not in first.html


def test_a_wave_goes_out_in_ses_batches_one_per_language(fake):
    people = make_participants(4, preferred_language="en")
    people += make_participants(2, preferred_language="pt")
    people[0].first_name = NAME
    people[0].save(update_fields=["first_name"])
    wave = make_wave(batch_size=100)
    launch(wave)

    send_all(campaign_id=wave.pk)

    assert sorted(count for _path, count in fake.calls) == [2, 4]
    accepted = invitations_accepted(fake)
    first = accepted[people[0].email]
    assert first.subject.startswith(NAME)
    assert ESCAPED in first.html and NAME not in first.html


# --- statuses and errors ------------------------------------------------------------------------


def test_an_entry_ses_rejected_goes_back_alone_and_its_address_is_not_blamed(
    fake, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(4)
    fake.refuse(members[1].email)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)

    result = send_newsletter_batch(newsletter)

    assert result.sent == 3 and len(fake.calls) == 1
    rows = deliveries_of(members)
    assert [row.status for row in rows] == ["sent", "pending", "sent", "sent"]
    assert rows[1].attempts == 1 and "failed" in rows[1].last_error
    members[1].refresh_from_db()
    assert members[1].email_status != "bounced"


@pytest.mark.parametrize("status", ["ACCOUNT_SENDING_PAUSED", "MAIL_FROM_DOMAIN_NOT_VERIFIED"])
def test_an_account_error_for_every_entry_puts_the_group_back_at_once(
    status, fake, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(3)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.misbehave(Misbehaviour(take=False, entry_status=status))

    result = send_newsletter_batch(newsletter)

    # Answered and refused: not "maybe taken", nothing waits for events that will never come.
    assert result.sent == 0
    rows = deliveries_of(members)
    assert [(row.status, row.attempts) for row in rows] == [("pending", 1)] * 3
    assert not any(row.claimed_by.endswith(batching.HANDED_OVER) for row in rows)
    send_newsletter_batch(newsletter)
    counts = collections.Counter(item.address for item in fake.accepted)
    assert counts == collections.Counter({member.email: 1 for member in members})


def test_a_refused_call_goes_back_at_once(fake, django_capture_on_commit_callbacks):
    members = MemberFactory.create_batch(2)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.misbehave(Misbehaviour(take=False, status=400))

    send_newsletter_batch(newsletter)

    assert [(row.status, row.attempts) for row in deliveries_of(members)] == [("pending", 1)] * 2


@pytest.mark.parametrize(
    "trouble",
    [Misbehaviour(take=True, hang=2.0), Misbehaviour(take=True, status=500)],
    ids=["read timeout", "500 after taking"],
)
def test_a_call_ses_may_have_taken_is_sent_once_and_left_for_its_events(
    trouble, fake, client, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(3)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    fake.misbehave(trouble)

    result = send_newsletter_batch(newsletter)

    # boto3 did not send it again by itself (its retries are off), and nor did we.
    assert result.sent == 0 and len(fake.calls) == 1
    rows = deliveries_of(members)
    for row in rows:
        assert row.status == "sending" and row.claimed_by.endswith(batching.HANDED_OVER)
    # SES's events for what it took come; nothing is sent again.
    for item in fake.accepted:
        assert _post(client, _sns("Delivery", item, {"recipients": [item.address]})) == 200
    assert outbound.sweep(now=timezone.now() + LATER, live=ALIVE)["newsletter"] == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert len(fake.accepted) == 3


def test_an_ses_endpoint_that_cannot_be_reached_gets_nothing_and_nothing_waits(
    fake, settings, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(2)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = settings.ANYMAIL["AMAZON_SES_CLIENT_PARAMS"]
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "AMAZON_SES_CLIENT_PARAMS": {**client, "endpoint_url": f"http://127.0.0.1:{closed}"},
    }

    send_newsletter_batch(newsletter)

    assert [(row.status, row.attempts) for row in deliveries_of(members)] == [("pending", 1)] * 2


def test_a_boto3_connect_timeout_is_certainly_not_taken():
    # No byte of the call left: botocore's own ConnectTimeoutError (not requests' ConnectTimeout).
    error = AnymailAPIError("connect timeout")
    error.__cause__ = ConnectTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com")
    read = AnymailAPIError("read timeout")
    read.__cause__ = ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com")

    assert certainly_not_taken(error)
    assert not certainly_not_taken(read)


@pytest.mark.parametrize(
    ("cause", "not_taken"),
    [
        (NoCredentialsError(), True),  # boto3 had nothing to sign with: nothing was sent
        (ParamValidationError(report="Invalid type for parameter Content"), True),
        (NoRegionError(), True),
        (FlexibleChecksumError(error_msg="checksum"), False),  # comes after SES answered
    ],
)
def test_what_boto3_refuses_before_sending_is_certainly_not_taken(cause, not_taken):
    error = AnymailAPIError("boto3")
    error.__cause__ = cause

    assert certainly_not_taken(error) is not_taken


def test_one_off_mail_goes_as_one_sendemail_call(fake):
    message = EmailMessage("Hi", "Body", "network@norec.org", ["a@example.org"])
    message.metadata = {"stream": "mail", "id": 7}

    message.send()

    assert fake.calls == [(SES_SINGLE, 1)]
    (item,) = fake.accepted
    assert item.metadata == {"stream": "mail", "id": 7}
    assert message.anymail_status.message_id == item.message_id


# --- SES's events back to the batch's rows ------------------------------------------------------


def _sns(event_type: str, item, detail: dict, *, with_headers: bool = True) -> dict:
    mail = {
        "timestamp": "2026-12-06T10:15:54.000Z",
        "source": "network@norec.org",
        "messageId": item.message_id,
        "destination": [item.address],
    }
    if with_headers:
        mail["headersTruncated"] = False
        mail["headers"] = [{"name": name, "value": value} for name, value in item.headers.items()]
    ses_event = {"eventType": event_type, "mail": mail, event_type.lower(): detail}
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:norec-ses-events",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-12-06T10:16:54.891Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/cert.pem",
    }


def _post(client, body) -> int:
    return client.post(
        "/anymail/amazon_ses/tracking/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(SECRET.encode()).decode(),
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        HTTP_X_AMZ_SNS_MESSAGE_ID=body["MessageId"],
        HTTP_X_AMZ_SNS_TOPIC_ARN=body["TopicArn"],
    ).status_code


@pytest.mark.parametrize("with_headers", [True, False], ids=["by X-Metadata", "by message id"])
def test_an_ses_event_for_a_recipient_of_a_batch_marks_their_row(
    with_headers, fake, client, django_capture_on_commit_callbacks
):
    members = MemberFactory.create_batch(4)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    send_newsletter_batch(newsletter)
    accepted = {item.address: item for item in fake.accepted}
    bounced, delivered = members[1], members[2]
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": bounced.email, "diagnosticCode": "550 5.1.1"}],
    }

    assert _post(client, _sns("Bounce", accepted[bounced.email], bounce, with_headers=with_headers))
    assert _post(
        client,
        _sns(
            "Delivery",
            accepted[delivered.email],
            {"recipients": [delivered.email]},
            with_headers=with_headers,
        ),
    )

    rows = deliveries_of(members)
    assert [row.status for row in rows] == ["sent", "bounced", "sent", "sent"]
    assert [row.delivered_at is not None for row in rows] == [False, False, True, False]
    bounced.refresh_from_db()
    assert bounced.email_status == "bounced"
