"""Staff actions that touch many people at once are recorded: who, when, what."""

import pytest
from django.urls import reverse

from members.models import StaffAction
from members.roster_import import roster_import
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

ROSTER = (
    b"participant_id,first_name,last_name,email,home_country\n"
    b"A1,Amina,Odhiambo,amina@example.org,KE\n"
    b"A2,Bishnu,Thapa,bishnu@example.org,NP\n"
)


def test_an_import_is_recorded_with_who_and_how_many():
    adviser = StaffUserFactory(email="adviser@example.org", is_superuser=True)

    roster_import(data=ROSTER, actor=adviser, source="kenya.csv")

    action = StaffAction.objects.get()
    assert action.kind == StaffAction.Kind.ROSTER_IMPORT
    assert action.actor == adviser
    assert action.actor_email == "adviser@example.org"
    assert action.affected_count == 2
    assert "kenya.csv" in action.summary


def test_a_dry_run_is_not_recorded_and_the_command_line_is_recorded_without_actor():
    roster_import(data=ROSTER, dry_run=True, source="kenya.csv")
    assert not StaffAction.objects.exists()

    roster_import(data=ROSTER, source="kenya.csv")
    action = StaffAction.objects.get()
    assert action.actor is None
    assert action.actor_email == ""


def test_a_csv_export_of_participants_is_recorded(client):
    adviser = StaffUserFactory(email="adviser@example.org", is_superuser=True)
    ParticipantFactory.create_batch(3, home_country="KE")
    ParticipantFactory(home_country="NP")
    client.force_login(adviser)

    response = client.get(reverse("admin:members_participant_export") + "?home_country=KE")
    b"".join(response.streaming_content)

    action = StaffAction.objects.get(kind=StaffAction.Kind.CSV_EXPORT)
    assert action.actor == adviser
    assert action.affected_count == 3
    assert "home_country=KE" in action.summary


def test_the_audit_log_is_read_only_even_for_superusers(client):
    superuser = StaffUserFactory(is_superuser=True)
    client.force_login(superuser)
    action = StaffAction.objects.create(actor=superuser, kind="other", summary="x")

    assert client.get(reverse("admin:members_staffaction_changelist")).status_code == 200
    assert client.get(reverse("admin:members_staffaction_add")).status_code == 403
    response = client.post(
        reverse("admin:members_staffaction_change", args=[action.pk]), {"summary": "changed"}
    )
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.summary == "x"
