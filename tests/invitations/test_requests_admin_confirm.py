"""Triage must not overwrite the wrong person in one click: suggestions are ranked (the same name
in the same country first) with their evidence, replacing an address is a confirmed step that
shows the old and the new address, and the staff log keeps the old address for an undo."""

import pytest
from django.core import mail
from django.urls import reverse

from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.selectors import invitation_request_matches
from invitations.selectors import match_evidence
from members.audit import ADDRESS_CHANGE
from members.models import Participant
from members.models import StaffAction
from tests.invitations.test_requests_admin import ADVISER_PERMISSIONS
from tests.invitations.test_requests_admin import change_url
from tests.invitations.test_requests_admin import invite_url
from tests.invitations.test_requests_admin import make_request
from tests.invitations.test_requests_admin import with_permissions
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture
def adviser(client):
    user = with_permissions(
        StaffUserFactory(email="adviser@norec.no"),
        *ADVISER_PERMISSIONS,
        "change_participant",
        "view_staffaction",
    )
    client.force_login(user)
    return user


def confirm_url(request_row, participant) -> str:
    return reverse(
        "admin:invitations_invitationrequest_confirm_invite",
        args=[request_row.pk, participant.pk],
    )


@pytest.fixture
def faly_request():
    return make_request(
        first_name="Faly",
        last_name="Rakoto",
        email="faly.new@example.org",
        home_country="MG",
        exchange_year=2012,
        partner_organisation="Ny Tanintsika",
    )


@pytest.fixture
def look_alikes():
    """The request's person (same name, same country, same exchange) and strangers who share
    something else with the request."""
    faly = ParticipantFactory(
        first_name="Faly", last_name="Rakoto", email="faly@oldwork.example", home_country="MG"
    )
    ExchangeFactory(participant=faly, year=2012, partner_organisation="Ny Tanintsika")
    return {
        "faly": faly,
        # The request's exact address, on somebody else: strong, but not a name match.
        "same_address": ParticipantFactory(
            first_name="Hery", last_name="Rabe", email="faly.new@example.org", home_country="MG"
        ),
        "same_local_part": ParticipantFactory(
            first_name="Jean", last_name="Dupont", email="faly.new@mail.example", home_country="FR"
        ),
        "same_first_name": ParticipantFactory(
            first_name="Faly", last_name="Andriamanana", home_country="MG"
        ),
        "same_last_name_elsewhere": ParticipantFactory(
            first_name="Faly", last_name="Rakoto", home_country="FR", email="fr@example.org"
        ),
    }


# --- ranking and evidence


def test_the_same_name_in_the_same_country_comes_first_then_the_weight_of_evidence(
    faly_request, look_alikes
):
    matches = list(invitation_request_matches(invitation_request=faly_request))

    assert matches[0] == look_alikes["faly"]
    assert matches[1] == look_alikes["same_address"]
    assert set(matches[2:]) == {look_alikes["same_local_part"], look_alikes["same_first_name"]}
    # Same first and last name, but in another country: not a candidate by name at all.
    assert look_alikes["same_last_name_elsewhere"] not in matches
    labels = {
        participant.participant_id: [
            item["label"] for item in match_evidence(participant, faly_request)
        ]
        for participant in matches
    }
    assert labels[look_alikes["faly"].participant_id] == [
        "same first and last name, same home country",
        "an exchange in 2012",
        "same partner organisation",
    ]
    assert labels[look_alikes["same_address"].participant_id] == [
        "same email address",
        "same home country",
    ]
    assert labels[look_alikes["same_local_part"].participant_id] == ["same address before the @"]
    assert labels[look_alikes["same_first_name"].participant_id] == [
        "same first name",
        "same home country",
    ]


def test_the_request_page_shows_each_suggestion_with_its_evidence(
    client, adviser, faly_request, look_alikes
):
    response = client.get(change_url(faly_request))

    content = response.content.decode()
    rows = content.split('data-participant="')[1:]
    assert rows[0].startswith(f'{look_alikes["faly"].pk}"')
    assert "same first and last name, same home country" in rows[0]
    assert "an exchange in 2012" in rows[0]
    assert "same address before the @" in content
    # Replacing an address is a link to a page that asks, never a button that acts.
    assert f'href="{confirm_url(faly_request, look_alikes["faly"])}"' in rows[0]
    assert f'action="{invite_url(faly_request, look_alikes["faly"])}"' not in content


# --- one click does not overwrite


def test_one_click_does_not_replace_an_address_it_asks_first(
    client, adviser, faly_request, look_alikes
):
    stranger = look_alikes["same_first_name"]
    before = stranger.email

    response = client.post(invite_url(faly_request, stranger))

    assert response.status_code == 302
    assert response["Location"] == confirm_url(faly_request, stranger)
    stranger.refresh_from_db()
    assert stranger.email == before
    assert not Invitation.objects.exists()
    assert not StaffAction.objects.exists()
    assert mail.outbox == []
    faly_request.refresh_from_db()
    assert faly_request.status == InvitationRequest.Status.OPEN


