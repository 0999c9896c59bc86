"""The whole participant path in a real browser, starting from the invitation mail itself: the
adviser invites directly, the worker path sends the mail, the person follows its button."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.services import invitation_send_direct
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

PASSWORD = "green-valley-harbour-2011"


@pytest.fixture
def invitation_mail(transactional_db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    participant = ParticipantFactory(
        first_name="Chanda", last_name="Mwale", email="chanda@example.org", home_country="ZM"
    )
    ExchangeFactory(participant=participant, year=2014, partner_organisation="Zambia Red Cross")
    invitation_send_direct(participant=participant, actor=StaffUserFactory())
    (message,) = [m for m in mail.outbox if m.to == ["chanda@example.org"]]
    return message


def path_of_link(body: str, name: str) -> str:
    prefix = reverse(name, args=["TOKEN"]).split("TOKEN")[0]
    url = re.search(r"https?://\S+" + re.escape(prefix) + r"[\w-]+/", body).group(0)
    return urlsplit(url).path


def test_a_participant_follows_the_link_in_the_invitation_mail(
    desktop_page, live_server, invitation_mail, snap
):
    page = desktop_page
    accept_path = path_of_link(invitation_mail.body, "invitations:accept")

    page.goto(live_server.url + accept_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Chanda")
    expect(page.get_by_text("in 2014 with Zambia Red Cross")).to_be_visible()
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()

    # They land on their profile, to complete it.
    expect(page).to_have_url(live_server.url + reverse("members:profile_edit"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    page.goto(live_server.url + reverse("members:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Chanda")
    snap(page, "invitation-from-mail-home")
    assert Participant.objects.get(email="chanda@example.org").user is not None
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED

    # The link works once: a second use, logged out, is sent to log in.
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    page.goto(live_server.url + accept_path)
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
    expect(page.get_by_text("already been used")).to_be_visible()


def test_the_token_leaves_the_address_bar_at_once_and_never_travels_in_a_referer(
    phone_page, live_server, invitation_mail, snap
):
    page = phone_page
    accept_path = path_of_link(invitation_mail.body, "invitations:accept")
    token = accept_path.strip("/").rsplit("/", 1)[1]
    sent = []
    page.on("request", lambda request: sent.append((request.url, request.header_value("referer"))))

    page.goto(live_server.url + accept_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Chanda")
    assert page.url == live_server.url + reverse("invitations:accept_form")
    snap(page, "invitation-accept-token-free-url")
    # Around the page: to the decline page and back, then the form.
    page.get_by_role("link", name="Do not invite me again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Chanda")
    assert page.url == live_server.url + reverse("invitations:decline_form")
    page.get_by_role("link", name="Join the network").click()
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(live_server.url + reverse("members:profile_edit"))

    # Only the click on the link itself carried the token; nothing after it did, neither in its
    # address nor in its Referer (the stylesheet, the links, the form all sent one).
    assert sent[0] == (live_server.url + accept_path, None)
    later = sent[1:]
    referers = [referer for _url, referer in later if referer]
    assert live_server.url + reverse("invitations:accept_form") in referers
    assert live_server.url + reverse("invitations:decline_form") in referers
    for url, referer in later:
        assert token not in url
        assert token not in (referer or "")
