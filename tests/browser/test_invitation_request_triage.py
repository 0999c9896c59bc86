"""An adviser works through an invitation request in the admin: sees the suggested roster matches
with their evidence, opens the best one, checks the old and the new address on the confirmation
page, and only then replaces the address and invites the person."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.models import InvitationRequest
from members.audit import ADDRESS_CHANGE
from members.models import Participant
from members.models import StaffAction
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


def test_an_adviser_confirms_the_address_change_before_inviting_from_a_request(
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
    snap(page, "admin-invitation-request")

    expect(matches.first).to_contain_text("same first and last name, same home country")
    expect(matches.first).to_contain_text("an exchange in 2009")

    request_url = page.url
    matches.first.get_by_role(
        "link", name="Give this person the address amina.new@example.org…"
    ).click()

    # The confirmation page: nothing has changed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Replace the address of Amina Odhiambo?"
    )
    expect(page.locator("#old-address")).to_have_text("amina@oldwork.example")
    expect(page.locator("#new-address")).to_have_text("amina.new@example.org")
    expect(page.locator("#confirm-evidence")).to_contain_text("same partner organisation")
    snap(page, "admin-invitation-request-confirm")
    assert not Invitation.objects.exists()
    assert Participant.objects.get(first_name="Amina").email == "amina@oldwork.example"

    # "Cancel" goes back without a change; the second time the adviser confirms.
    page.get_by_role("link", name="Cancel: not this person").click()
    expect(page).to_have_url(request_url)
    assert not Invitation.objects.exists()
    matches.first.get_by_role(
        "link", name="Give this person the address amina.new@example.org…"
    ).click()
    page.get_by_role("button", name="Replace the address and invite now").click()

    expect(page.locator(".messagelist")).to_contain_text("an invitation is on its way")
    snap(page, "admin-invitation-request-invited", sizes=("desktop",))
    invitation = Invitation.objects.get()
    assert invitation.email == "amina.new@example.org"
    assert invitation.participant.first_name == "Amina"
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.INVITED
    action = StaffAction.objects.get(kind=ADDRESS_CHANGE)
    assert action.details["old"]["email"] == "amina@oldwork.example"
