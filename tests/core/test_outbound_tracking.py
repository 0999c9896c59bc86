"""What each documented ESP tells us, posted to anymail's own `/anymail/<esp>/tracking/` endpoint as
the ESP posts it (payloads written from each ESP's webhook documentation): unsubscribes, bounces
and complaints that come late or again after the address was corrected, and soft bounces."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from activities import services as activity_services
from core import outbound
from core.models import OutgoingMail
from invitations import services as invitation_services
from invitations.models import Invitation
from members import services as member_services
from members.models import Participant
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from tests.activities.factories import ActivityFactory
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = [
    pytest.mark.django_db,
    # anymail warns on every SendGrid request that it no longer tests SendGrid; the README still
    # documents it, so its webhooks are tested here.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

SECRET = "hook:s3cret-webhook"
MAILGUN_SIGNING_KEY = "key-mailgun-webhook-signing"
OLD = "ndri@example.org"
NEW = "ndri.kouassi@example.org"
WHEN = 1795428000  # 2026-11-23, in seconds since the epoch


@pytest.fixture(autouse=True)
def _webhooks(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
    }


def post(client, esp: str, body, headers: dict | None = None):
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
    return client.post(
        f"/anymail/{esp}/tracking/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
        **(headers or {}),
    )


@pytest.fixture
def invitation():
    """An invitation handed over to the ESP, to the address the roster has."""
    person = ParticipantFactory(first_name="N'Dri", email=OLD, home_country="CI")
    ExchangeFactory(participant=person, year=2014)
    wave = make_wave(home_countries=["CI"], reminder_days=10)
    launch(wave)
    send_all(campaign_id=wave.pk)
    return Invitation.objects.get(participant=person)


@pytest.fixture
def delivery(django_capture_on_commit_callbacks):
    """A newsletter handed over to the ESP for a subscribed member."""
    MemberFactory(first_name="N'Dri", email=OLD)
    newsletter = NewsletterFactory(rate_per_hour=0)
    newsletter_services.newsletter_schedule(
        newsletter=newsletter, actor=StaffUserFactory(), send_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_services.newsletter_start(newsletter=newsletter)
    row = Delivery.objects.get()
    assert row.status == "sent"
    return row


def metadata(row) -> dict:
    """What the ESP returns of the metadata the sender stamped (as strings, as most do)."""
    stream = {Invitation: "invitation", OutgoingMail: "mail"}.get(type(row), "newsletter")
    return {"stream": stream, "id": str(row.pk)}


# --- each ESP's payloads --------------------------------------------------------------------------


def postmark(row, record_type="Bounce", **fields):
    body = {
        "RecordType": record_type,
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": metadata(row)["stream"],
        "MessageID": row.esp_message_id,
        "Metadata": metadata(row),
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": row.email,
        "From": "network@norec.no",
        "BouncedAt": "2026-11-23T10:16:54.9070259Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Norec Network",
        **fields,
    }
    return "postmark", body, {}


def postmark_subscription_change(row):
    return (
        "postmark",
        {
            "RecordType": "SubscriptionChange",
            "MessageID": row.esp_message_id,
            "ServerID": 23,
            "MessageStream": "outbound",
            "ChangedAt": "2026-11-23T10:16:54.9070259Z",
            "Recipient": row.email,
            "Origin": "Recipient",
            "SuppressSending": True,
            "SuppressionReason": "ManualSuppression",
            "Tag": metadata(row)["stream"],
            "Metadata": metadata(row),
        },
        {},
    )


def mailgun(row, event="failed", **fields):
    token = uuid.uuid4().hex
    signature = hmac.new(
        MAILGUN_SIGNING_KEY.encode(), f"{WHEN}{token}".encode(), hashlib.sha256
    ).hexdigest()
    event_data = {
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": float(WHEN),
        "log-level": "error",
        "event": event,
        "severity": "permanent",
        "reason": "bounce",
        "recipient": row.email,
        "recipient-domain": row.email.split("@")[1],
        "message": {
            "headers": {
                "to": row.email,
                "message-id": "20261123101654.1.A1B2C3@mg.norec.no",
                "from": "Norec Network <network@norec.no>",
                "subject": "Norec Network",
            },
            "attachments": [],
            "size": 4111,
        },
        "delivery-status": {
            "attempt-no": 1,
            "code": 550,
            "message": "5.1.1 The email account that you tried to reach does not exist.",
            "description": "",
            "session-seconds": 1.2,
        },
        "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
        "tags": [metadata(row)["stream"]],
        "user-variables": metadata(row),
        **fields,
    }
    body = {
        "signature": {"timestamp": str(WHEN), "token": token, "signature": signature},
        "event-data": event_data,
    }
    return "mailgun", body, {}


def sendgrid(row, event="bounce", **fields):
    body = [
        {
            "email": row.email,
            "timestamp": WHEN,
            "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "event": event,
            "category": [metadata(row)["stream"]],
            "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
            "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
            "anymail_id": row.esp_message_id,
            **metadata(row),
            **fields,
        }
    ]
    return "sendgrid", body, {}


def amazon_ses(row, event_type, detail: dict, notification="Notification"):
    ses_event = {
        "eventType": event_type,
        "mail": {
            "timestamp": "2026-11-23T10:15:54.000Z",
            "source": "network@norec.no",
            "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/norec.no",
            "sendingAccountId": "123456789012",
            "messageId": "0102018c-6a6f-4f0b-9a50-5b0e7a0f3a1b-000000",
            "destination": [row.email],
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": "Norec Network <network@norec.no>"},
                {"name": "To", "value": row.email},
                {"name": "Subject", "value": "Norec Network"},
                {"name": "X-Metadata", "value": json.dumps(metadata(row))},
                {"name": "X-Tag", "value": metadata(row)["stream"]},
            ],
            "commonHeaders": {
                "from": ["Norec Network <network@norec.no>"],
                "to": [row.email],
                "subject": "Norec Network",
            },
            "tags": {"ses:configuration-set": ["norec-events"]},
        },
        event_type.lower(): detail,
    }
    message_id = str(uuid.uuid4())
    body = {
        "Type": notification,
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:norec-ses-events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-23T10:16:54.891Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": notification,
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message_id,
        "HTTP_X_AMZ_SNS_TOPIC_ARN": body["TopicArn"],
    }
    return "amazon_ses", body, headers


def ses_bounce(row, bounce_type="Permanent", sub_type="General"):
    return amazon_ses(
        row,
        "Bounce",
        {
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": row.email,
                    "action": "failed",
                    "status": "5.1.1" if bounce_type == "Permanent" else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                    if bounce_type == "Permanent"
                    else "smtp; 452 4.2.2 The email account that you tried to reach is over quota",
                }
            ],
            "timestamp": "2026-11-23T10:16:54.000Z",
            "feedbackId": "0102018c6a6f5e0b-7c5d5f3a-1c3d-4e5f-8a9b-0c1d2e3f4a5b-000000",
            "reportingMTA": "dsn; a48-30.smtp-out.amazonses.com",
        },
    )


def ses_complaint(row):
    return amazon_ses(
        row,
        "Complaint",
        {
            "complainedRecipients": [{"emailAddress": row.email}],
            "timestamp": "2026-11-23T10:16:54.000Z",
            "feedbackId": "0102018c6a6f5e0b-complaint-000000",
            "userAgent": "Yahoo!-Mail-Feedback/2.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": "2026-11-23T10:15:58.000Z",
        },
    )


def ses_subscription(row, unsubscribe_all=True, status="OptOut"):
    return amazon_ses(
        row,
        "Subscription",
        {
            "contactList": "norec-newsletter",
            "timestamp": "2026-11-23T10:16:54.000Z",
            "source": "UnsubscribeHeader",
            "newTopicPreferences": {
                "unsubscribeAll": unsubscribe_all,
                "topicSubscriptionStatus": [
                    {"topicName": "newsletter", "subscriptionStatus": status}
                ],
            },
            "oldTopicPreferences": {
                "unsubscribeAll": False,
                "topicSubscriptionStatus": [
                    {"topicName": "newsletter", "subscriptionStatus": "OptIn"}
                ],
            },
        },
    )


def brevo(row, event="hard_bounce", **fields):
    body = {
        "event": event,
        "email": row.email,
        "id": 1143452,
        "date": "2026-11-23 11:16:54",
        "ts": WHEN,
        "message-id": "<202611231016.12345678901@smtp-relay.mailin.fr>",
        "ts_event": WHEN,
        "subject": "Norec Network",
        "tag": metadata(row)["stream"],
        "sending_ip": "185.41.28.109",
        "ts_epoch": WHEN * 1000 + 123,
        "tags": [metadata(row)["stream"]],
        "reason": "550 5.1.1 User unknown",
        "X-Mailin-custom": json.dumps(metadata(row)),
        **fields,
    }
    return "brevo", body, {}


def mailjet(row, event="bounce", **fields):
    body = {
        "event": event,
        "time": WHEN,
        "MessageID": 288230392375459170,
        "Message_GUID": "1ab23cd4-e567-8901-2345-6789f0gh1i2j",
        "email": row.email,
        "mj_campaign_id": 7173,
        "mj_contact_id": 320,
        "customcampaign": metadata(row)["stream"],
        "CustomID": "",
        "Payload": json.dumps(metadata(row)),
        **fields,
    }
    return "mailjet", body, {}


def mailjet_bounce(row, hard: bool):
    return mailjet(
        row,
        blocked=hard,
        hard_bounce=hard,
        error_related_to="recipient",
        error="user unknown" if hard else "quota exceeded",
        comment="Host or domain name not found" if hard else "mailbox full",
    )


# --- 7. unsubscribes ------------------------------------------------------------------------------

UNSUBSCRIBES = {
    "postmark-subscription-change": postmark_subscription_change,
    "postmark-bounce-type-unsubscribe": lambda row: postmark(
        row, Type="Unsubscribe", TypeCode=16, Name="Unsubscribe request", Inactive=True
    ),
    "mailgun": lambda row: mailgun(row, event="unsubscribed", **{"log-level": "info"}),
    "sendgrid-group-unsubscribe": lambda row: sendgrid(
        row, event="group_unsubscribe", asm_group_id=10, useragent="Mozilla/5.0", ip="10.0.0.1"
    ),
    "sendgrid-dropped-unsubscribed": lambda row: sendgrid(
        row, event="dropped", reason="Unsubscribed Address", status="5.0.0"
    ),
    "amazon_ses-subscription": ses_subscription,
    "brevo": lambda row: brevo(row, event="unsubscribe", reason=None),
    "mailjet": lambda row: mailjet(row, event="unsub", mj_list_id=0, ip="10.0.0.1", geo="CI"),
}


@pytest.mark.parametrize("kind", UNSUBSCRIBES)
def test_an_unsubscribe_reported_by_the_esp_takes_the_member_off_the_newsletter(
    client, delivery, kind
):
    esp, body, headers = UNSUBSCRIBES[kind](delivery)

    assert post(client, esp, body, headers).status_code == 200

    member = Participant.objects.get(pk=delivery.participant_id)
    assert member.newsletter_subscribed is False
    assert member.newsletter_unsubscribe_source == f"esp:{esp}"
    assert member.newsletter_unsubscribed_at is not None
    # A wish, not a fault: the address stays good and the message is not a bounce.
    assert member.email_status == Participant.EmailStatus.OK
    row = Delivery.objects.get(pk=delivery.pk)
    assert row.bounced_at is None and row.status != "bounced"
    # The retry of the same event changes nothing more.
    assert post(client, esp, body, headers).status_code == 200
    assert Participant.objects.get(pk=member.pk).newsletter_unsubscribed_at == (
        member.newsletter_unsubscribed_at
    )


def test_an_unsubscribe_from_an_invitation_also_keeps_the_newsletter_away(client, invitation):
    esp, body, headers = UNSUBSCRIBES["mailjet"](invitation)

    assert post(client, esp, body, headers).status_code == 200

    person = Participant.objects.get(pk=invitation.participant_id)
    assert (person.newsletter_subscribed, person.newsletter_unsubscribe_source) == (
        False,
        "esp:mailjet",
    )
    assert person.email_status == Participant.EmailStatus.UNKNOWN
    assert Invitation.objects.get(pk=invitation.pk).status == "sent"


def test_an_ses_subscription_event_that_opts_in_changes_nothing(client, delivery):
    esp, body, headers = ses_subscription(delivery, unsubscribe_all=False, status="OptIn")

    assert post(client, esp, body, headers).status_code == 200

    member = Participant.objects.get(pk=delivery.participant_id)
    assert member.newsletter_subscribed is True
    assert member.newsletter_unsubscribe_source == ""


def test_an_unsubscribe_about_an_address_corrected_since_changes_nothing(client, invitation):
    member_services.participant_set_email(
        participant=invitation.participant, email=NEW, source=Participant.EmailSource.ADVISER
    )
    esp, body, headers = UNSUBSCRIBES["postmark-subscription-change"](invitation)

    assert post(client, esp, body, headers).status_code == 200

    person = Participant.objects.get(pk=invitation.participant_id)
    assert person.newsletter_subscribed is True
    assert person.newsletter_unsubscribe_source == ""


# --- 8. a late or retried bounce or complaint after the address was corrected ---------------------

BAD_NEWS = {
    "postmark-bounce": (postmark, Participant.EmailStatus.BOUNCED),
    "postmark-complaint": (
        lambda row: postmark(
            row,
            record_type="SpamComplaint",
            Type="SpamComplaint",
            TypeCode=512,
            Name="Spam complaint",
        ),
        Participant.EmailStatus.COMPLAINED,
    ),
    "amazon_ses-bounce": (ses_bounce, Participant.EmailStatus.BOUNCED),
    "amazon_ses-complaint": (ses_complaint, Participant.EmailStatus.COMPLAINED),
    "mailjet-bounce": (lambda row: mailjet_bounce(row, hard=True), Participant.EmailStatus.BOUNCED),
    "brevo-complaint": (
        lambda row: brevo(row, event="spam", reason=None),
        Participant.EmailStatus.COMPLAINED,
    ),
}


@pytest.mark.parametrize("kind", BAD_NEWS)
def test_a_retried_bounce_or_complaint_never_marks_the_corrected_address(client, invitation, kind):
    payload, status = BAD_NEWS[kind]
    esp, body, headers = payload(invitation)
    assert post(client, esp, body, headers).status_code == 200
    person = Participant.objects.get(pk=invitation.participant_id)
    assert person.email_status == status

    # The adviser corrects the address, as on the "Addresses that bounced" page ...
    member_services.participant_set_email(
        participant=person, email=NEW, source=Participant.EmailSource.ADVISER
    )
    # ... and the ESP retries the very same webhook.
    assert post(client, esp, body, headers).status_code == 200

    person.refresh_from_db()
    assert (person.email, person.email_status) == (NEW, Participant.EmailStatus.UNKNOWN)


def test_a_late_bounce_marks_the_old_invitation_but_not_the_corrected_address(client, invitation):
    member_services.participant_set_email(
        participant=invitation.participant, email=NEW, source=Participant.EmailSource.ADVISER
    )
    late_delivery = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": invitation.esp_message_id,
        "Recipient": OLD,
        "Tag": "invitation",
        "DeliveredAt": "2026-11-23T10:15:54.9070259Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": metadata(invitation),
    }

    assert post(client, "postmark", late_delivery).status_code == 200
    assert post(client, *postmark(invitation)[:2]).status_code == 200

    old = Invitation.objects.get(pk=invitation.pk)
    assert old.status == "bounced" and old.bounced_at is not None
    person = Participant.objects.get(pk=invitation.participant_id)
    assert (person.email, person.email_status) == (NEW, Participant.EmailStatus.UNKNOWN)


def test_a_bounce_of_the_current_address_still_marks_it(client, invitation):
    esp, body, headers = ses_bounce(invitation)

    assert post(client, esp, body, headers).status_code == 200

    person = Participant.objects.get(pk=invitation.participant_id)
    assert person.email_status == Participant.EmailStatus.BOUNCED


# --- 9. soft bounces ------------------------------------------------------------------------------

SOFT = {
    "mailjet": lambda row: mailjet_bounce(row, hard=False),
    "postmark": lambda row: postmark(
        row,
        Type="SoftBounce",
        TypeCode=4096,
        Name="Soft bounce",
        Description="Unable to temporarily deliver this email.",
        Details="smtp;452 4.2.2 Mailbox full",
        Inactive=False,
    ),
    "amazon_ses": lambda row: ses_bounce(row, bounce_type="Transient", sub_type="MailboxFull"),
    "sendgrid": lambda row: sendgrid(
        row,
        type="blocked",
        reason="421 4.7.0 Try again later, closing connection.",
        status="4.7.0",
        bounce_classification="Reputation",
    ),
    "brevo": lambda row: brevo(row, event="soft_bounce", reason="452 4.2.2 Mailbox full"),
    "mailgun": lambda row: mailgun(
        row,
        severity="temporary",
        reason="generic",
        **{"log-level": "warn"},
        **{
            "delivery-status": {
                "attempt-no": 3,
                "code": 452,
                "message": "4.2.2 The email account that you tried to reach is over quota.",
                "description": "",
                "session-seconds": 0.8,
            }
        },
    ),
}

HARD = {
    "mailjet": lambda row: mailjet_bounce(row, hard=True),
    "postmark": postmark,
    "amazon_ses": ses_bounce,
    "sendgrid": lambda row: sendgrid(
        row, type="bounce", reason="550 5.1.1 User unknown", status="5.1.1"
    ),
    "brevo": brevo,
    "mailgun": mailgun,
}


@pytest.mark.parametrize("esp", SOFT)
def test_a_soft_bounce_never_marks_the_address_bad_and_the_reminder_still_goes(
    client, invitation, esp
):
    name, body, headers = SOFT[esp](invitation)

    assert post(client, name, body, headers).status_code == 200

    row = Invitation.objects.get(pk=invitation.pk)
    # Chosen: the row stays `sent` (the ESP has retried already; the reminder is the next try),
    # with the reason noted, and it is not counted as a bounce.
    assert row.status == "sent" and row.bounced_at is None
    if esp != "mailgun":  # anymail already calls Mailgun's temporary failures `deferred`
        assert row.last_error.startswith("soft bounce")
    rates = outbound.campaign_rates(
        stream=outbound.get_stream("invitation"), campaign_id=row.wave_id
    )
    assert rates["bounced"] == 0
    person = Participant.objects.get(pk=invitation.participant_id)
    assert person.email_status == Participant.EmailStatus.UNKNOWN
    later = timezone.now() + timedelta(days=10, minutes=1)
    assert invitation_services.invitation_remind_due(now=later) == 1


@pytest.mark.parametrize("esp", HARD)
def test_a_hard_bounce_of_the_same_esp_marks_the_invitation_and_the_address(
    client, invitation, esp
):
    name, body, headers = HARD[esp](invitation)

    assert post(client, name, body, headers).status_code == 200

    assert Invitation.objects.get(pk=invitation.pk).status == "bounced"
    person = Participant.objects.get(pk=invitation.participant_id)
    assert person.email_status == Participant.EmailStatus.BOUNCED


# --- 10. one-off mails: every one is tracked, back to its row and its participant -------------


@pytest.fixture
def reminder(django_capture_on_commit_callbacks):
    """An activity's reminder handed over to the ESP: a one-off mail with a row of its own."""
    start = timezone.now() + timedelta(hours=3)
    activity = ActivityFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    member = MemberFactory(first_name="N'Dri", email=OLD)
    activity_services.activity_register(activity=activity, participant=member)
    with django_capture_on_commit_callbacks(execute=True):
        activity_services.registrations_send_reminders()
    row = OutgoingMail.objects.get(template="emails/activities/reminder")
    assert (row.status, row.participant_id) == ("sent", member.pk) and row.esp_message_id
    return row


