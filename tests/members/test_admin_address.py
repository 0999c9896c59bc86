"""Staff change a participant's address only through `participant_correct_email` (the same service
as the "Addresses that bounced" page): the admin form has no address field, the correction page
gives the address source adviser and status unknown, a roster import keeps it, and the staff log
keeps the old address so that the change can be undone."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members import services
from members.audit import ADDRESS_CHANGE
from members.models import Participant
from members.models import StaffAction
from members.roster_import import roster_import
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
    )
    return user


@pytest.fixture
def adviser(client):
    user = grant(
        StaffUserFactory(email="adviser@example.org"),
        "view_participant",
        "change_participant",
        "add_participant",
        "view_staffaction",
    )
    client.force_login(user)
    return user


@pytest.fixture
def amina():
    return ParticipantFactory(
        participant_id="KE-7",
        first_name="Amina",
        last_name="Odhiambo",
        email="amina@oldwork.example",
        email_status=Participant.EmailStatus.BOUNCED,
        email_source=Participant.EmailSource.ROSTER,
        home_country="KE",
    )


def change_url(participant):
    return reverse("admin:members_participant_change", args=[participant.pk])


def correct_url(participant):
    return reverse("admin:members_participant_correct_email", args=[participant.pk])


def test_the_participant_form_has_no_address_fields_and_ignores_a_posted_address(
    client, adviser, amina
):
    page = client.get(change_url(amina))

    content = page.content.decode()
    assert page.status_code == 200
    for name in ("email", "email_status", "email_source"):
        assert f'name="{name}"' not in content
    assert "amina@oldwork.example" in content  # shown, read-only
    assert f'href="{correct_url(amina)}"' in content

    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "email": "typed@example.org",
            "email_status": "ok",
            "email_source": "member",
            "exchanges-TOTAL_FORMS": "0",
            "exchanges-INITIAL_FORMS": "0",
        }
    )
    response = client.post(change_url(amina), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    amina.refresh_from_db()
    assert (amina.email, amina.email_status, amina.email_source) == (
        "amina@oldwork.example",
        Participant.EmailStatus.BOUNCED,
        Participant.EmailSource.ROSTER,
    )


def test_a_corrected_address_is_the_advisers_and_the_next_roster_import_keeps_it(
    client, adviser, amina
):
    page = client.get(correct_url(amina))
    assert page.status_code == 200
    assert "amina@oldwork.example" in page.content.decode()

    response = client.post(correct_url(amina), {"email": " Amina.New@Example.org "}, follow=True)

    assert "The address of Amina Odhiambo is now amina.new@example.org." in response.text
    amina.refresh_from_db()
    assert (amina.email, amina.email_status, amina.email_source) == (
        "amina.new@example.org",
        Participant.EmailStatus.UNKNOWN,
        Participant.EmailSource.ADVISER,
    )
    action = StaffAction.objects.get(kind=ADDRESS_CHANGE)
    assert (action.actor, action.participant, action.affected_count) == (adviser, amina, 1)
    assert action.details == {
        "old": {"email": "amina@oldwork.example", "status": "bounced", "source": "roster"},
        "new": {"email": "amina.new@example.org", "status": "unknown", "source": "adviser"},
    }

    report = roster_import(
        data=b"participant_id,first_name,last_name,email,home_country\n"
        b"KE-7,Amina,Odhiambo,amina@oldwork.example,KE\n",
        actor=adviser,
    )

    amina.refresh_from_db()
    assert amina.email == "amina.new@example.org"
    assert amina.email_status == Participant.EmailStatus.UNKNOWN
    assert report.addresses_kept == 1


def test_a_participant_added_by_hand_has_an_address_set_by_the_adviser(client, adviser):
    response = client.post(
        reverse("admin:members_participant_add"),
        {
            "participant_id": "HAND-1",
            "first_name": "Grace",
            "last_name": "Nanyonjo",
            "email": "Grace@Example.org",
            "home_country": "UG",
            "preferred_language": "en",
            "directory_visibility": "hidden",
            "exchanges-TOTAL_FORMS": "0",
            "exchanges-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    grace = Participant.objects.get(participant_id="HAND-1")
    assert (grace.email, grace.email_source, grace.email_status) == (
        "grace@example.org",
        Participant.EmailSource.ADVISER,
        Participant.EmailStatus.UNKNOWN,
    )


def test_a_wrong_address_is_refused_next_to_the_field_keeping_what_was_typed(
    client, adviser, amina
):
    response = client.post(correct_url(amina), {"email": "amina at new"})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert 'value="amina at new"' in response.text
    amina.refresh_from_db()
    assert amina.email == "amina@oldwork.example"
    assert not StaffAction.objects.exists()


def test_another_participants_address_is_refused(client, adviser, amina):
    ParticipantFactory(participant_id="KE-8", first_name="Peter", email="peter@example.org")

    response = client.post(correct_url(amina), {"email": "Peter@example.org"})

    assert response.status_code == 200
    assert "is already the address of" in response.text and "KE-8" in response.text
    amina.refresh_from_db()
    assert amina.email == "amina@oldwork.example"


def test_a_registered_members_address_is_theirs_to_change(client, adviser):
    member = MemberFactory(email="member@example.org")

    page = client.get(change_url(member))
    response = client.post(correct_url(member), {"email": "other@example.org"})

    assert f'href="{correct_url(member)}"' not in page.content.decode()
    assert "they change it on their account page" in response.text
    member.refresh_from_db()
    assert member.email == "member@example.org"
    assert not StaffAction.objects.exists()


def test_staff_who_may_only_view_participants_cannot_correct_an_address(client, amina):
    client.force_login(grant(StaffUserFactory(), "view_participant"))

    page = client.get(change_url(amina))
    responses = [
        client.get(correct_url(amina)),
        client.post(correct_url(amina), {"email": "x@y.z"}),
    ]

    assert page.status_code == 200
    assert f'href="{correct_url(amina)}"' not in page.content.decode()
    assert [response.status_code for response in responses] == [403, 403]
    amina.refresh_from_db()
    assert amina.email == "amina@oldwork.example"


def test_members_and_visitors_do_not_reach_the_correction(client, amina):
    anonymous = client.post(correct_url(amina), {"email": "x@example.org"})
    client.force_login(MemberFactory().user)
    member = client.post(correct_url(amina), {"email": "x@example.org"})

    assert anonymous.status_code == 302 and member.status_code in (302, 403)
    amina.refresh_from_db()
    assert amina.email == "amina@oldwork.example"


# --- undo from the staff log


def undo(client, *actions):
    return client.post(
        reverse("admin:members_staffaction_changelist"),
        {"action": "undo_address_change_action", "_selected_action": [a.pk for a in actions]},
        follow=True,
    )


def test_a_correction_is_undone_from_the_staff_log_old_status_and_source_included(
    client, adviser, amina
):
    services.participant_correct_email(participant=amina, email="wrong@example.org", actor=adviser)
    correction = StaffAction.objects.get()

    log = client.get(reverse("admin:members_staffaction_changelist"))
    response = undo(client, correction)

    assert "amina@oldwork.example" in log.text and "wrong@example.org" in log.text
    assert "The address of Amina Odhiambo is amina@oldwork.example again." in response.text
    amina.refresh_from_db()
    assert (amina.email, amina.email_status, amina.email_source) == (
        "amina@oldwork.example",
        Participant.EmailStatus.BOUNCED,
        Participant.EmailSource.ROSTER,
    )
    put_back = StaffAction.objects.exclude(pk=correction.pk).get()
    assert put_back.details["undoes"] == correction.pk
    assert put_back.details["old"]["email"] == "wrong@example.org"

    again = undo(client, correction)  # the address is no longer the one that correction set
    assert "has changed again since" in again.text
    amina.refresh_from_db()
    assert amina.email == "amina@oldwork.example"


def test_staff_without_the_change_permission_get_no_undo(client, adviser, amina):
    services.participant_correct_email(participant=amina, email="wrong@example.org", actor=adviser)
    client.force_login(grant(StaffUserFactory(), "view_staffaction"))

    log = client.get(reverse("admin:members_staffaction_changelist"))
    undo(client, StaffAction.objects.get())

    assert "undo_address_change_action" not in log.text
    amina.refresh_from_db()
    assert amina.email == "wrong@example.org"
