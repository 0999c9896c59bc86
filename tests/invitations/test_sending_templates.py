"""An invitation (and its reminder) is rendered once per wave, language and kind of exchange line,
then filled in per recipient (`core.outbound.templates`): what goes out is exactly what the
templates render for that person, names with quotes, ampersands and angle brackets included."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.mail import render_email
from invitations import sending
from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.tokens import invitation_token
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

NAME = "N'Dri & <Co>"


def rendered_directly(prefix: str, invitation: Invitation):
    """The templates rendered for this one person, with the context the sender used to build."""
    participant = invitation.participant
    token = invitation_token(invitation)
    exchanges = list(participant.exchanges.order_by("year", "id"))
    wave = invitation.wave
    reply_to = wave.reply_to_address if wave else settings.NETWORK_ADVISER_EMAIL
    context = {
        "invitation": invitation,
        "participant": participant,
        "first_name": participant.first_name,
        "exchange": exchanges[-1] if exchanges else None,
        "accept_url": settings.SITE_URL + reverse("invitations:accept", kwargs={"token": token}),
        "decline_url": settings.SITE_URL + reverse("invitations:decline", kwargs={"token": token}),
        "request_url": settings.SITE_URL + reverse("invitations:request"),
        "expires_at": invitation.expires_at
        or timezone.now() + timedelta(days=invitation.valid_days),
        "reply_to": reply_to,
        "site_url": settings.SITE_URL,
    }
    return render_email(
        prefix,
        context,
        to=[invitation.email],
        language=participant.preferred_language,
        reply_to=[reply_to],
    )


def same(built, direct) -> SimpleNamespace:
    assert built.subject == direct.subject
    assert built.body == direct.body
    assert built.alternatives[0].content == direct.alternatives[0].content
    assert built.to == direct.to and built.reply_to == direct.reply_to
    return built


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
@pytest.mark.parametrize(
    ("year", "organisation"),
    [(2012, "Red Cross & <Kenya>"), (2015, ""), (None, "O'Brien Trust"), (None, "")],
)
def test_an_invitation_is_exactly_what_its_templates_render_for_that_person(
    language, year, organisation
):
    people = ParticipantFactory.create_batch(2, home_country="KE", preferred_language=language)
    people[0].first_name = NAME
    people[0].save(update_fields=["first_name"])
    if year or organisation:
        for person in people:
            ExchangeFactory(participant=person, year=year, partner_organisation=organisation)
    wave = make_wave()
    launch(wave)

    built = [
        same(
            sending.build_invitation_message(invitation),
            rendered_directly("invitations/email/invitation", invitation),
        )
        for invitation in Invitation.objects.filter(wave=wave).order_by("pk")
    ]

    # One template for both (the same wave, language and kind of exchange line).
    keys = {sending.build_invitation_template(i)[0].key for i in Invitation.objects.all()}
    assert len(keys) == 1
    first = next(m for m in built if m.to == [people[0].email])
    assert first.subject.startswith(NAME)
    assert "N&#x27;Dri &amp; &lt;Co&gt;" in first.alternatives[0].content


def test_a_reminder_is_exactly_what_its_templates_render():
    person = ParticipantFactory(home_country="KE", first_name=NAME, preferred_language="pt")
    ExchangeFactory(participant=person, year=2019, partner_organisation="A & B")
    wave = make_wave()
    launch(wave)
    invitation = Invitation.objects.get()
    invitation.status = Invitation.Status.SENT
    invitation.sent_at = timezone.now()
    invitation.expires_at = timezone.now() + timedelta(days=30)
    invitation.save()
    reminder = InvitationReminder.objects.create(
        invitation=invitation, wave=wave, email=invitation.email
    )

    same(
        sending.build_reminder_message(reminder),
        rendered_directly("invitations/email/reminder", invitation),
    )
