"""Every mail the portal sends, through the real anymail backend of every ESP the README documents,
with only the HTTP call (requests' session) or the AWS client (a botocore-stubbed boto3 client,
which checks the parameters against SES's API model) stood in for. A setting an ESP refuses (two
tags for Postmark, a non-string value where one needs strings, a non-ASCII header for Brevo)
fails here rather than in production, where it fails every delivery after three attempts."""

import contextlib
import email
import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import boto3
import pytest
import requests
from allauth.account.adapter import get_adapter
from botocore.stub import Stubber
from django.utils import timezone

from activities import services as activity_services
from core.models import OutgoingMail
from invitations import services as invitation_services
from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.requests import invitation_request_create
from members import services as member_services
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from tests.activities.factories import ActivityFactory
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.preparing import prepare_all

pytestmark = [
    pytest.mark.django_db,
    # anymail warns on every SendGrid send that it no longer tests SendGrid; the README still
    # documents it, so it is tested here.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

# What an operator sets (README: ANYMAIL_ESP plus that ESP's keys), with made-up keys.
ESPS = {
    "postmark": {"POSTMARK_SERVER_TOKEN": "server-token"},
    "mailgun": {"MAILGUN_API_KEY": "key-1", "MAILGUN_SENDER_DOMAIN": "mg.norec.no"},
    "sendgrid": {"SENDGRID_API_KEY": "SG.key"},
    "amazon_ses": {
        "AMAZON_SES_CLIENT_PARAMS": {"region_name": "eu-west-1"},
        "AMAZON_SES_SESSION_PARAMS": {
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": "secret",
        },
        # Puts the tag in SES's own EmailTags too, whose content the API model restricts.
        "AMAZON_SES_MESSAGE_TAG_NAME": "stream",
    },
    "brevo": {"BREVO_API_KEY": "xkeysib-key"},
    "mailjet": {"MAILJET_API_KEY": "public", "MAILJET_SECRET_KEY": "private"},
}


def _response(status: int, body) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.encoding = "utf-8"
    return response


def _answer(esp: str, data) -> tuple[int, object]:
    """Each ESP's documented answer to a successful send."""
    message_id = str(uuid.uuid4())
    if esp == "postmark":
        sent = json.loads(data)
        return 200, {
            "To": sent["To"],
            "SubmittedAt": "2026-11-23T10:15:54.9070259Z",
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }
    if esp == "mailgun":
        return 200, {"id": f"<{message_id}@mg.norec.no>", "message": "Queued. Thank you."}
    if esp == "sendgrid":
        return 202, None
    if esp == "brevo":
        return 201, {"messageId": f"<{message_id}@smtp-relay.mailin.fr>"}
    if esp == "mailjet":
        to = json.loads(data)["Messages"][0]["To"][0]["Email"]
        return 200, {
            "Messages": [
                {
                    "Status": "success",
                    "To": [
                        {
                            "Email": to,
                            "MessageUUID": message_id,
                            "MessageID": uuid.UUID(message_id).int >> 68,
                            "MessageHref": "https://api.mailjet.com/v3/REST/message/1",
                        }
                    ],
                }
            ]
        }
    raise AssertionError(esp)


@pytest.fixture
def esp(request, settings, monkeypatch):
    """The chosen ESP's real backend; returns the list its API calls are recorded in."""
    name = request.param
    settings.EMAIL_BACKEND = f"anymail.backends.{name}.EmailBackend"
    settings.ANYMAIL = dict(ESPS[name])
    # One message per call, as each test here reads it; the ESP batch sender's payloads are
    # tested in tests/core/test_outbound_batching.py.
    settings.OUTBOUND_ESP_BATCH_SIZE = 1
    calls = []

    def request_(session, method=None, url=None, **kwargs):
        calls.append(SimpleNamespace(url=url, **kwargs))
        return _response(*_answer(name, kwargs.get("data")))

    monkeypatch.setattr(requests.Session, "request", request_)

    make_client = boto3.session.Session.client

    def client(session, service_name, **kwargs):
        ses = make_client(session, service_name, **kwargs)
        stubber = Stubber(ses)
        for _ in range(50):
            stubber.add_response("send_email", {"MessageId": f"0102018c-{uuid.uuid4()}-000000"})
        stubber.activate()
        send_email = ses.send_email

        def recorded(**params):
            calls.append(SimpleNamespace(url="sesv2:SendEmail", params=params))
            return send_email(**params)

        ses.send_email = recorded
        return ses

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return SimpleNamespace(name=name, calls=calls)


def sent_as(esp: str, call) -> SimpleNamespace:
    """What one API call carried, read back the way each ESP reads it, after checking what the
    ESP's API documentation demands of it."""
    if esp == "postmark":
        data = json.loads(call.data)
        headers = {h["Name"]: h["Value"] for h in data.get("Headers", [])}
        tags = [data["Tag"]] if "Tag" in data else []
        assert all(isinstance(tag, str) and len(tag) <= 1000 for tag in tags)
        return SimpleNamespace(
            to=[data["To"]], tags=tags, metadata=data.get("Metadata", {}), headers=headers
        )
    if esp == "mailgun":
        data = call.data
        tags = data.get("o:tag", [])
        metadata = {key[2:]: value for key, value in data.items() if key.startswith("v:")}
        headers = {key[2:]: value for key, value in data.items() if key.startswith("h:")}
        return SimpleNamespace(to=data["to"], tags=tags, metadata=metadata, headers=headers)
    if esp == "sendgrid":
        data = json.loads(call.data)
        (personalization,) = data["personalizations"]
        custom_args = {**data.get("custom_args", {}), **personalization.get("custom_args", {})}
        # SendGrid: custom_args values must be strings; at most 10 categories of 255 characters.
        assert all(isinstance(value, str) for value in custom_args.values()), custom_args
        categories = data.get("categories", [])
        assert len(categories) <= 10 and all(len(c) <= 255 for c in categories)
        custom_args.pop("anymail_id", None)
        return SimpleNamespace(
            to=[to["email"] for to in personalization["to"]],
            tags=categories,
            metadata=custom_args,
            headers=data.get("headers", {}),
        )
    if esp == "amazon_ses":
        raw = email.message_from_bytes(call.params["Content"]["Raw"]["Data"])
        tags = raw.get_all("X-Tag") or []
        email_tags = call.params.get("EmailTags", [])
        assert [tag["Value"] for tag in email_tags] == tags[:1]
        return SimpleNamespace(
            to=call.params["Destination"]["ToAddresses"],
            tags=tags,
            metadata=json.loads(raw["X-Metadata"]) if raw["X-Metadata"] else {},
            headers=dict(raw.items()),
        )
    if esp == "brevo":
        data = json.loads(call.data)
        headers = dict(data.get("headers", {}))
        # Brevo: header values are strings, and only ASCII ones arrive intact.
        assert all(isinstance(v, str) and v.isascii() for v in headers.values()), headers
        metadata = json.loads(headers.pop("X-Mailin-custom", "{}"))
        return SimpleNamespace(
            to=[to["email"] for to in data["to"]],
            tags=data.get("tags", []),
            metadata=metadata,
            headers=headers,
        )
    if esp == "mailjet":
        data = json.loads(call.data)
        merged = {**data["Globals"], **data["Messages"][0]}
        tags = [merged["CustomCampaign"]] if "CustomCampaign" in merged else []
        payload = merged.get("EventPayload")
        return SimpleNamespace(
            to=[to["Email"] for to in merged["To"]],
            tags=tags,
            metadata=json.loads(payload) if payload else {},
            headers=merged.get("Headers", {}),
        )
    raise AssertionError(esp)


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    """Run a block's on-commit callbacks: the one-off mails' worker task runs eagerly then."""

    @contextlib.contextmanager
    def capture():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return capture


@pytest.mark.parametrize("esp", list(ESPS), indirect=True)
def test_every_stream_and_every_one_off_mail_goes_through_each_documented_esp(
    esp, mails, rf, django_capture_on_commit_callbacks
):
    # The three streams of the bulk sender, each through the real sender (which stamps the
    # metadata, the tag and the Message-ID).
    make_participants(2, country="CI")
    wave = make_wave(home_countries=["CI"], reminder_days=10, reply_to="adviser@norec.no")
    launch(wave)
    send_all(campaign_id=wave.pk)
    invitation_services.invitation_remind_due(now=timezone.now() + timedelta(days=10, minutes=1))
    send_all(stream="invitation_reminder", campaign_id=wave.pk)
    reader, writer = MemberFactory(), MemberFactory(first_name="Aya")
    staff = StaffUserFactory(email="staff@norec.no")
    newsletter = NewsletterFactory(rate_per_hour=0)
    newsletter_services.newsletter_schedule(
        newsletter=newsletter, actor=staff, send_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_services.newsletter_start(newsletter=newsletter)
        prepare_all(newsletter_services.STREAM, newsletter.pk)

    rows = [
        *Invitation.objects.filter(wave=wave).order_by("pk"),
        *InvitationReminder.objects.order_by("pk"),
        *Delivery.objects.order_by("pk"),
    ]
    assert len(rows) == 6
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.last_error) == ("sent", ""), row
    stream_calls = list(esp.calls)
    assert len(stream_calls) == len(rows)
    # A batch keeps several calls in flight at once: they arrive in any order, each naming its row.
    carried_for = {}
    for call in stream_calls:
        carried = sent_as(esp.name, call)
        carried_for[(str(carried.metadata["stream"]), str(carried.metadata["id"]))] = carried
    for row in rows:
        stream = {Invitation: "invitation", InvitationReminder: "invitation_reminder"}.get(
            type(row), "newsletter"
        )
        carried = carried_for[(stream, str(row.pk))]
        assert carried.to == [row.email]
        assert carried.tags == [stream]  # exactly one: what Postmark and Mailjet accept
        assert {key: str(value) for key, value in carried.metadata.items()} == {
            "stream": stream,
            "id": str(row.pk),
        }
        assert any(name.lower() == "message-id" for name in carried.headers), carried.headers

    # The one-off mails: each through the worker's send task, as in production.
    with mails():
        activity_services.activity_register(activity=ActivityFactory(), participant=reader)
        member_services.contact_message_send(
            sender=writer, recipient=reader, subject="Hello", body="Can we talk?"
        )
        invitation_request_create(
            first_name="Kofi",
            last_name="Mensah",
            email="kofi@example.org",
            home_country="GH",
            exchange_year=2015,
            partner_organisation="",
            message="",
        )
        get_adapter(rf.get("/")).send_mail(
            "account/email/unknown_account",
            "someone@example.org",
            {"signup_url": "https://network.example/accounts/signup/"},
        )
        newsletter_services.newsletter_send_test(newsletter=newsletter, user=staff)

    one_off = esp.calls[len(stream_calls) :]
    assert len(one_off) == 5
    addressed = sorted(address for call in one_off for address in sent_as(esp.name, call).to)
    assert addressed == sorted(
        [
            reader.user.email,  # the activity's confirmation, with its .ics attached
            reader.user.email,  # the contact relay
            "kofi@example.org",
            "someone@example.org",
            "staff@norec.no",
        ]
    )
    # Each with its row named in the metadata and its one tag, so that every ESP's tracking
    # events map back to it, as for the streams.
    rows = {row.pk: row for row in OutgoingMail.objects.all()}
    assert len(rows) == 5
    for call in one_off:
        carried = sent_as(esp.name, call)
        assert carried.tags == ["mail"]
        assert str(carried.metadata["stream"]) == "mail"
        row = rows[int(carried.metadata["id"])]
        assert carried.to == [row.email]
        assert (row.status, row.last_error) == ("sent", ""), row
        assert any(name.lower() == "message-id" for name in carried.headers), carried.headers
