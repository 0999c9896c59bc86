"""Every mail the portal sends, with a name holding `'`, `&` and `<`: the subject and the plain-text
part read exactly as typed (they are not HTML), the HTML part stays escaped.

Each mail is made by the code that really sends it (the services, the bulk sender, allauth's
adapter), so a template rendered anywhere with HTML autoescaping shows up here."""

import datetime
from datetime import timedelta

import pytest
from allauth.account.adapter import get_adapter
from django.core import mail
from django.utils import timezone

from activities import services as activity_services
from invitations import services as invitation_services
from invitations.requests import invitation_request_create
from members import services as member_services
from newsletters import services as newsletter_services
from newsletters.rendering import IssueRenderer
from tests.activities.factories import ActivityFactory
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db

NAME = "N'Dri & <Aya>"
NAME_HTML = "N&#x27;Dri &amp; &lt;Aya&gt;"
TITLE = "Health & safety: 'first aid' <basics>"
TITLE_HTML = "Health &amp; safety: &#x27;first aid&#x27; &lt;basics&gt;"
ESCAPES = ("&#x27;", "&#39;", "&amp;", "&lt;", "&gt;", "&quot;")


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks):
    """Run a block's on-commit callbacks (mail is handed to the eager worker on commit) and
    return what went out: `with sent() as outbox: ...`."""
    import contextlib

    @contextlib.contextmanager
    def capture():
        with django_capture_on_commit_callbacks(execute=True):
            yield mailoutbox

    return capture


def html_of(message) -> str | None:
    return next(
        (c for c, kind in getattr(message, "alternatives", []) if kind == "text/html"), None
    )


def assert_plain(message, *, subject: str, line: str, html: str | None = None) -> None:
    """The subject is exactly `subject`; the text part has `line` as one of its lines, and no
    HTML entity anywhere; the HTML part, if any, holds `html` (escaped) and never the raw `<`."""
    assert message.subject == subject
    assert line in message.body.splitlines()
    for text in (message.subject, message.body):
        assert not [escape for escape in ESCAPES if escape in text], text
    if html is not None:
        part = html_of(message)
        assert html in part
        assert "<Aya>" not in part and "<basics>" not in part


def person(**fields):
    return ParticipantFactory(first_name=NAME, email="ndri@example.org", **fields)


def member(**fields):
    return MemberFactory(first_name=NAME, last_name="Kouassi", email="ndri@example.org", **fields)


# --- invitations ----------------------------------------------------------------------------------


