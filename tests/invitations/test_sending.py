"""The invitation mail, its one reminder, and expiry."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from invitations import services
from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.tokens import invitation_for_token
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.SITE_URL = "https://network.example"


@pytest.fixture
def amina():
    person = ParticipantFactory(first_name="Amina", last_name="Otieno", home_country="KE")
    ExchangeFactory(participant=person, year=2009, partner_organisation="Old Partner")
    ExchangeFactory(participant=person, year=2014, partner_organisation="Kenya Red Cross")
    return person


def sent_wave(**fields):
    wave = make_wave(reply_to="adviser@norec.no", **fields)
    launch(wave)
    send_all(campaign_id=wave.pk)
    return wave


def html_of(message):
    return next(content for content, kind in message.alternatives if kind == "text/html")


def test_the_invitation_is_personal_with_one_button_a_reply_to_and_a_decline_link(amina):
    sent_wave()

    (message,) = mail.outbox
    invitation = Invitation.objects.get()
    text, html = message.body, html_of(message)
    assert message.to == [amina.email]
    assert message.reply_to == ["adviser@norec.no"]
    assert message.subject == "Amina, you are invited to the Norec Network"
    for body in (text, html):
        assert "Dear Amina," in body
        assert "2014" in body and "Kenya Red Cross" in body  # the latest exchange
        assert "Why do you get this email?" in body
        assert "adviser@norec.no" in body
    accept = re.search(r"https://network\.example/invitations/accept/([^/\s\"]+)/", text)
    decline = re.search(r"https://network\.example/invitations/decline/([^/\s\"]+)/", text)
    assert accept and decline
    assert invitation_for_token(accept.group(1)) == invitation
    assert invitation_for_token(decline.group(1)) == invitation
    assert html.count("Join the network</a>") == 1
    assert "Do not invite me again" in html
    assert message.metadata == {"stream": "invitation", "id": invitation.pk}


def test_a_participant_without_exchanges_gets_a_plain_line():
    ParticipantFactory(first_name="Sita", home_country="KE")

    sent_wave()

    assert "You took part in a Norec exchange." in mail.outbox[0].body


def test_the_organisation_name_is_escaped_in_html(amina):
    ExchangeFactory(participant=amina, year=2020, partner_organisation="<b>Bold & Co</b>")

    sent_wave()

    html = html_of(mail.outbox[0])
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in html
    assert "<b>Bold" not in html
    assert "<b>Bold & Co</b>" in mail.outbox[0].body  # plain text is not HTML


def test_the_link_expires_the_configured_days_after_sending(amina):
    before = timezone.now()
    sent_wave(expiry_days=21)

    invitation = Invitation.objects.get()
    assert before + timedelta(days=21) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=21)


def test_one_reminder_after_the_configured_days_then_expiry(amina):
    wave = sent_wave(expiry_days=30, reminder_days=10)
    invitation = Invitation.objects.get()
    mail.outbox.clear()

    assert services.invitation_remind_due(now=timezone.now() + timedelta(days=9)) == 0
    later = timezone.now() + timedelta(days=10, minutes=1)
    assert services.invitation_remind_due(now=later) == 1
    assert services.invitation_remind_due(now=later) == 0  # only one, however often beat runs
    send_all(stream="invitation_reminder", campaign_id=wave.pk)

    (reminder,) = mail.outbox
    assert reminder.subject == "Amina, your invitation to the Norec Network is waiting"
    assert reminder.metadata["stream"] == "invitation_reminder"
    token = re.search(r"/invitations/accept/([^/\s]+)/", reminder.body).group(1)
    assert invitation_for_token(token) == invitation
    assert InvitationReminder.objects.get().status == "sent"
    assert Invitation.objects.get().reminded_at is not None

    assert services.invitation_expire_due(now=timezone.now() + timedelta(days=29)) == 0
    assert services.invitation_expire_due(now=timezone.now() + timedelta(days=31)) == 1
    assert Invitation.objects.get().status == "expired"


def test_no_reminder_for_those_who_accepted_declined_or_bounced(amina):
    others = [ParticipantFactory(home_country="KE") for _ in range(3)]
    sent_wave(reminder_days=5)
    Invitation.objects.filter(participant=amina).update(status="accepted")
    Invitation.objects.filter(participant=others[0]).update(status="bounced")
    from members import services as member_services

    member_services.participant_decline_invitations(participant=others[1])

    queued = services.invitation_remind_due(now=timezone.now() + timedelta(days=6))

    assert queued == 1
    assert InvitationReminder.objects.get().invitation.participant == others[2]


def test_a_wave_without_reminders_sends_none(amina):
    sent_wave(reminder_days=0)

    assert services.invitation_remind_due(now=timezone.now() + timedelta(days=20)) == 0


def test_a_reminder_that_bounces_bounces_the_invitation(amina):
    from anymail.signals import AnymailTrackingEvent

    from core import outbound

    wave = sent_wave(reminder_days=3)
    services.invitation_remind_due(now=timezone.now() + timedelta(days=4))
    send_all(stream="invitation_reminder", campaign_id=wave.pk)
    reminder = InvitationReminder.objects.get()

    outbound.apply_event(
        AnymailTrackingEvent(
            event_type="bounced",
            message_id=reminder.esp_message_id,
            metadata={"stream": "invitation_reminder", "id": reminder.pk},
            timestamp=timezone.now(),
        )
    )

    assert Invitation.objects.get().status == "bounced"
    amina.refresh_from_db()
    assert amina.email_status == "bounced"


def test_the_tasks_run_the_services(amina):
    from invitations import tasks

    sent_wave()

    assert tasks.invitation_remind_due.delay().get() == 0
    assert tasks.invitation_expire_due.delay().get() == 0


def test_people_who_changed_during_a_long_wave_are_skipped_not_mailed():
    from members import services as member_services
    from tests.members.factories import UserFactory

    people = [ParticipantFactory(home_country="KE") for _ in range(4)]
    wave = make_wave()
    launch(wave)
    member_services.participant_decline_invitations(participant=people[0])
    member_services.participant_mark_email_status(participant=people[1], status="bounced")
    member_services.participant_link_user(
        participant=people[2], user=UserFactory(email=people[2].email)
    )

    send_all(campaign_id=wave.pk)

    assert [m.to for m in mail.outbox] == [[people[3].email]]
    skipped = dict(
        Invitation.objects.filter(status="skipped").values_list("participant_id", "last_error")
    )
    assert skipped == {
        people[0].pk: "asked not to be invited",
        people[1].pk: "address bounced or complained meanwhile",
        people[2].pk: "registered meanwhile",
    }


def test_a_corrected_address_is_skipped_then_resent_to_the_new_address():
    from members import services as member_services
    from members.models import Participant

    person = ParticipantFactory(home_country="KE")
    wave = make_wave()
    launch(wave)
    member_services.participant_set_email(
        participant=person, email="moved@example.org", source=Participant.EmailSource.ADVISER
    )
    send_all(campaign_id=wave.pk)
    assert mail.outbox == [] and Invitation.objects.get().status == "skipped"

    assert services.wave_resend(wave=wave, actor=None) == 1
    prepare_all(services.INVITATION_STREAM, wave.pk)
    send_all(campaign_id=wave.pk)

    assert [m.to for m in mail.outbox] == [["moved@example.org"]]
    assert Invitation.objects.get().email == "moved@example.org"


def test_no_reminder_goes_out_for_an_invitation_accepted_after_it_was_queued(amina):
    wave = sent_wave(reminder_days=3)
    services.invitation_remind_due(now=timezone.now() + timedelta(days=4))
    Invitation.objects.update(status="accepted")
    mail.outbox.clear()

    send_all(stream="invitation_reminder", campaign_id=wave.pk)

    assert mail.outbox == []
    assert InvitationReminder.objects.get().status == "skipped"


def test_the_invitation_goes_out_in_the_language_guessed_at_import():
    from django.template import Context
    from django.template import Template
    from django.utils import translation

    from members.roster_import import roster_import

    roster_import(
        data=(
            b"participant_id,first_name,last_name,email,home_country\n"
            b"MG-1,Aina,Rakoto,aina@example.org,MG\n"
        )
    )

    sent_wave(home_countries=["MG"])

    (message,) = mail.outbox
    invitation = Invitation.objects.get()
    assert invitation.participant.preferred_language == "fr"
    # The expiry date is written by Django's own French locale (month names in French).
    with translation.override("fr"):
        french = Template('{{ d|date:"j F Y" }}').render(Context({"d": invitation.expires_at}))
    with translation.override("en"):
        english = Template('{{ d|date:"j F Y" }}').render(Context({"d": invitation.expires_at}))
    assert french in message.body and english not in message.body
