"""The adviser's triage of invitation requests in the admin."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

import invitations.admin_requests  # noqa: F401  (registered by invitations/admin.py too)
from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.selectors import invitation_request_matches
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

ADVISER_PERMISSIONS = [
    "view_invitationrequest",
    "change_invitationrequest",
    "add_invitation",
    "view_invitation",
]


def with_permissions(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def adviser(client):
    user = with_permissions(StaffUserFactory(email="adviser@norec.no"), *ADVISER_PERMISSIONS)
    client.force_login(user)
    return user


@pytest.fixture
def activity_staff(client):
    # Staff who run activities: they see the roster, but nothing of invitations.
    user = with_permissions(
        StaffUserFactory(email="events@norec.no"), "view_participant", "change_participant"
    )
    client.force_login(user)
    return user


def make_request(**fields) -> InvitationRequest:
    defaults = {
        "first_name": "Amina",
        "last_name": "Odhiambo",
        "email": "amina.new@example.org",
        "home_country": "KE",
        "exchange_year": 2009,
        "partner_organisation": "KCMC",
        "message": "New address.",
    }
    return InvitationRequest.objects.create(**{**defaults, **fields})


def change_url(request_row) -> str:
    return reverse("admin:invitations_invitationrequest_change", args=[request_row.pk])


def invite_url(request_row, participant) -> str:
    return reverse(
        "admin:invitations_invitationrequest_invite", args=[request_row.pk, participant.pk]
    )


def create_url(request_row) -> str:
    return reverse("admin:invitations_invitationrequest_create_participant", args=[request_row.pk])


def dismiss_url(request_row) -> str:
    return reverse("admin:invitations_invitationrequest_dismiss", args=[request_row.pk])


# --- suggested matches


def test_matches_are_same_country_name_parts_and_address_best_first():
    request_row = make_request(first_name="Amina Wanjiru", email="amina.w@example.org")
    same_address = ParticipantFactory(
        first_name="A.", last_name="Other", email="amina.w@example.org", home_country="TZ"
    )
    same_local_part = ParticipantFactory(email="amina.w@oldmail.example", home_country="UG")
    same_name = ParticipantFactory(first_name="Amina", last_name="Odhiambo", home_country="KE")
    middle_name = ParticipantFactory(first_name="Wanjiru", last_name="Kamau", home_country="KE")
    ParticipantFactory(first_name="Amina", last_name="Odhiambo", home_country="NG")
    ParticipantFactory(first_name="Peter", last_name="Otieno", home_country="KE")

    matches = list(invitation_request_matches(invitation_request=request_row))

    assert matches[:2] == [same_address, same_local_part]
    assert set(matches[2:]) == {same_name, middle_name}
    assert matches.index(same_name) < matches.index(middle_name)


def test_the_request_page_shows_matches_with_a_fixed_number_of_queries(
    client, adviser, django_assert_max_num_queries
):
    request_row = make_request()
    for _ in range(2):
        ExchangeFactory(participant=ParticipantFactory(last_name="Odhiambo", home_country="KE"))
    with django_assert_max_num_queries(30) as few:
        client.get(change_url(request_row))
    for _ in range(6):
        ExchangeFactory(participant=ParticipantFactory(last_name="Odhiambo", home_country="KE"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(change_url(request_row))

    assert response.status_code == 200
    assert response.text.count('data-participant="') == 8
    assert "Give this person the address amina.new@example.org…" in response.text


def test_the_list_shows_open_requests_by_default(client, adviser):
    make_request(first_name="Open")
    make_request(first_name="Done", status=InvitationRequest.Status.DISMISSED)

    response = client.get(reverse("admin:invitations_invitationrequest_changelist"))
    everything = client.get(
        reverse("admin:invitations_invitationrequest_changelist") + "?status=all"
    )

    assert response.status_code == 200
    assert "Open Odhiambo" in response.text
    assert "Done Odhiambo" not in response.text
    assert "Done Odhiambo" in everything.text


# --- correcting the address and inviting


def test_a_registered_participant_is_not_invited(client, adviser):
    member = MemberFactory()
    request_row = make_request()

    response = client.post(invite_url(request_row, member), follow=True)

    assert "is already registered" in response.text
    member.refresh_from_db()
    assert member.email != "amina.new@example.org"
    assert not Invitation.objects.exists()
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.OPEN


def test_an_address_that_already_logs_in_is_not_used_again(client, adviser):
    MemberFactory(email="amina.new@example.org")
    participant = ParticipantFactory()
    request_row = make_request()

    response = client.post(invite_url(request_row, participant), follow=True)

    assert "An account already logs in with amina.new@example.org" in response.text
    assert not Invitation.objects.exists()


# --- creating a participant


def test_dismissing_closes_the_request(client, adviser):
    request_row = make_request()

    response = client.post(dismiss_url(request_row), follow=True)

    assert "The request was dismissed." in response.text
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.DISMISSED
    assert not Invitation.objects.exists()


def test_actions_need_post(client, adviser):
    request_row = make_request()
    participant = ParticipantFactory()

    assert client.get(invite_url(request_row, participant)).status_code == 405
    assert client.get(create_url(request_row)).status_code == 405
    assert client.get(dismiss_url(request_row)).status_code == 405


# --- who may


def test_activity_staff_without_invitation_permissions_get_403(client, activity_staff):
    request_row = make_request()
    participant = ParticipantFactory()

    responses = [
        client.get(reverse("admin:invitations_invitationrequest_changelist")),
        client.get(change_url(request_row)),
        client.post(invite_url(request_row, participant)),
        client.post(create_url(request_row)),
        client.post(dismiss_url(request_row)),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.OPEN
    assert not Invitation.objects.exists()


def test_staff_who_may_only_view_requests_see_no_buttons_and_cannot_act(client):
    viewer = with_permissions(StaffUserFactory(), "view_invitationrequest")
    client.force_login(viewer)
    request_row = make_request()
    participant = ParticipantFactory(last_name="Odhiambo")

    page = client.get(change_url(request_row))
    posted = client.post(invite_url(request_row, participant))

    assert page.status_code == 200
    assert "invite now" not in page.text
    assert posted.status_code == 403


def test_members_do_not_reach_the_triage(client):
    member = MemberFactory()
    client.force_login(member.user)
    request_row = make_request()

    response = client.post(create_url(request_row))

    assert response.status_code in (302, 403)
    assert not Invitation.objects.exists()
    assert InvitationRequest.objects.get().status == InvitationRequest.Status.OPEN


def test_the_list_filters_by_the_countries_requests_came_from(client, adviser):
    make_request(first_name="Kenyan", home_country="KE")
    make_request(first_name="Ghanaian", home_country="GH")
    changelist = reverse("admin:invitations_invitationrequest_changelist")

    response = client.get(changelist)
    ghana = client.get(changelist + "?home_country=GH")

    assert "Ghana" in response.text and "Kenya" in response.text
    assert "Norway" not in response.text
    assert "Ghanaian Odhiambo" in ghana.text
    assert "Kenyan Odhiambo" not in ghana.text


def test_the_list_has_a_fixed_number_of_queries(client, adviser, django_assert_max_num_queries):
    changelist = reverse("admin:invitations_invitationrequest_changelist")
    make_request()
    with django_assert_max_num_queries(40) as few:
        client.get(changelist)
    for number in range(10):
        make_request(email=f"person{number}@example.org")

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(changelist)


def test_the_list_action_dismisses_the_selected_open_requests(client, adviser):
    first, second = make_request(), make_request(email="spam@example.org")
    handled = make_request(status=InvitationRequest.Status.INVITED)

    response = client.post(
        reverse("admin:invitations_invitationrequest_changelist") + "?status=all",
        {"action": "dismiss_action", "_selected_action": [first.pk, second.pk, handled.pk]},
        follow=True,
    )

    assert "2 requests dismissed." in response.text
    assert "already handled" in response.text
    statuses = dict(InvitationRequest.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: InvitationRequest.Status.DISMISSED,
        second.pk: InvitationRequest.Status.DISMISSED,
        handled.pk: InvitationRequest.Status.INVITED,
    }


def test_viewers_do_not_get_the_dismiss_action(client):
    viewer = with_permissions(StaffUserFactory(), "view_invitationrequest")
    client.force_login(viewer)
    request_row = make_request()

    response = client.post(
        reverse("admin:invitations_invitationrequest_changelist"),
        {"action": "dismiss_action", "_selected_action": [request_row.pk]},
    )

    assert (
        "dismiss_action"
        not in client.get(reverse("admin:invitations_invitationrequest_changelist")).text
    )
    assert response.status_code in (200, 302)
    request_row.refresh_from_db()
    assert request_row.status == InvitationRequest.Status.OPEN
