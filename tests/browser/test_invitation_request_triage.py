"""An adviser works through an invitation request in the admin: sees the suggested roster match,
corrects the address and invites the person in one click."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.models import InvitationRequest
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory


@pytest.fixture
def request_row(transactional_db):
    participant = ParticipantFactory(
        first_name="Amina",
        last_name="Odhiambo",
        email="amina@oldwork.example",
        email_status=Participant.EmailStatus.BOUNCED,
        home_country="KE",
    )
    ExchangeFactory(participant=participant, year=2009, partner_organisation="KCMC")
    ParticipantFactory(first_name="Peter", last_name="Odhiambo", home_country="KE")
    return InvitationRequest.objects.create(
        first_name="Amina",
        last_name="Odhiambo",
        email="amina.new@example.org",
        home_country="KE",
        exchange_year=2009,
        partner_organisation="KCMC",
        message="My work address was closed.",
    )


@pytest.fixture
def adviser(transactional_db):
    user = StaffUserFactory(email="adviser@example.org")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_invitationrequest",
                "change_invitationrequest",
                "add_invitation",
                "view_participant",
            ]
        )
    )
    return user


def test_an_adviser_corrects_the_address_and_invites_from_a_request(
    desktop_page, staff_login, live_server, adviser, request_row, snap
):
    changelist = reverse("admin:invitations_invitationrequest_changelist")
    page = staff_login(desktop_page, adviser.email, next_url=changelist)
    snap(page, "admin-invitation-requests", sizes=("desktop",))
    page.get_by_role("link", name="Amina Odhiambo").click()

    matches = page.locator("#request-matches tbody tr")
    expect(matches).to_have_count(2)
    expect(matches.first).to_contain_text("amina@oldwork.example")
    expect(matches.first).to_contain_text("2009 · KCMC")
    snap(page, "admin-invitation-request", sizes=("desktop",))

    matches.first.get_by_role(
        "button", name="Correct the address to amina.new@example.org and invite now"
    ).click()

    expect(page.locator(".messagelist")).to_contain_text("an invitation is on its way")
    snap(page, "admin-invitation-request-invited", sizes=("desktop",))
    invitation = Invitation.objects.get()
    assert invitation.email == "amina.new@example.org"
    assert invitation.participant.first_name == "Amina"
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.INVITED
