"""An adviser logs in with password and authenticator code and sees the network at a glance."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.models import Wave
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.members.factories import totp_code
from tests.support.roles import NETWORK_ADVISERS
from tests.support.roles import staff_group


@pytest.fixture
def adviser(transactional_db):
    kenya = ParticipantFactory.create_batch(20, home_country="KE")
    ParticipantFactory.create_batch(10, home_country="NP")  # not invited yet
    MemberFactory.create_batch(4)
    wave = Wave.objects.create(
        name="Kenya, first wave",
        home_countries=["KE"],
        status="sending",
        launched_at=timezone.now(),
    )
    for number, participant in enumerate(kenya):
        handed = number < 15
        Invitation.objects.create(
            wave=wave,
            participant=participant,
            status=("accepted" if number < 4 else "sent") if handed else "pending",
            sent_at=timezone.now() if handed else None,
            delivered_at=timezone.now() if number < 12 else None,
        )
    # The adviser's real role (the group the migration creates), not a superuser.
    adviser = StaffUserFactory(email="adviser@example.org")
    adviser.groups.add(staff_group(NETWORK_ADVISERS))
    return adviser


def test_an_adviser_logs_in_with_a_totp_code_and_sees_the_dashboard(
    desktop_page, live_server, adviser, snap
):
    page = desktop_page
    page.goto(live_server.url + reverse("admin:index"))

    # The admin has no login form of its own: the portal's login asks for the password...
    page.get_by_label("Email").fill(adviser.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # ... then for the code from the authenticator app.
    page.get_by_label("Code").fill(totp_code())
    snap(page, "staff-totp")
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    expect(page.get_by_text("members registered")).to_be_visible()
    # Members over time, invitations per country, and the wave's funnel; no activity panels
    # for an adviser.
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.get_by_role("heading", name="Invitations per home country")).to_be_visible()
    expect(page.get_by_text("Nepal (not yet invited)")).to_be_visible()
    expect(page.get_by_text("Next activities")).to_have_count(0)
    snap(page, "admin-dashboard")
