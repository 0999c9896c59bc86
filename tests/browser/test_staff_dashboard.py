"""An adviser logs in with password and authenticator code and sees the network at a glance."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.members.factories import totp_code


@pytest.fixture
def adviser(transactional_db):
    ParticipantFactory.create_batch(30)
    MemberFactory.create_batch(4)
    return StaffUserFactory(email="adviser@example.org", is_superuser=True)


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
    expect(page.locator("svg.chart")).to_have_count(1)
    snap(page, "admin-dashboard")
