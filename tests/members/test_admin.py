"""The roster admin: filters, search, CSV export, counts by country, permissions, query counts."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invitations.models import Invitation
from members.admin import ParticipantAdmin
from members.admin_reports import participant_export_header
from members.csv_export import UTF8_BOM
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_participant_changelist"
EXPORT = "admin:members_participant_export"
COUNTS = "admin:members_participant_counts_by_country"


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
    )
    return user


@pytest.fixture
def adviser_client(client):
    adviser = grant(
        StaffUserFactory(email="adviser@example.org"),
        "view_participant",
        "change_participant",
        "add_participant",
        "view_user",
    )
    client.force_login(adviser)
    return client


@pytest.fixture
def roster():
    """A small roster where every filter picks a different, known set of people."""
    people = {}
    people["ke_member"] = MemberFactory(
        participant_id="KE-1",
        first_name="Wanjiru",
        last_name="Kamau",
        home_country="KE",
        resource_person=True,
        directory_visibility=Participant.Visibility.MEMBERS,
    )
    ExchangeFactory(
        participant=people["ke_member"], year=1987, host_country="NO", programme="FK Volunteers"
    )
    people["ke_bounced"] = ParticipantFactory(
        participant_id="KE-2",
        first_name="Otieno",
        last_name="Achieng",
        home_country="KE",
        email_status=Participant.EmailStatus.BOUNCED,
    )
    ExchangeFactory(
        participant=people["ke_bounced"],
        year=2019,
        host_country="TZ",
        programme="Norec South-South",
        partner_organisation="Arusha Youth Centre",
    )
    ExchangeFactory(
        participant=people["ke_bounced"],
        year=2021,
        host_country="NO",
        programme="Norec Health",
        partner_organisation="Bergen District Hospital",
    )
    people["np_declined"] = ParticipantFactory(
        participant_id="NP-1",
        first_name="Sita",
        last_name="Shrestha",
        home_country="NP",
        declined_invitations=True,
        email_source=Participant.EmailSource.ADVISER,
    )
    ExchangeFactory(
        participant=people["np_declined"], year=1965, host_country="NO", programme="FK Volunteers"
    )
    people["bo_complained"] = ParticipantFactory(
        participant_id="BO-1",
        first_name="José Luis",
        last_name="Mamani",
        home_country="BO",
        email_status=Participant.EmailStatus.COMPLAINED,
    )
    ExchangeFactory(
        participant=people["bo_complained"], year=2005, host_country="NO", programme="FK Youth"
    )
    people["gh_no_exchange"] = ParticipantFactory(
        participant_id="GH-1", first_name="Kwame", last_name="Mensah", home_country="GH"
    )
    people["stateless"] = ParticipantFactory(
        participant_id="XX-1", first_name="Nobody", last_name="Known", home_country=""
    )
    return people


def listed(client, params: dict) -> set[str]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200, response
    return set(response.context["cl"].queryset.values_list("participant_id", flat=True))


ALL = {"KE-1", "KE-2", "NP-1", "BO-1", "GH-1", "XX-1"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        ({"home_country": "KE"}, {"KE-1", "KE-2"}),
        ({"home_country": "none"}, {"XX-1"}),
        ({"programme": "Norec Health"}, {"KE-2"}),
        ({"programme": "FK Volunteers"}, {"KE-1", "NP-1"}),
        ({"exchange_year": "1960s"}, {"NP-1"}),
        ({"exchange_year": "1987"}, {"KE-1"}),
        ({"exchange_year": "1980s"}, {"KE-1"}),
        ({"exchange_year": "2010s"}, {"KE-2"}),
        ({"exchange_year": "2021"}, {"KE-2"}),
        ({"exchange_year": "1999"}, set()),
        ({"host_country": "TZ"}, {"KE-2"}),
        ({"host_country": "NO"}, {"KE-1", "KE-2", "NP-1", "BO-1"}),
        ({"registered": "yes"}, {"KE-1"}),
        ({"registered": "no"}, ALL - {"KE-1"}),
        ({"email_status": "bad"}, {"KE-2", "BO-1"}),
        ({"email_status": "bounced"}, {"KE-2"}),
        ({"email_status": "complained"}, {"BO-1"}),
        ({"email_source__exact": "adviser"}, {"NP-1"}),
        ({"declined_invitations__exact": "1"}, {"NP-1"}),
        ({"resource_person__exact": "1"}, {"KE-1"}),
        ({"directory_visibility__exact": "members"}, {"KE-1"}),
        ({"home_country": "KE", "email_status": "bad"}, {"KE-2"}),
    ],
)
def test_each_filter_lists_exactly_the_right_people(adviser_client, roster, params, expected):
    assert listed(adviser_client, params) == expected


def test_exchange_filters_neither_duplicate_people_nor_inflate_their_exchange_count(
    adviser_client, roster
):
    response = adviser_client.get(reverse(CHANGELIST), {"host_country": "NO"})
    rows = {p.participant_id: p for p in response.context["cl"].result_list}
    assert len(response.context["cl"].result_list) == 4
    assert rows["KE-2"].exchange_count == 2
    assert rows["KE-1"].exchange_count == 1


def test_unfiltered_list_shows_exchange_counts_and_marks_bad_addresses(adviser_client, roster):
    response = adviser_client.get(reverse(CHANGELIST))
    rows = {p.participant_id: p for p in response.context["cl"].result_list}
    assert rows["GH-1"].exchange_count == 0
    assert rows["KE-2"].exchange_count == 2
    content = response.content.decode()
    # The two bad addresses (bounced, complained) are flagged; nobody else is.
    assert content.count('class="email-bad"') == 2


def test_a_nonsense_exchange_year_is_refused_without_an_error_page(adviser_client, roster):
    response = adviser_client.get(reverse(CHANGELIST), {"exchange_year": "soon"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_choosing_a_decade_offers_its_years(adviser_client, roster):
    response = adviser_client.get(reverse(CHANGELIST), {"exchange_year": "1980s"})
    content = response.content.decode()
    assert "exchange_year=1987" in content
    assert "exchange_year=1977" not in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("KE-2", {"KE-2"}),
        ("Sita", {"NP-1"}),
        ("mamani", {"BO-1"}),
        ("kwame.mensah", {"GH-1"}),
    ],
)
def test_search_by_roster_id_names_and_email(adviser_client, roster, query, expected):
    assert listed(adviser_client, {"q": query}) == expected


def test_search_finds_a_member_by_their_login_address(adviser_client, roster):
    user = roster["ke_member"].user
    user.email = "wanjiru-login@example.net"
    user.save()
    assert listed(adviser_client, {"q": "wanjiru-login"}) == {"KE-1"}


def changelist_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


def test_changelist_query_count_does_not_grow_with_the_page(adviser_client):
    for number in range(3):
        ExchangeFactory(participant=MemberFactory(participant_id=f"A{number}"))
    small_queries, small_rows = changelist_queries(adviser_client)
    for number in range(40):
        participant = (
            MemberFactory(participant_id=f"B{number}")
            if number % 2
            else ParticipantFactory(participant_id=f"B{number}")
        )
        ExchangeFactory(participant=participant, year=1990 + number)
        ExchangeFactory(participant=participant, year=2000 + number, host_country="TZ")
    large_queries, large_rows = changelist_queries(adviser_client)
    assert (small_rows, large_rows) == (3, 43)
    assert large_queries == small_queries


def read_csv(response) -> tuple[str, list[list[str]]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="participants-')
    raw = b"".join(response.streaming_content).decode("utf-8")
    return raw, list(csv.reader(io.StringIO(raw.removeprefix(UTF8_BOM))))


def test_csv_export_holds_exactly_the_filtered_people_on_every_page(
    adviser_client, roster, monkeypatch
):
    # One row a page: the export must still hold everyone the filters select, not just page 1.
    monkeypatch.setattr(ParticipantAdmin, "list_per_page", 1)
    response = adviser_client.get(reverse(EXPORT), {"home_country": "KE"})
    raw, rows = read_csv(response)
    assert raw.startswith(UTF8_BOM)
    assert rows[0] == participant_export_header()
    assert sorted(row[0] for row in rows[1:]) == ["KE-1", "KE-2"]


def test_csv_export_follows_search_and_exchange_filters(adviser_client, roster):
    _raw, rows = read_csv(adviser_client.get(reverse(EXPORT), {"host_country": "NO"}))
    assert sorted(row[0] for row in rows[1:]) == ["BO-1", "KE-1", "KE-2", "NP-1"]
    _raw, rows = read_csv(adviser_client.get(reverse(EXPORT), {"q": "José"}))
    assert [row[0] for row in rows[1:]] == ["BO-1"]


def test_csv_row_summarises_exchanges_and_keeps_accents(adviser_client, roster):
    _raw, rows = read_csv(adviser_client.get(reverse(EXPORT)))
    header = rows[0]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert len(by_id) == len(ALL)
    bounced = by_id["KE-2"]
    assert bounced["number of exchanges"] == "2"
    assert bounced["exchanges"] == (
        "2019 / Tanzania / Norec South-South / Arusha Youth Centre; "
        "2021 / Norway / Norec Health / Bergen District Hospital"
    )
    assert bounced["email status"] == "bounced"
    assert bounced["home country"] == "Kenya"
    assert by_id["BO-1"]["first name"] == "José Luis"
    assert by_id["KE-1"]["registered"] == "yes"
    assert by_id["GH-1"]["registered"] == "no"
    assert by_id["GH-1"]["number of exchanges"] == "0"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(adviser_client):
    ParticipantFactory(participant_id="F-1", first_name="=HYPERLINK(1)", last_name="-x")
    _raw, rows = read_csv(adviser_client.get(reverse(EXPORT)))
    assert rows[1][1:3] == ["'=HYPERLINK(1)", "'-x"]


def test_csv_export_action_exports_the_selected_people(adviser_client, roster):
    selected = [roster["np_declined"].pk, roster["gh_no_exchange"].pk]
    response = adviser_client.post(
        reverse(CHANGELIST),
        {"action": "export_csv_action", "_selected_action": selected},
    )
    _raw, rows = read_csv(response)
    assert sorted(row[0] for row in rows[1:]) == ["GH-1", "NP-1"]


def test_changelist_links_the_export_with_the_current_filters(adviser_client, roster):
    response = adviser_client.get(reverse(CHANGELIST), {"home_country": "KE", "p": "1"})
    content = response.content.decode()
    assert f'href="{reverse(EXPORT)}?home_country=KE"' in content
    assert f'href="{reverse(COUNTS)}"' in content
    assert "Export 2 participants as CSV" in content


def test_decline_action_uses_the_service_and_reports(adviser_client, roster):
    selected = [roster["gh_no_exchange"].pk, roster["np_declined"].pk]
    response = adviser_client.post(
        reverse(CHANGELIST),
        {"action": "decline_invitations_action", "_selected_action": selected},
        follow=True,
    )
    roster["gh_no_exchange"].refresh_from_db()
    assert roster["gh_no_exchange"].declined_invitations is True
    messages = [str(message) for message in response.context["messages"]]
    # Only Kwame changed: Sita had declined already.
    assert messages == ["1 participant will no longer be invited."]


def test_counts_by_country_equal_direct_database_counts(adviser_client, roster):
    response = adviser_client.get(reverse(COUNTS))
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.context["rows"]}
    assert set(rows) == {"KE", "NP", "BO", "GH", ""}
    for code, row in rows.items():
        people = Participant.objects.filter(home_country=code)
        assert row["participants"] == people.count()
        assert row["registered"] == people.filter(user__isnull=False).count()
        assert (
            row["bad_address"] == people.filter(email_status__in=["bounced", "complained"]).count()
        )
    assert [row["code"] for row in response.context["rows"]][0] == "KE"  # largest first
    assert rows["KE"]["registered"] == 1 and rows["KE"]["bad_address"] == 1


def test_each_count_links_to_a_changelist_showing_that_many(adviser_client, roster):
    response = adviser_client.get(reverse(COUNTS))
    for row in response.context["rows"]:
        for key in ("participants", "registered", "bad_address", "never_invited"):
            url = row[f"{key}_url"]
            assert f'href="{url}"'.replace("&", "&amp;") in response.content.decode()
            linked = adviser_client.get(url)
            assert linked.status_code == 200
            assert linked.context["cl"].result_count == row[key], (row["code"], key)


@pytest.fixture
def invitations_history(roster):
    """Kamau accepted an invitation, Achieng's bounced, Mamani's waits in a launched wave, Mensah's
    was revoked before it left (a cancelled wave): he, Shrestha and Nobody were never invited."""
    now = timezone.now()
    Invitation.objects.create(
        participant=roster["ke_member"], status=Invitation.Status.ACCEPTED, sent_at=now
    )
    Invitation.objects.create(
        participant=roster["ke_bounced"], status=Invitation.Status.BOUNCED, sent_at=now
    )
    Invitation.objects.create(participant=roster["bo_complained"], status=Invitation.Status.PENDING)
    Invitation.objects.create(
        participant=roster["gh_no_exchange"], status=Invitation.Status.REVOKED
    )
    return roster


def test_never_invited_counts_those_no_invitation_reached_or_awaits(
    adviser_client, invitations_history
):
    response = adviser_client.get(reverse(COUNTS))

    never = {row["code"]: row["never_invited"] for row in response.context["rows"]}
    assert never == {"KE": 0, "NP": 1, "BO": 0, "GH": 1, "": 1}
    assert response.context["totals"]["never_invited"] == 3
    assert listed(adviser_client, {"invited": "never"}) == {"NP-1", "GH-1", "XX-1"}
    assert listed(adviser_client, {"invited": "yes"}) == {"KE-1", "KE-2", "BO-1"}
    total_link = reverse(CHANGELIST) + "?invited=never"
    assert f'href="{total_link}"' in response.content.decode()


def test_a_bad_invited_filter_value_is_not_an_error(adviser_client, roster):
    response = adviser_client.get(reverse(CHANGELIST), {"invited": "sometimes"})

    assert response.status_code in (200, 302)


def test_other_admins_load_and_search(roster, admin_client):
    for name in ("exchange", "expertisefield", "language", "user"):
        response = admin_client.get(reverse(f"admin:members_{name}_changelist"), {"q": "e"})
        assert response.status_code == 200, name
    response = admin_client.get(
        reverse("admin:members_participant_change", args=[roster["ke_bounced"].pk])
    )
    assert response.status_code == 200
    assert "Arusha Youth Centre" in response.content.decode()  # the exchanges inline
    assert 'data-ajax--url="/admin/autocomplete/"' in response.content.decode()


@pytest.mark.parametrize("name", [CHANGELIST, EXPORT, COUNTS])
def test_staff_without_the_view_permission_is_refused(client, roster, name):
    client.force_login(StaffUserFactory(email="no-perms@example.org"))
    response = client.get(reverse(name))
    assert response.status_code == 403


def test_staff_without_the_view_permission_cannot_export_through_the_action(client, roster):
    staff = grant(StaffUserFactory(email="deleter@example.org"), "delete_participant")
    client.force_login(staff)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "export_csv_action", "_selected_action": [roster["ke_member"].pk]},
    )
    assert response.status_code == 403


def test_view_permission_alone_is_enough_to_export(client, roster):
    client.force_login(grant(StaffUserFactory(email="viewer@example.org"), "view_participant"))
    _raw, rows = read_csv(client.get(reverse(EXPORT), {"registered": "yes"}))
    assert [row[0] for row in rows[1:]] == ["KE-1"]


@pytest.mark.parametrize("name", [CHANGELIST, EXPORT, COUNTS])
def test_a_member_who_is_not_staff_is_sent_to_the_login_page(client, roster, name):
    member = UserFactory(email="member@example.org")
    grant(member, "view_participant")  # permissions alone do not open the back office
    client.force_login(member)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_show_counts_facets_work_with_the_custom_filters(adviser_client, roster):
    response = adviser_client.get(reverse(CHANGELIST), {"_facets": "True"})
    assert response.status_code == 200
    content = response.content.decode()
    # Two people in Kenya and two with a bad address (bounced or complained).
    assert "Kenya (2)" in content
    assert "Bad address (bounced or complained) (2)" in content