def test_the_invitation_and_its_reminder(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    invitee = person(home_country="CI")
    ExchangeFactory(participant=invitee, year=2014, partner_organisation="Santé & Co <Abidjan>")
    wave = make_wave(home_countries=["CI"], reminder_days=10, reply_to="adviser@norec.no")
    launch(wave)
    send_all(campaign_id=wave.pk)
    invitation_services.invitation_remind_due(now=timezone.now() + timedelta(days=10, minutes=1))
    send_all(stream="invitation_reminder", campaign_id=wave.pk)

    invitation, reminder = mail.outbox
    assert_plain(
        invitation,
        subject=f"{NAME}, you are invited to the Norec Network",
        line=f"Dear {NAME},",
        html=NAME_HTML,
    )
    assert "with Santé & Co <Abidjan>." in invitation.body
    assert "Santé &amp; Co &lt;Abidjan&gt;" in html_of(invitation)
    assert_plain(
        reminder,
        subject=f"{NAME}, your invitation to the Norec Network is waiting",
        line=f"Dear {NAME},",
        html=NAME_HTML,
    )


def test_the_receipt_of_an_invitation_request(sent):
    with sent() as outbox:
        invitation_request_create(
            first_name=NAME,
            last_name="Kouassi",
            email="ndri@example.org",
            home_country="CI",
            exchange_year=2014,
            partner_organisation="Santé & Co",
            message="",
        )

    (message,) = outbox
    assert_plain(
        message,
        subject="[Norec Network] We received your request",
        line=f"Hello {NAME},",
        html=NAME_HTML,
    )


# --- activities -----------------------------------------------------------------------------------


@pytest.fixture
def activity():
    return ActivityFactory(title=TITLE, capacity=1)


def test_confirmation_and_waitlist(sent, activity):
    first, second = member(), MemberFactory(first_name=NAME, email="aya@example.org")
    with sent() as outbox:
        activity_services.activity_register(activity=activity, participant=first)
        activity_services.activity_register(activity=activity, participant=second)

    confirmed, waitlisted = outbox
    assert_plain(
        confirmed, subject=f"You are registered: {TITLE}", line=f"Hello {NAME},", html=TITLE_HTML
    )
    assert TITLE in confirmed.body.splitlines()  # the facts block
    assert_plain(
        waitlisted,
        subject=f"You are on the waitlist: {TITLE}",
        line=f"Hello {NAME},",
        html=TITLE_HTML,
    )


def test_cancelling_a_registration_and_the_promotion_it_brings(sent, activity):
    seated = activity_services.activity_register(activity=activity, participant=member())
    activity_services.activity_register(
        activity=activity, participant=MemberFactory(first_name=NAME, email="aya@example.org")
    )
    with sent() as outbox:
        activity_services.registration_cancel(registration=seated)

    cancelled, promoted = sorted(outbox, key=lambda m: m.to)
    assert promoted.to == ["ndri@example.org"]  # sorted: aya@ first
    assert_plain(
        promoted,
        subject=f"Your registration is cancelled: {TITLE}",
        line=f"Hello {NAME},",
        html=TITLE_HTML,
    )
    assert_plain(
        cancelled,
        subject=f"A seat opened for you: {TITLE}",
        line=f"Hello {NAME},",
        html=TITLE_HTML,
    )


def test_the_reminder_the_day_before(sent):
    start = timezone.now() + datetime.timedelta(hours=3)
    soon = ActivityFactory(title=TITLE, starts_at=start, ends_at=start + timedelta(hours=1))
    activity_services.activity_register(activity=soon, participant=member())
    with sent() as outbox:
        activity_services.registrations_send_reminders()

    (message,) = outbox
    assert_plain(
        message,
        subject=f"Reminder: {TITLE} starts soon",
        line=f"Hello {NAME},",
        html=TITLE_HTML,
    )


def test_the_activity_cancelled_and_a_message_from_staff(sent, activity):
    activity_services.activity_register(activity=activity, participant=member())
    with sent() as outbox:
        activity_services.activity_message_registered(
            activity=activity,
            subject="Room <2> & 'B'",
            body="Bring N'Dri's <notes> & pens.",
            actor=StaffUserFactory(),
        )
        activity_services.activity_cancel(activity=activity, note="The speaker's ill & <away>.")

    staff_message, cancelled = outbox
    assert_plain(
        staff_message, subject="Room <2> & 'B'", line="Bring N'Dri's <notes> & pens.", html=None
    )
    assert_plain(cancelled, subject=f"Cancelled: {TITLE}", line=f"Hello {NAME},", html=TITLE_HTML)
    assert "The speaker's ill & <away>." in cancelled.body


# --- the contact relay ----------------------------------------------------------------------------


def test_a_contact_message_and_its_reply(sent):
    writer = member()
    reader = MemberFactory(first_name="Kofi & <Ama>", last_name="O'Neil", email="kofi@example.org")
    with sent() as outbox:
        message = member_services.contact_message_send(
            sender=writer, recipient=reader, subject="Malaria & <you>", body="It's me."
        )
        member_services.contact_message_reply(message=message, body="Hello N'Dri & co.")

    relayed, reply = outbox
    assert_plain(
        relayed,
        subject=f"{NAME} Kouassi wrote to you: Malaria & <you>",
        line="Hello Kofi & <Ama>,",
        html="Kofi &amp; &lt;Ama&gt;",
    )
    assert "It's me." in relayed.body.splitlines()
    assert_plain(
        reply,
        subject="Kofi & <Ama> O'Neil answered: Malaria & <you>",
        line=f"Hello {NAME},",
        html=NAME_HTML,
    )
    assert "Hello N'Dri & co." in reply.body.splitlines()


# --- newsletters ----------------------------------------------------------------------------------


def test_a_newsletter_and_its_test_mail(sent):
    reader = member()
    newsletter = NewsletterFactory(subject="News & views: N'Dri's <corner>")

    message = IssueRenderer(newsletter).message(newsletter_services.recipient_for(reader))
    with sent() as outbox:
        newsletter_services.newsletter_send_test(
            newsletter=newsletter, user=StaffUserFactory(first_name=NAME, email="staff@norec.no")
        )

    assert_plain(
        message, subject="News & views: N'Dri's <corner>", line=f"Hello {NAME},", html=NAME_HTML
    )
    (test_mail,) = outbox
    assert test_mail.subject == "[Test] News & views: N'Dri's <corner>"


# --- allauth's mails (the project's own versions, through the adapter) ----------------------------


@pytest.fixture
def account_template(settings):
    """A mail of allauth's that the project overrides, written as ours are: no `autoescape`
    tags, the builder is trusted to render the subject and text part as plain text."""
    engine = dict(settings.TEMPLATES[0])
    engine.pop("APP_DIRS")
    probe = {
        "account/email/probe_subject.txt": "{{ name }} signed in",
        "account/email/probe_message.txt": "Hello {{ name }},\n\nYou signed in.\n",
        "account/email/probe_message.html": "<p>Hello {{ name }},</p>",
    }
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", probe),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]


def test_an_overridden_allauth_mail_goes_through_the_one_builder(sent, rf, account_template):
    with sent() as outbox:
        get_adapter(rf.get("/")).send_mail(
            "account/email/probe", "ndri@example.org", {"name": NAME}
        )

    (message,) = outbox
    assert_plain(
        message, subject=f"[Norec Network] {NAME} signed in", line=f"Hello {NAME},", html=NAME_HTML
    )


def test_allauths_mails_through_the_adapter(sent, rf):
    address = "o'neil&co@example.org"
    with sent() as outbox:
        get_adapter(rf.get("/")).send_mail(
            "account/email/unknown_account",
            address,
            {"signup_url": "https://network.example/accounts/signup/?next=/&lang=en"},
        )

    (message,) = outbox
    assert message.subject == "[Norec Network] Unknown Account"
    assert f"tried to log in with the address {address}. We have no account" in message.body
    assert "https://network.example/accounts/signup/?next=/&lang=en" in message.body.splitlines()
    assert not [escape for escape in ESCAPES if escape in message.body]