def test_the_confirmation_page_shows_the_participant_the_old_and_the_new_address(
    client, adviser, faly_request, look_alikes
):
    faly = look_alikes["faly"]

    response = client.get(confirm_url(faly_request, faly))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Faly Rakoto" in content and faly.participant_id in content
    assert '<del id="old-address">faly@oldwork.example</del>' in content
    assert '<ins id="new-address">faly.new@example.org</ins>' in content
    assert "an exchange in 2012" in content
    assert 'name="replaces" value="faly@oldwork.example"' in content
    assert "style=" not in content.split('id="content-main"')[1]  # the CSP allows no inline style
    faly.refresh_from_db()
    assert faly.email == "faly@oldwork.example"  # looking changes nothing
    assert not Invitation.objects.exists()


def test_confirming_replaces_the_address_invites_and_records_old_and_new(
    client, adviser, faly_request, look_alikes, django_capture_on_commit_callbacks
):
    faly = look_alikes["faly"]
    look_alikes["same_address"].delete()  # nobody else holds the request's address

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invite_url(faly_request, faly), {"replaces": "faly@oldwork.example"}, follow=True
        )

    assert "now faly.new@example.org, and an invitation is on its way" in response.text
    faly.refresh_from_db()
    assert (faly.email, faly.email_source) == ("faly.new@example.org", "adviser")
    assert [m.to for m in mail.outbox] == [["faly.new@example.org"]]
    action = StaffAction.objects.get(kind=ADDRESS_CHANGE)
    assert (action.actor, action.participant) == (adviser, faly)
    assert action.details["old"]["email"] == "faly@oldwork.example"
    assert action.details["new"]["email"] == "faly.new@example.org"


def test_a_confirmation_for_an_address_that_changed_since_is_refused(
    client, adviser, faly_request, look_alikes
):
    faly = look_alikes["faly"]
    Participant.objects.filter(pk=faly.pk).update(email="faly@corrected.example")

    response = client.post(
        invite_url(faly_request, faly), {"replaces": "faly@oldwork.example"}, follow=True
    )

    assert "changed since you looked (it is now faly@corrected.example)" in response.text
    assert response.redirect_chain[-1][0] == confirm_url(faly_request, faly)
    faly.refresh_from_db()
    assert faly.email == "faly@corrected.example"
    assert not Invitation.objects.exists()


def test_giving_an_address_to_someone_without_one_is_confirmed_too(client, adviser, faly_request):
    nobody = ParticipantFactory(first_name="Faly", last_name="Rakoto", email="", home_country="MG")

    first = client.post(invite_url(faly_request, nobody))
    page = client.get(confirm_url(faly_request, nobody))
    confirmed = client.post(invite_url(faly_request, nobody), {"replaces": ""})

    assert first["Location"] == confirm_url(faly_request, nobody)
    assert '<del id="old-address">(none)</del>' in page.content.decode()
    assert confirmed.status_code == 302
    nobody.refresh_from_db()
    assert nobody.email == "faly.new@example.org"


def test_the_same_address_is_invited_in_one_click(client, adviser, faly_request, look_alikes):
    same = look_alikes["same_address"]

    client.post(invite_url(faly_request, same))

    assert Invitation.objects.get().participant == same
    assert not StaffAction.objects.filter(kind=ADDRESS_CHANGE).exists()


def test_an_address_another_participant_has_is_not_given_to_a_second_one(
    client, adviser, faly_request, look_alikes
):
    faly = look_alikes["faly"]  # the request's address already belongs to Hery Rabe

    response = client.post(
        invite_url(faly_request, faly), {"replaces": "faly@oldwork.example"}, follow=True
    )

    assert "is already the address of Hery Rabe" in response.text
    faly.refresh_from_db()
    assert faly.email == "faly@oldwork.example"
    assert not Invitation.objects.exists()


# --- undo


def test_a_wrong_replacement_is_undone_from_the_staff_log_and_the_strangers_link_dies(
    client, adviser, faly_request, look_alikes, django_capture_on_commit_callbacks
):
    wrong = look_alikes["same_first_name"]
    old_address = wrong.email
    look_alikes["same_address"].delete()  # nobody else holds the request's address
    with django_capture_on_commit_callbacks(execute=True):
        client.post(invite_url(faly_request, wrong), {"replaces": old_address})
    invitation = Invitation.objects.get(participant=wrong)
    assert invitation.status == Invitation.Status.SENT
    correction = StaffAction.objects.get(kind=ADDRESS_CHANGE)

    response = client.post(
        reverse("admin:members_staffaction_changelist"),
        {"action": "undo_address_change_action", "_selected_action": [correction.pk]},
        follow=True,
    )

    assert f"is {old_address} again" in response.text
    wrong.refresh_from_db()
    assert wrong.email == old_address
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


# --- who may


def test_only_advisers_who_may_triage_see_the_confirmation(client, faly_request, look_alikes):
    faly = look_alikes["faly"]
    viewer = with_permissions(StaffUserFactory(), "view_invitationrequest")
    client.force_login(viewer)

    assert client.get(confirm_url(faly_request, faly)).status_code == 403
    assert client.post(invite_url(faly_request, faly), {"replaces": faly.email}).status_code == 403

    client.logout()
    assert client.get(confirm_url(faly_request, faly)).status_code == 302  # to the login
    faly.refresh_from_db()
    assert faly.email == "faly@oldwork.example"
