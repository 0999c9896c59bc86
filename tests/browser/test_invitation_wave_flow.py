"""The whole invitation flow in a real browser: the adviser launches a wave in the admin, the
invitation mail is read from the captured mail, the participant follows its link, registers
and lands on their page; a second use of the link is refused."""

import re
from datetime import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.models import Wave
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

PASSWORD = "sunrise-over-the-lake-1999"


@pytest.fixture
def wave(transactional_db):
    participant = ParticipantFactory(
        first_name="Tendai", last_name="Moyo", email="tendai@example.org", home_country="ZW"
    )
    ExchangeFactory(
        participant=participant, year=2011, partner_organisation="Zimbabwe AIDS Network"
    )
    return Wave.objects.create(
        name="Zimbabwe, first wave",
        home_countries=["ZW"],
        rate_per_hour=0,
        # Any day, any hour: the test must not depend on the clock in Harare.
        window_start=time(0, 0),
        window_end=time(23, 59, 59),
        window_weekdays=list(range(7)),
    )


@pytest.fixture
def adviser(transactional_db):
    return StaffUserFactory(email="adviser@example.org", is_superuser=True)


def test_a_wave_launched_in_admin_reaches_the_participant_who_registers(
    desktop_page, phone_page, staff_login, live_server, wave, adviser, snap
):
    wave_url = reverse("admin:invitations_wave_change", args=[wave.pk])
    admin_page = staff_login(desktop_page, adviser.email, next_url=wave_url)
    admin_page.get_by_role("button", name="Launch the wave").click()
    expect(admin_page.locator("#wave-status")).to_contain_text("1")
    snap(admin_page, "wave-launched", sizes=("desktop",))

    (message,) = [m for m in mail.outbox if m.to == ["tendai@example.org"]]
    assert "Tendai" in message.body
    accept_link = re.search(r"https?://\S+/invitations/accept/[\w-]+/", message.body).group(0)
    accept_path = urlsplit(accept_link).path

    page = phone_page
    page.goto(live_server.url + accept_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Tendai")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()

    # They land on their profile, to complete it.
    expect(page).to_have_url(live_server.url + reverse("members:profile_edit"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    page.goto(live_server.url + reverse("members:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Tendai")
    snap(page, "wave-participant-home")
    assert Participant.objects.get(email="tendai@example.org").user is not None
    assert Invitation.objects.get(wave=wave).status == Invitation.Status.ACCEPTED

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    page.goto(live_server.url + accept_path)
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
    expect(page.get_by_text("already been used")).to_be_visible()