@pytest.fixture
def contact_mail(django_capture_on_commit_callbacks):
    """A contact message relayed to a member, handed over to the ESP."""
    reader = MemberFactory(email=OLD)
    with django_capture_on_commit_callbacks(execute=True):
        member_services.contact_message_send(
            sender=MemberFactory(), recipient=reader, subject="Hello", body="Can we talk?"
        )
    row = OutgoingMail.objects.get(template="emails/members/contact_message")
    assert row.status == "sent" and row.esp_message_id
    return row


@pytest.mark.parametrize("esp", HARD)
def test_a_bounced_activity_reminder_marks_the_members_address(client, reminder, esp):
    name, body, headers = HARD[esp](reminder)

    assert post(client, name, body, headers).status_code == 200

    row = OutgoingMail.objects.get(pk=reminder.pk)
    assert row.status == "bounced" and row.bounced_at is not None
    person = Participant.objects.get(pk=reminder.participant_id)
    assert person.email_status == Participant.EmailStatus.BOUNCED


@pytest.mark.parametrize("kind", BAD_NEWS)
def test_bad_news_about_a_relayed_contact_mail_marks_the_recipients_address(
    client, contact_mail, kind
):
    payload, status = BAD_NEWS[kind]
    esp, body, headers = payload(contact_mail)

    assert post(client, esp, body, headers).status_code == 200

    assert Participant.objects.get(pk=contact_mail.participant_id).email_status == status


