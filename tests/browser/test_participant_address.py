"""An adviser corrects a participant's bounced address from the participant's admin page: the
address is read-only there, and "Correct the address" leads to the form of the address service."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from members.models import Participant
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory


@pytest.fixture
def adviser(transactional_db):
    user = StaffUserFactory(email="adviser@example.org")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_participant", "change_participant", "view_staffaction"]
        )
    )
    return user


def test_an_adviser_corrects_a_bounced_address_from_the_participant_page(
    desktop_page, staff_login, adviser, snap
):
    amina = ParticipantFactory(
        first_name="Amina",
        last_name="Odhiambo",
        email="amina@oldwork.example",
        email_status=Participant.EmailStatus.BOUNCED,
    )
    participant_page = reverse("admin:members_participant_change", args=[amina.pk])
    page = staff_login(desktop_page, adviser.email, next_url=participant_page)
    expect(page.locator('input[name="email"]')).to_have_count(0)

    page.get_by_role("link", name="Correct the address").click()
    expect(page.locator("#current-address")).to_contain_text("amina@oldwork.example")
    page.get_by_label("New address").fill("not an address")
    page.get_by_role("button", name="Save the new address").click()
    expect(page.locator(".errorlist")).to_contain_text("Enter a valid email address.")
    page.get_by_label("New address").fill("amina.new@example.org")
    snap(page, "admin-participant-correct-address")
    page.get_by_role("button", name="Save the new address").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "The address of Amina Odhiambo is now amina.new@example.org."
    )
    snap(page, "admin-participant-address-corrected", sizes=("desktop",))
    amina.refresh_from_db()
    assert (amina.email, amina.email_status, amina.email_source) == (
        "amina.new@example.org",
        "unknown",
        "adviser",
    )
