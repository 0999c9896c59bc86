"""Every mail is written in its recipient's language, whoever triggers it (issue 12, item 2).

Each mail is made by the code that really sends it (a request through the test client, a
service, the bulk sender, allauth's adapter), while someone else's language is active. Its
templates are replaced by probes that print the language (and the time zone) active while they
render, so these tests need no translated catalogue: they check that the recipient's language is
the one the worker renders in, and that the triggering user's never leaks into it. The
translated sentences themselves are checked in tests/test_mail_translations.py."""

import contextlib
import datetime
import re
from datetime import timedelta

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import formats
from django.utils import timezone
from django.utils import translation

from activities import services as activity_services
from activities.models import Registration
from core.models import OutgoingMail
from invitations import services as invitation_services
from members import services as member_services
from members.models import ContactMessage
from members.models import Participant
from tests.activities.factories import ActivityFactory
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PROBED = (
    "account/email/password_reset_key",
    "account/email/unknown_account",
    "account/email/login_code",
    "account/email/email_confirmation",
    "account/email/email_changed",
    "emails/members/contact_message",
    "emails/members/contact_reply",
    "emails/invitations/request_received",
    "invitations/email/invitation",
    "invitations/email/reminder",
    *(
        f"emails/activities/{name}"
        for name in (
            "confirmed",
            "waitlisted",
            "promoted",
            "registration_cancelled",
            "reminder",
            "cancelled",
            "staff_message",
        )
    ),
)
PROBE = (
    "{% load i18n tz %}{% get_current_language as code %}{% get_current_timezone as zone %}"
    "[language={{ code }} zone={{ zone }} "
    '{% now "F" %}]'
)


@pytest.fixture(autouse=True)
def probes(settings):
    """Every probed mail's subject, text and HTML part print the language, the time zone and the
    month's name as rendered (the month comes from Django's own catalogues)."""
    engine = dict(settings.TEMPLATES[0])
    engine.pop("APP_DIRS")
    templates = {
        f"{prefix}{suffix}": PROBE
        for prefix in PROBED
        for suffix in ("_subject.txt", "_message.txt", "_message.html")
    }
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", templates),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks):
    @contextlib.contextmanager
    def capture():
        with django_capture_on_commit_callbacks(execute=True):
            yield mailoutbox

    return capture


def rendered(message) -> dict:
    """What the probe printed, the same in the subject, the text part and the HTML part."""
    html = next(c for c, kind in message.alternatives if kind == "text/html")
    found = {
        re.search(r"\[language=(\S+) zone=(\S+) ([^\]]+)\]", part).groups()
        for part in (message.subject, message.body, html)
    }
    assert len(found) == 1, found
    language, zone, month = found.pop()
    return {"language": language, "zone": zone, "month": month}


def language_of(message) -> str:
    return rendered(message)["language"]


def to(outbox, address: str):
    (message,) = [message for message in outbox if address in message.to]
    return message


def browser(language: str) -> Client:
    return Client(headers={"accept-language": language})


# --- allauth's mails ------------------------------------------------------------------------------


def test_a_password_reset_asked_from_a_spanish_browser_reaches_a_portuguese_member_in_portuguese(
    sent,
):
    member = MemberFactory(email="lindiwe@example.org", preferred_language="pt")
    with sent() as outbox:
        browser("es").post(reverse("account_reset_password"), {"email": member.email})
    assert language_of(to(outbox, member.email)) == "pt"
    assert OutgoingMail.objects.get().language == "pt"


def test_a_reset_for_an_unknown_address_is_in_the_language_of_the_page(sent):
    with sent() as outbox:
        browser("es").post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert language_of(to(outbox, "nobody@example.org")) == "es"


def test_a_login_code_is_in_the_members_language_not_the_pages(sent):
    member = MemberFactory(email="amina@example.org", preferred_language="fr")
    with sent() as outbox:
        browser("pt").post(reverse("account_request_login_code"), {"email": member.email})
    assert language_of(to(outbox, member.email)) == "fr"


def test_confirming_a_new_address_is_in_the_members_language(sent):
    member = MemberFactory(email="amina@example.org", preferred_language="es")
    client = browser("fr")
    client.force_login(member.user)
    with sent() as outbox:
        client.post(reverse("account_email"), {"action_add": "", "email": "amina.new@example.org"})
    assert language_of(to(outbox, "amina.new@example.org")) == "es"


def test_the_address_changed_notice_is_in_the_members_language_and_time_zone(sent, rf):
    member = MemberFactory(email="amina@example.org", preferred_language="pt")
    Participant.objects.filter(pk=member.pk).update(time_zone="Africa/Maputo")
    request = rf.get("/")
    with sent() as outbox, translation.override("en"), allauth_context.request_context(request):
        get_adapter(request).send_notification_mail(
            "account/email/email_changed",
            member.user,
            {"from_email": "old@example.org", "to_email": "amina@example.org"},
            email="old@example.org",
        )
    probe = rendered(to(outbox, "old@example.org"))
    assert probe["language"] == "pt" and probe["zone"] == "Africa/Maputo"


# --- the contact relay: a French member writes to a Portuguese one --------------------------------


