"""Staff actions that touch many people at once are recorded: who, when, what."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from members import extensions
from members.audit import CSV_EXPORT
from members.audit import ROSTER_IMPORT
from members.audit import record_staff_action
from members.extensions import audit_kinds
from members.extensions import register_audit_kind
from members.models import StaffAction
from members.roster_import import roster_import
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.support.catalogues import install_catalogue

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
    assert action.kind == ROSTER_IMPORT
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

    action = StaffAction.objects.get(kind=CSV_EXPORT)
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


# --- kinds of action: each app registers its own ---------------------------------------------


@pytest.fixture
def community_kind():
    """A kind a new app would register from its ready(), forgotten again after the test."""
    register_audit_kind("community_post_hidden", "post hidden by a moderator")
    yield "community_post_hidden"
    extensions._audit_kinds.pop("community_post_hidden")


def test_every_app_registers_the_kinds_it_records():
    codes = dict(audit_kinds())
    assert {
        "roster_import",
        "csv_export",
        "address_change",
        "other",
        "wave_launch",
        "invitations_resent",
        "newsletter_send",
        "activity_message",
    } <= set(codes)
    # members lists no other app's actions: the field has no choices to migrate.
    assert not StaffAction._meta.get_field("kind").choices


def test_a_new_apps_kind_is_recorded_and_shown_without_touching_members(client, community_kind):
    superuser = StaffUserFactory(is_superuser=True)
    record_staff_action(actor=superuser, kind=community_kind, summary="Hid a post")
    record_staff_action(actor=superuser, kind=CSV_EXPORT, summary="Participants CSV")
    client.force_login(superuser)

    url = reverse("admin:members_staffaction_changelist")
    page = client.get(url).content.decode()
    filtered = client.get(url, {"kind": community_kind}).content.decode()

    assert "post hidden by a moderator" in page
    assert "Hid a post" in filtered
    assert "Participants CSV" not in filtered
    assert str(StaffAction.objects.get(kind=community_kind)).startswith(
        "post hidden by a moderator by "
    )


def test_an_unregistered_kind_is_refused():
    with pytest.raises(ValidationError):
        record_staff_action(actor=None, kind="wave_lanuch", summary="a typo")
    assert not StaffAction.objects.exists()


def test_the_migration_to_registered_kinds_leaves_the_rows_as_they_are():
    # No choices in the database: the migration changes the field's options, not a column.
    out = io.StringIO()
    call_command("sqlmigrate", "members", "0012_staffaction_kind_registered_by_apps", stdout=out)
    assert "(no-op)" in out.getvalue()
    assert "ALTER" not in out.getvalue()


# --- summaries in the reader's language (issue 12, item 7) ------------------------------------


def test_a_summary_is_shown_as_a_sentence_on_the_log_and_the_record(client):
    superuser = StaffUserFactory(is_superuser=True)
    client.force_login(superuser)
    roster_import(data=ROSTER, actor=superuser, source="kenya.csv")
    action = StaffAction.objects.get()

    listing = client.get(reverse("admin:members_staffaction_changelist")).content.decode()
    record = client.get(reverse("admin:members_staffaction_change", args=[action.pk]))

    sentence = "kenya.csv: 2 created, 0 updated, 0 unchanged, 0 exchanges added, 0 rows rejected."
    assert sentence in listing and sentence in record.content.decode()
    assert '{"sentence"' not in listing + record.content.decode()
    assert str(action).endswith(sentence)
    # Staff still find it by what it names.
    found = client.get(reverse("admin:members_staffaction_changelist"), {"q": "kenya"})
    assert sentence in found.content.decode()


def test_a_summary_is_read_in_the_readers_language_not_the_actors(tmp_path, settings):
    msgid = (
        "%(source)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
        "%(exchanges)s exchanges added, %(rejected)s rows rejected."
    )
    install_catalogue(
        tmp_path,
        settings,
        "fr",
        {
            msgid: "%(source)s : %(created)s créés, %(updated)s mis à jour, %(unchanged)s "
            "inchangés, %(exchanges)s échanges ajoutés, %(rejected)s lignes refusées."
        },
    )
    with translation.override("fr"):  # a French-speaking adviser imports
        roster_import(data=ROSTER, actor=StaffUserFactory(), source="kenya.csv")
    action = StaffAction.objects.get()

    with translation.override("en"):
        assert action.summary_shown == (
            "kenya.csv: 2 created, 0 updated, 0 unchanged, 0 exchanges added, 0 rows rejected."
        )
    with translation.override("fr"):
        assert action.summary_shown == (
            "kenya.csv : 2 créés, 0 mis à jour, 0 inchangés, 0 échanges ajoutés, 0 lignes refusées."
        )


def test_a_plain_string_summary_is_kept_as_written():
    record_staff_action(actor=None, kind=CSV_EXPORT, summary="Written by a script")
    assert StaffAction.objects.get().summary_shown == "Written by a script"
