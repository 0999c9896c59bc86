"""The participant's side in a real browser: accepting an invitation from its link, declining,
and asking for an invitation."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.tokens import invitation_token
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory

PASSWORD = "blue-river-mountain-1987"


@pytest.fixture
def invited(transactional_db):
    participant = ParticipantFactory(
        first_name="Amina", last_name="Odhiambo", email="amina@example.org", home_country="KE"
    )
    ExchangeFactory(participant=participant, year=2009, partner_organisation="KCMC")
    return Invitation.objects.create(
        participant=participant,
        email=participant.email,
        status=Invitation.Status.SENT,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )


def test_an_invited_participant_sets_a_password_and_lands_on_their_page(
    phone_page, live_server, invited, snap
):
    page = phone_page
    link = live_server.url + reverse("invitations:accept", args=[invitation_token(invited)])
    page.goto(link)

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amina")
    expect(page.get_by_text("in 2009 with KCMC")).to_be_visible()
    expect(page.get_by_text("amina@example.org")).to_be_visible()
    snap(page, "invitation-accept")

    # A mistake first: the page says what is wrong and where.
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill("something-else")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("The two passwords are not the same")).to_be_visible()
    expect(page.get_by_text("Please accept the privacy notice")).to_be_visible()
    snap(page, "invitation-accept-errors")

    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()

    # They land on their profile, to complete it.
    expect(page).to_have_url(live_server.url + reverse("members:profile_edit"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    page.goto(live_server.url + reverse("members:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amina")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("button", name="Log out")).to_be_visible()
    snap(page, "invitation-accepted-home")
    participant = Participant.objects.get(pk=invited.participant_id)
    assert participant.user.email == "amina@example.org"
    assert mail.outbox == []  # no verification mail: the link proved the address

    # The second use of the link is refused: log out, open it again, and be sent to log in.
    navigation.get_by_role("button", name="Log out").click()
    page.goto(link)
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
    expect(page.get_by_text("already been used")).to_be_visible()
    snap(page, "invitation-used")


def test_an_expired_link_gives_a_kind_page_with_the_way_to_ask_again(
    desktop_page, live_server, invited, snap
):
    Invitation.objects.filter(pk=invited.pk).update(expires_at=timezone.now())
    page = desktop_page

    page.goto(live_server.url + reverse("invitations:accept", args=[invitation_token(invited)]))

    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation has expired")
    snap(page, "invitation-expired")
    page.get_by_role("link", name="Ask for a new invitation").click()
    expect(page).to_have_url(live_server.url + reverse("invitations:request"))


def test_a_participant_declines_after_confirming(phone_page, live_server, invited, snap):
    page = phone_page
    page.goto(live_server.url + reverse("invitations:decline", args=[invitation_token(invited)]))
    snap(page, "invitation-decline")
    assert not Participant.objects.get(pk=invited.participant_id).declined_invitations

    page.get_by_role("button", name="Do not invite me again").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("We will not invite you again")
    assert Participant.objects.get(pk=invited.participant_id).declined_invitations


def test_an_anonymous_visitor_asks_for_an_invitation(
    phone_page, live_server, transactional_db, snap
):
    page = phone_page
    page.goto(live_server.url + reverse("account_login"))
    snap(page, "login-with-request-link")
    page.get_by_role("link", name="Ask for an invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for an invitation")
    snap(page, "invitation-request")

    page.get_by_label("First name").fill("Kofi")
    page.get_by_label("Last name").fill("Mensah")
    page.get_by_label("Your email address").fill("kofi@")
    page.get_by_label("Home country").select_option("GH")
    page.get_by_label("Year of your exchange").fill("2012")
    page.get_by_label("Organisation you worked with").fill("Ghana Health Service")
    page.get_by_role("button", name="Send my request").click()
    # The browser's own check is off (novalidate), so the server says what is wrong, and keeps
    # what was typed.
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Kofi")
    expect(page.get_by_label("Home country")).to_have_value("GH")
    snap(page, "invitation-request-errors")

    page.get_by_label("Your email address").fill("kofi@example.org")
    page.get_by_role("button", name="Send my request").click()

    expect(page).to_have_url(live_server.url + reverse("invitations:request_done"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    snap(page, "invitation-request-done")
    request_row = InvitationRequest.objects.get()
    assert (request_row.first_name, request_row.email) == ("Kofi", "kofi@example.org")
    assert request_row.home_country == "GH"
    (confirmation,) = [m for m in mail.outbox if m.to == ["kofi@example.org"]]
    assert "Hello Kofi" in confirmation.body
