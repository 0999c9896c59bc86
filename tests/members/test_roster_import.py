"""Roster import: messy real-world files, bad rows, re-imports, the command and the admin page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Exchange
from members.models import Participant
from members.roster_import import country_code
from members.roster_import import roster_import
from members.services import ParticipantRefused
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
IMPORT_URL = "admin:members_participant_import"
HEADER = (
    "participant_id,first_name,last_name,email,phone,home_country,exchange_year,host_country,"
    "partner_organisation,programme\n"
)


def load(name: str) -> bytes:
    return (FILES / name).read_bytes()


def run(data: bytes | str, **kwargs):
    if isinstance(data, str):
        data = data.encode()
    return roster_import(data=data, **kwargs)


def errors_by_id(report) -> dict[str, str]:
    return {problem.participant_id: problem.reason for problem in report.errors}


# --- messy files ------------------------------------------------------------------------------


def test_bom_semicolon_file_with_shuffled_headers_imports_everyone():
    report = run(load("bom_semicolon.csv"))

    assert report.errors == []
    assert report.delimiter == ";"
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.exchanges_added == 5
    assert any("Comments" in note for note in report.notes)  # the unknown column is named
    aya = Participant.objects.get(participant_id="CI-001")
    assert (aya.first_name, aya.last_name, aya.email) == ("Aya", "Traoré", "aya.traore@example.org")
    assert aya.home_country.code == "CI"
    assert aya.email_source == Participant.EmailSource.ROSTER
    exchanges = list(aya.exchanges.order_by("year").values_list("year", "host_country"))
    assert exchanges == [(2019, "NO"), (2021, "KE")]
    assert Participant.objects.get(participant_id="GH-002").exchanges.get().host_country == "TZ"
    assert Participant.objects.get(participant_id="VN-003").home_country == "VN"
    assert Participant.objects.get(participant_id="VN-004").exchanges.get().host_country == "LA"


def test_excel_cp1252_file_is_read_with_a_note():
    report = run(load("excel_cp1252.csv"))

    assert report.errors == []
    assert report.encoding == "Windows-1252"
    assert any("not UTF-8" in note for note in report.notes)
    joao = Participant.objects.get(participant_id="MZ-010")
    assert (joao.first_name, joao.last_name) == ("João", "Macuácua")
    assert joao.exchanges.get().partner_organisation == "Associação Moçambicana"
    aissatou = Participant.objects.get(participant_id="SN-011")
    assert aissatou.home_country == "SN"
    assert aissatou.exchanges.get().host_country == "CI"


def test_a_utf8_mark_on_windows_1252_text_still_finds_the_header():
    text = HEADER + "W-1,José,Ñúñez,,,Perú,2012,,,\n"
    report = run(b"\xef\xbb\xbf" + text.encode("cp1252"))

    assert report.errors == []
    assert Participant.objects.get(participant_id="W-1").last_name == "Ñúñez"


def test_tab_separated_utf16_file_from_excel_unicode_text():
    text = HEADER.replace(",", "\t") + "T-1\tAmina\tBello\tamina@example.org\t\tNG\t2011\t\t\t\n"
    report = run(text.encode("utf-16"))

    assert report.errors == []
    assert report.delimiter == "\t"
    assert Participant.objects.get(participant_id="T-1").home_country == "NG"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Côte d'Ivoire", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("COTE D'IVOIRE", "CI"),
        ("Ivory Coast", "CI"),
        ("Tanzania, United Republic of", "TZ"),
        ("United Republic of Tanzania", "TZ"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Laos", "LA"),
        ("Bolivia", "BO"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo", "CG"),
        ("the Gambia", "GM"),
        ("ke", "KE"),
        ("KEN", "KE"),
        (" Norway ", "NO"),
        ("Swaziland", "SZ"),
    ],
)
def test_country_names_and_codes(value, code):
    assert country_code(value) == code


@pytest.mark.parametrize("value", ["Narnia", "Korea", "XX", "404", ""])
def test_unknown_or_ambiguous_countries_are_not_guessed(value):
    assert country_code(value) is None


# --- bad input --------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_still_import():
    report = run(load("bad_rows.csv"))

    reasons = errors_by_id(report)
    assert {problem.line for problem in report.errors} == {3, 4, 5, 6, 7, 8}
    assert reasons["BAD-NAME"] == "no name"
    assert "malformed email address" in reasons["BAD-EMAIL"]
    assert "unknown home country “Narnia”" in reasons["BAD-COUNTRY"]
    assert "“twenty-ten” is not a year" in reasons["BAD-YEAR"]
    assert "1950 is outside 1963" in reasons["BAD-RANGE"]
    assert "no roster id" in reasons[""]
    assert report.created == 2
    assert set(Participant.objects.values_list("participant_id", flat=True)) == {"OK-1", "OK-2"}


def test_missing_required_columns_are_named_in_one_error_and_nothing_is_imported():
    with pytest.raises(ParticipantRefused) as error:
        run(load("missing_columns.csv"))

    assert "email, home_country" in str(error.value)
    assert not Participant.objects.exists()


def test_an_excel_workbook_gets_a_clear_message():
    with pytest.raises(ParticipantRefused, match="Excel workbook"):
        run(b"PK\x03\x04 not a csv")


def test_rows_of_one_id_that_disagree_reject_that_person_and_shared_addresses_are_reported():
    report = run(load("conflicts.csv"))

    reasons = errors_by_id(report)
    assert "disagree" in reasons["TW-1"]
    assert "Mushi" in reasons["TW-1"]
    assert "Massawe" in reasons["TW-1"]
    assert [p.line for p in report.errors if p.participant_id == "TW-1"] == [2, 3]
    assert "shared@example.org is also given for roster id SH-2" in reasons["SH-1"]
    assert "SH-1" in reasons["SH-2"]
    assert list(Participant.objects.values_list("participant_id", flat=True)) == ["OK-3"]


def test_an_address_that_belongs_to_someone_else_is_reported_not_merged():
    ParticipantFactory(participant_id="OLD-1", email="taken@example.org")

    report = run(HEADER + "NEW-1,Ana,Cossa,Taken@example.org,,MZ,2001,,,\n")

    assert "taken@example.org already belongs to roster id OLD-1" in errors_by_id(report)["NEW-1"]
    assert not Participant.objects.filter(participant_id="NEW-1").exists()


def test_an_address_moving_from_one_person_to_another_in_the_same_file_is_fine():
    ParticipantFactory(participant_id="A", email="old@example.org")

    report = run(
        HEADER + "A,Ana,Cossa,new@example.org,,MZ,,,,\nB,Rui,Langa,old@example.org,,MZ,,,,\n"
    )

    assert report.errors == []
    assert Participant.objects.get(participant_id="B").email == "old@example.org"


def test_a_phone_number_that_is_not_one_is_left_out_with_a_warning():
    report = run(HEADER + "P-1,Ana,Cossa,,call me,MZ,,,,\nP-2,Rui,Langa,,+258 84 123 4567,MZ,,,,\n")

    assert report.errors == []
    assert [w.participant_id for w in report.warnings] == ["P-1"]
    assert Participant.objects.get(participant_id="P-1").phone == ""
    assert Participant.objects.get(participant_id="P-2").phone.as_e164 == "+258841234567"


# --- re-imports -------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing():
    run(load("bom_semicolon.csv"))
    before = {p.participant_id: p.updated_at for p in Participant.objects.all()}

    report = run(load("bom_semicolon.csv"))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert report.exchanges_added == 0
    assert Exchange.objects.count() == 5
    assert {p.participant_id: p.updated_at for p in Participant.objects.all()} == before


def test_a_changed_row_updates_the_person_and_adds_the_new_exchange():
    run(HEADER + "C-1,Ana,Cossa,ana@example.org,,MZ,2001,NO,Red Cross,FK Health\n")
    Participant.objects.filter(participant_id="C-1").update(
        email_status=Participant.EmailStatus.BOUNCED
    )

    report = run(
        HEADER
        + "C-1,Ana Maria,Cossa,ana.new@example.org,,MZ,2001,NO,Red Cross,FK Health\n"
        + "C-1,Ana Maria,Cossa,ana.new@example.org,,MZ,2005,KE,,FK Youth\n"
    )

    assert (report.created, report.updated, report.unchanged, report.exchanges_added) == (
        0,
        1,
        0,
        1,
    )
    ana = Participant.objects.get(participant_id="C-1")
    assert ana.first_name == "Ana Maria"
    assert ana.email == "ana.new@example.org"
    assert ana.email_status == Participant.EmailStatus.UNKNOWN  # a new address starts afresh
    assert sorted(ana.exchanges.values_list("year", flat=True)) == [2001, 2005]


def test_blank_cells_never_erase_what_we_know_and_hand_added_exchanges_stay():
    participant = ParticipantFactory(
        participant_id="D-1", first_name="Ana", last_name="Cossa", phone="+258841234567"
    )
    ExchangeFactory(participant=participant, year=1999)

    report = run(HEADER + "D-1,Ana,Cossa,,,,,,,\n")

    assert report.unchanged == 1
    participant.refresh_from_db()
    assert participant.phone.as_e164 == "+258841234567"
    assert participant.exchanges.count() == 1


@pytest.mark.parametrize(
    "source", [Participant.EmailSource.MEMBER, Participant.EmailSource.ADVISER]
)
def test_an_address_set_by_the_member_or_the_adviser_is_kept(source):
    ParticipantFactory(participant_id="E-1", email="mine@example.org", email_source=source)

    report = run(HEADER + "E-1,Ana,Cossa,roster@example.org,,MZ,,,,\n")

    assert report.addresses_kept == 1
    assert Participant.objects.get(participant_id="E-1").email == "mine@example.org"


def test_a_registered_members_address_is_kept():
    member = MemberFactory(participant_id="M-1", email="member@example.org")

    run(HEADER + "M-1,Ana,Cossa,other@example.org,,MZ,,,,\n")

    member.refresh_from_db()
    assert member.email == "member@example.org"
    assert member.user.email == "member@example.org"


def test_dry_run_writes_nothing_and_reports_the_same():
    dry = run(load("bad_rows.csv"), dry_run=True)
    assert not Participant.objects.exists()
    assert not Exchange.objects.exists()

    real = run(load("bad_rows.csv"))

    assert dry.lines()[3:] == real.lines()[3:]
    assert (dry.created, dry.exchanges_added, dry.errors) == (
        real.created,
        real.exchanges_added,
        real.errors,
    )
    assert "nothing was saved" in dry.summary()


def test_a_large_import_takes_a_fixed_number_of_queries():
    rows = "".join(f"Q-{n},Ana,Cossa,q{n}@example.org,,MZ,2001,NO,,\n" for n in range(300))
    with CaptureQueriesContext(connection) as small:
        run(HEADER + rows[: rows.index("Q-10,")])
    Participant.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        run(HEADER + rows)

    assert len(large.captured_queries) == len(small.captured_queries)
    assert Participant.objects.count() == 300


# --- the command ------------------------------------------------------------------------------


def test_command_prints_the_report(capsys):
    call_command("import_participants", str(FILES / "bom_semicolon.csv"))

    out = capsys.readouterr().out
    assert "4 created, 0 updated, 0 unchanged, 5 exchanges added, 0 rows rejected." in out


def test_command_dry_run_prints_the_same_report_and_writes_nothing(capsys):
    with pytest.raises(CommandError) as error:
        call_command("import_participants", str(FILES / "bad_rows.csv"), "--dry-run")

    out = capsys.readouterr().out
    assert error.value.returncode == 3
    assert "Dry run, nothing was saved: 2 created" in out
    assert "line 6 [BAD-YEAR]" in out
    assert not Participant.objects.exists()


def test_command_on_an_unusable_file_fails_with_the_reason():
    with pytest.raises(CommandError, match="lacks the required columns"):
        call_command("import_participants", str(FILES / "missing_columns.csv"))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_participants", str(FILES / "no-such-file.csv"))


@pytest.mark.django_db(transaction=True)
def test_command_exit_codes_in_a_real_process():
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_LOG_LEVEL": "WARNING"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_participants"]

    clean = subprocess.run(
        [*manage, str(FILES / "excel_cp1252.csv")], env=env, capture_output=True, text=True
    )
    bad = subprocess.run(
        [*manage, str(FILES / "bad_rows.csv")], env=env, capture_output=True, text=True
    )
    unusable = subprocess.run(
        [*manage, str(FILES / "missing_columns.csv")], env=env, capture_output=True, text=True
    )

    assert clean.returncode == 0, clean.stderr
    assert "2 created" in clean.stdout
    assert bad.returncode == 3
    assert "6 rows were not imported" in bad.stderr
    assert unusable.returncode == 1
    assert Participant.objects.count() == 4


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# --- the admin page ---------------------------------------------------------------------------


def _grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
    )
    return user


@pytest.fixture
def adviser_client(client):
    adviser = _grant(
        StaffUserFactory(email="adviser@example.org"),
        "view_participant",
        "add_participant",
        "change_participant",
    )
    client.force_login(adviser)
    return client


def _upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else load(name), "text/csv")


def test_admin_upload_imports_and_shows_the_report(adviser_client):
    response = adviser_client.post(
        reverse(IMPORT_URL), {"file": _upload("bad_rows.csv")}, follow=False
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="count-created">2<' in page
    assert "BAD-COUNTRY" in page
    assert "unknown home country “Narnia”" in page
    assert "2 created, 0 updated, 0 unchanged, 2 exchanges added, 6 rows rejected." in page
    assert Participant.objects.count() == 2


def test_admin_dry_run_saves_nothing(adviser_client):
    response = adviser_client.post(
        reverse(IMPORT_URL), {"file": _upload("bom_semicolon.csv"), "dry_run": "on"}
    )

    assert response.status_code == 200
    assert "Dry run: nothing was saved" in response.content.decode()
    assert not Participant.objects.exists()


def test_admin_unusable_file_shows_the_error_next_to_the_field(adviser_client):
    response = adviser_client.post(reverse(IMPORT_URL), {"file": _upload("missing_columns.csv")})

    assert response.status_code == 200
    assert "lacks the required columns: email, home_country" in response.content.decode()
    assert response.context["form"].errors["file"]


def test_admin_changelist_links_to_the_import_for_advisers(adviser_client):
    response = adviser_client.get(reverse("admin:members_participant_changelist"))

    assert reverse(IMPORT_URL) in response.content.decode()


def test_staff_without_both_permissions_cannot_import(client):
    staff = _grant(StaffUserFactory(), "view_participant", "add_participant")
    client.force_login(staff)

    get = client.get(reverse(IMPORT_URL))
    post = client.post(reverse(IMPORT_URL), {"file": _upload("bad_rows.csv")})
    changelist = client.get(reverse("admin:members_participant_changelist"))

    assert get.status_code == 403
    assert post.status_code == 403
    assert reverse(IMPORT_URL) not in changelist.content.decode()
    assert not Participant.objects.exists()


def test_a_member_cannot_reach_the_import(client):
    member = MemberFactory()
    client.force_login(member.user)

    response = client.post(reverse(IMPORT_URL), {"file": _upload("bad_rows.csv")})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Participant.objects.count() == 1


def test_anonymous_cannot_reach_the_import(client):
    response = client.post(reverse(IMPORT_URL), {"file": _upload("bad_rows.csv")})

    assert response.status_code == 302
    assert not Participant.objects.exists()


def test_a_new_exchange_alone_counts_the_person_as_updated():
    run(HEADER + "X-1,Ana,Cossa,,,MZ,2001,NO,,\n")

    report = run(HEADER + "X-1,Ana,Cossa,,,MZ,2001,NO,,\nX-1,Ana,Cossa,,,MZ,2003,KE,,\n")

    assert (report.updated, report.unchanged, report.exchanges_added) == (1, 0, 1)
