"""The invitation language before anyone has a profile: the roster's `language` column, the guess
from the home country, and the adviser's edit in the participant admin."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members.languages import COUNTRY_LANGUAGES
from members.languages import language_code
from members.languages import language_for_country
from members.models import Participant
from members.roster_import import roster_import
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

HEADER = "participant_id,first_name,last_name,email,home_country,language\n"
NO_LANGUAGE_HEADER = "participant_id,first_name,last_name,email,home_country\n"


def run(text: str):
    return roster_import(data=text.encode())


def languages() -> dict[str, str]:
    return dict(Participant.objects.values_list("participant_id", "preferred_language"))


# --- the table ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "language"),
    [
        ("MG", "fr"),
        ("SN", "fr"),
        ("CD", "fr"),
        ("HT", "fr"),
        ("mg", "fr"),
        ("MZ", "pt"),
        ("AO", "pt"),
        ("BR", "pt"),
        ("TL", "pt"),
        ("GT", "es"),
        ("NI", "es"),
        ("MX", "es"),
        ("VE", "es"),
        # Not francophone partners, or English-speaking ones: English.
        ("FR", "en"),
        ("CA", "en"),
        ("BE", "en"),
        ("ES", "en"),
        ("PT", "en"),
        ("KE", "en"),
        ("VN", "en"),
        ("NO", "en"),
        ("", "en"),
    ],
)
def test_language_for_country(country, language):
    assert language_for_country(country) == language


def test_the_table_names_only_languages_the_portal_offers():
    from django.conf import settings

    offered = {code for code, _name in settings.LANGUAGES}
    assert set(COUNTRY_LANGUAGES.values()) <= offered
    assert all(len(code) == 2 and code.isupper() for code in COUNTRY_LANGUAGES)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("French", "fr"),
        ("Français", "fr"),
        ("FRANCAIS", "fr"),
        ("fr-CA", "fr"),
        ("pt", "pt"),
        ("Portuguese", "pt"),
        ("Português", "pt"),
        ("pt_BR", "pt"),
        ("es", "es"),
        ("Spanish", "es"),
        ("Español", "es"),
        ("espanol", "es"),
        ("en", "en"),
        ("English", "en"),
        ("Swahili", None),
        ("sw", None),
        ("Frenchh", None),
    ],
)
def test_language_spellings(value, code):
    assert language_code(value) == code


# --- the roster import -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_column_sets_the_language_in_any_spelling():
    report = run(
        HEADER
        + "L-1,Aina,Rakoto,aina@example.org,MG,Français\n"
        + "L-2,João,Cossa,joao@example.org,MZ,portuguese\n"
        + "L-3,Ana,Pérez,ana@example.org,GT,ES\n"
        # The column wins over the guess from the country.
        + "L-4,Aya,Traoré,aya@example.org,CI,English\n"
        + "L-5,Kofi,Mensah,kofi@example.org,GH,fr\n"
    )

    assert report.errors == [] and report.warnings == []
    assert languages() == {"L-1": "fr", "L-2": "pt", "L-3": "es", "L-4": "en", "L-5": "fr"}


@pytest.mark.django_db
def test_an_unknown_language_is_a_warning_naming_row_and_value_and_the_guess_applies():
    report = run(
        HEADER + "L-1,Aina,Rakoto,aina@example.org,MG,Malagasy\nL-2,Kofi,Mensah,k@example.org,GH,\n"
    )

    assert report.errors == []
    assert [(problem.line, problem.participant_id) for problem in report.warnings] == [(2, "L-1")]
    assert "Malagasy" in report.warnings[0].reason
    assert any("line 2 [L-1]" in line and "Malagasy" in line for line in report.lines())
    # An empty cell is no warning; both are guessed from the home country.
    assert languages() == {"L-1": "fr", "L-2": "en"}


@pytest.mark.django_db
def test_without_the_column_the_language_is_guessed_from_the_home_country():
    report = run(
        NO_LANGUAGE_HEADER
        + "G-1,Aina,Rakoto,aina@example.org,Madagascar\n"
        + "G-2,João,Cossa,joao@example.org,MZ\n"
        + "G-3,Ana,Pérez,ana@example.org,Guatemala\n"
        + "G-4,Kofi,Mensah,kofi@example.org,Ghana\n"
        + "G-5,Lan,Nguyen,lan@example.org,\n"
    )

    assert report.created == 5
    assert languages() == {"G-1": "fr", "G-2": "pt", "G-3": "es", "G-4": "en", "G-5": "en"}


@pytest.mark.django_db
def test_the_column_updates_a_participant_who_has_not_registered():
    ParticipantFactory(participant_id="U-1", home_country="MG", preferred_language="fr")

    report = run(HEADER + "U-1,Aina,Rakoto,,MG,en\n")

    assert report.updated == 1
    assert languages() == {"U-1": "en"}


@pytest.mark.django_db
def test_without_the_column_a_known_participants_language_stays():
    # The adviser set it by hand; a re-import without a language keeps it.
    ParticipantFactory(
        participant_id="U-1",
        first_name="Aina",
        last_name="Rakoto",
        home_country="MG",
        preferred_language="en",
    )

    report = run(NO_LANGUAGE_HEADER + "U-1,Aina,Rakoto,,MG\n")

    assert report.unchanged == 1
    assert languages() == {"U-1": "en"}


@pytest.mark.django_db
def test_a_registered_members_language_is_never_overwritten():
    MemberFactory(
        participant_id="M-1",
        first_name="Aina",
        last_name="Rakoto",
        home_country="MG",
        preferred_language="es",
    )

    report = run(HEADER + "M-1,Aina,Rakoto,,MG,fr\n")

    assert report.unchanged == 1
    assert languages() == {"M-1": "es"}


@pytest.mark.django_db
def test_rows_of_one_person_that_disagree_on_the_language_reject_that_person():
    report = run(HEADER + "D-1,Aina,Rakoto,,MG,fr\nD-1,Aina,Rakoto,,MG,en\n")

    assert report.rows_rejected == 2
    assert "language" in report.errors[0].reason
    assert not Participant.objects.exists()


# --- the participant admin ---------------------------------------------------------------------


@pytest.fixture
def adviser_client(client):
    adviser = StaffUserFactory()
    adviser.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["view_participant", "change_participant"],
        )
    )
    client.force_login(adviser)
    return client


@pytest.mark.django_db
def test_the_adviser_filters_participants_by_language(adviser_client):
    ParticipantFactory(first_name="Aina", preferred_language="fr")
    ParticipantFactory(first_name="Kofi", preferred_language="en")

    response = adviser_client.get(
        reverse("admin:members_participant_changelist") + "?preferred_language__exact=fr"
    )

    assert response.status_code == 200
    names = [participant.first_name for participant in response.context["cl"].result_list]
    assert names == ["Aina"]
    assert "preferred_language__exact=pt" in response.text  # the filter offers each language


@pytest.mark.django_db
def test_the_adviser_edits_a_participants_language(adviser_client):
    participant = ParticipantFactory(home_country="MG", preferred_language="fr")
    url = reverse("admin:members_participant_change", args=[participant.pk])

    form = adviser_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "preferred_language": "pt",
            "exchanges-TOTAL_FORMS": "0",
            "exchanges-INITIAL_FORMS": "0",
        }
    )

    response = adviser_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    participant.refresh_from_db()
    assert participant.preferred_language == "pt"


@pytest.mark.django_db
def test_a_viewer_without_change_permission_cannot_edit_the_language(client):
    viewer = StaffUserFactory()
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="members", codename="view_participant")
    )
    client.force_login(viewer)
    participant = ParticipantFactory(preferred_language="fr")

    response = client.post(
        reverse("admin:members_participant_change", args=[participant.pk]),
        {"preferred_language": "en"},
    )

    assert response.status_code == 403
    participant.refresh_from_db()
    assert participant.preferred_language == "fr"


# --- participants imported before the guess ---------------------------------------------------


@pytest.mark.django_db
def test_guess_languages_sets_only_unregistered_people_still_on_english(capsys):
    from django.core.management import call_command

    from members.models import StaffAction

    ParticipantFactory(participant_id="P-1", home_country="MG")  # default English
    ParticipantFactory(participant_id="P-2", home_country="MZ")
    ParticipantFactory(participant_id="P-3", home_country="KE")
    ParticipantFactory(participant_id="P-4", home_country="MG", preferred_language="es")
    MemberFactory(participant_id="M-1", home_country="MG", preferred_language="en")

    call_command("guess_languages", "--dry-run")
    assert "Would set fr for 1 participants." in capsys.readouterr().out
    assert languages()["P-1"] == "en"
    assert not StaffAction.objects.exists()

    call_command("guess_languages")

    assert languages() == {"P-1": "fr", "P-2": "pt", "P-3": "en", "P-4": "es", "M-1": "en"}
    assert StaffAction.objects.get().affected_count == 2
    call_command("guess_languages")  # safe to re-run
    assert StaffAction.objects.count() == 1