def test_a_delivered_one_off_mail_is_stamped(client, reminder):
    delivery = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": reminder.esp_message_id,
        "Recipient": reminder.email,
        "Tag": "mail",
        "DeliveredAt": "2026-11-23T10:15:54.9070259Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": metadata(reminder),
    }

    assert post(client, "postmark", delivery).status_code == 200

    assert OutgoingMail.objects.get(pk=reminder.pk).delivered_at is not None


def test_a_soft_bounce_of_a_one_off_mail_leaves_the_address_good(client, reminder):
    name, body, headers = SOFT["postmark"](reminder)

    assert post(client, name, body, headers).status_code == 200

    assert OutgoingMail.objects.get(pk=reminder.pk).status == "sent"
    person = Participant.objects.get(pk=reminder.participant_id)
    assert person.email_status == Participant.EmailStatus.OK


def test_a_bounce_of_a_new_address_being_confirmed_leaves_the_current_one_alone(
    client, django_capture_on_commit_callbacks, rf
):
    """The confirmation of an address change goes to the new address, which is not yet the
    member's: its bounce says nothing about the address they log in with."""
    from allauth.account.adapter import get_adapter

    member = MemberFactory(email=OLD)
    with django_capture_on_commit_callbacks(execute=True):
        get_adapter(rf.get("/")).send_mail(
            "account/email/email_confirmation",
            NEW,
            {"user": member.user, "activate_url": "https://network.example/confirm/k/"},
        )
    row = OutgoingMail.objects.get(email=NEW)
    assert row.participant_id == member.pk and row.status == "sent"
    esp, body, headers = ses_bounce(row)

    assert post(client, esp, body, headers).status_code == 200

    assert OutgoingMail.objects.get(pk=row.pk).status == "bounced"
    assert Participant.objects.get(pk=member.pk).email_status == Participant.EmailStatus.OK