def test_the_relay_is_in_the_recipients_language_and_the_reply_in_the_senders(sent):
    writer = MemberFactory(email="amina@example.org", preferred_language="fr")
    reader = MemberFactory(email="lindiwe@example.org", preferred_language="pt")
    member_services.participant_update_profile(
        participant=reader, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    client = browser("fr")
    client.force_login(writer.user)
    with sent() as outbox:
        client.post(
            reverse("members:directory_contact", args=[reader.pk]),
            {"subject": "Projet", "body": "Bonjour"},
        )
    assert language_of(to(outbox, "lindiwe@example.org")) == "pt"

    outbox.clear()
    message = ContactMessage.objects.get(sender=writer, recipient=reader)
    client.force_login(reader.user)
    with sent() as outbox:
        client.post(reverse("members:message", args=[message.pk]), {"body": "Olá"})
    assert language_of(to(outbox, "amina@example.org")) == "fr"


# --- asking for an invitation: nobody known, the page's language ----------------------------------


def test_the_request_receipt_is_in_the_language_of_the_page_it_was_sent_from(sent):
    with sent() as outbox:
        browser("es").post(
            reverse("invitations:request"),
            {
                "first_name": "Rosa",
                "last_name": "Quispe",
                "email": "rosa@example.org",
                "home_country": "BO",
                "exchange_year": "2015",
            },
        )
    assert language_of(to(outbox, "rosa@example.org")) == "es"


# --- activities: whoever acts, each member reads their own language -------------------------------


@pytest.fixture
def activity():
    return ActivityFactory(capacity=1)


def test_confirmation_and_waitlist_in_each_members_language(sent, activity):
    first = MemberFactory(email="amina@example.org", preferred_language="fr")
    second = MemberFactory(email="lindiwe@example.org", preferred_language="pt")
    with sent() as outbox, translation.override("en"):
        activity_services.activity_register(activity=activity, participant=first)
        activity_services.activity_register(activity=activity, participant=second)
    assert language_of(to(outbox, "amina@example.org")) == "fr"
    assert language_of(to(outbox, "lindiwe@example.org")) == "pt"


def test_a_promotion_triggered_by_a_spanish_member_reaches_a_portuguese_one_in_portuguese(
    sent, activity
):
    leaving = MemberFactory(email="rosa@example.org", preferred_language="es")
    waiting = MemberFactory(email="lindiwe@example.org", preferred_language="pt")
    seat = activity_services.activity_register(activity=activity, participant=leaving)
    activity_services.activity_register(activity=activity, participant=waiting)
    client = browser("es")
    client.force_login(leaving.user)
    with sent() as outbox:
        client.post(reverse("activities:registration-cancel", args=[seat.pk]))
    assert Registration.objects.get(participant=waiting).status == Registration.Status.CONFIRMED
    assert language_of(to(outbox, "lindiwe@example.org")) == "pt"  # promoted
    assert language_of(to(outbox, "rosa@example.org")) == "es"  # their own cancellation


def test_the_reminder_the_day_before_is_in_each_members_language(sent):
    start = timezone.now() + datetime.timedelta(hours=3)
    soon = ActivityFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    for address, language in (("amina@example.org", "fr"), ("rosa@example.org", "es")):
        member = MemberFactory(email=address, preferred_language=language)
        activity_services.activity_register(activity=soon, participant=member)
    with sent() as outbox, translation.override("pt"):
        activity_services.registrations_send_reminders()
    assert language_of(to(outbox, "amina@example.org")) == "fr"
    assert language_of(to(outbox, "rosa@example.org")) == "es"


def test_staff_in_english_cancel_and_write_each_member_reads_their_own_language(sent):
    activity = ActivityFactory(capacity=5)
    readers = {"amina@example.org": "fr", "rosa@example.org": "es", "lindiwe@example.org": "pt"}
    for address, language in readers.items():
        member = MemberFactory(email=address, preferred_language=language)
        activity_services.activity_register(activity=activity, participant=member)
    with sent() as outbox, translation.override("en"):
        activity_services.activity_message_registered(
            activity=activity, subject="Room", body="Bring notes.", actor=StaffUserFactory()
        )
    for address, language in readers.items():
        (message,) = [m for m in outbox if address in m.to]
        # The staff message's own subject and body are staff's words; the probe is the part the
        # portal writes around them.
        assert rendered(message)["language"] == language

    mail.outbox.clear()
    with sent() as outbox, translation.override("en"):
        activity_services.activity_cancel(activity=activity, note="Sorry.")
    assert {address: language_of(to(outbox, address)) for address in readers} == readers


# --- invitations: the bulk sender, in the invitee's language --------------------------------------


def test_the_invitation_and_its_reminder_are_in_the_invitees_language(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    ParticipantFactory(email="amina@example.org", home_country="CI", preferred_language="fr")
    ParticipantFactory(email="lindiwe@example.org", home_country="CI", preferred_language="pt")
    wave = make_wave(home_countries=["CI"], reminder_days=10)
    with translation.override("en"):
        launch(wave)
        send_all(campaign_id=wave.pk)
        invitation_services.invitation_remind_due(
            now=timezone.now() + timedelta(days=10, minutes=1)
        )
        send_all(stream="invitation_reminder", campaign_id=wave.pk)
    languages = sorted((message.to[0], language_of(message)) for message in mail.outbox)
    assert languages == [
        ("amina@example.org", "fr"),
        ("amina@example.org", "fr"),
        ("lindiwe@example.org", "pt"),
        ("lindiwe@example.org", "pt"),
    ]


# --- the month's name comes in the recipient's language too ---------------------------------------


def test_dates_in_a_mail_are_in_the_recipients_language(sent, activity):
    member = MemberFactory(email="amina@example.org", preferred_language="fr")
    with sent() as outbox, translation.override("en"):
        activity_services.activity_register(activity=activity, participant=member)
    month = rendered(to(outbox, "amina@example.org"))["month"]
    with translation.override("fr"):
        assert month == formats.date_format(timezone.localtime(), "F")
    with translation.override("en"):
        assert month != formats.date_format(timezone.localtime(), "F")
