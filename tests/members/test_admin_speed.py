"""The participant list at 100,000 participants (issue 14, item 5): what keeps it fast, tested as
behaviour (fixed query counts, the right rows on every page, the search's index in use), never as
timings. `bench/bench_admin.py` measures the timings."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.admin import ParticipantAdmin
from members.admin import _country_name
from members.admin_list import participant_search
from members.models import ADMIN_SEARCH_TEXT
from members.models import Participant
from members.models import User
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.members.test_admin import grant

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_participant_changelist"
PER_PAGE = 5


@pytest.fixture
def adviser_client(client):
    adviser = grant(StaffUserFactory(email="adviser@example.org"), "view_participant")
    client.force_login(adviser)
    return client


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of five rows, so that a handful of people fill several pages."""
    monkeypatch.setattr(ParticipantAdmin, "list_per_page", PER_PAGE)


def make_people(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        person = (MemberFactory if n % 3 == 0 else ParticipantFactory)(
            participant_id=f"P-{n:03d}",
            first_name=f"Name{n:03d}",
            last_name="Banda" if n % 2 else f"Family{n:03d}",
            home_country=["KE", "NO", "VN", "BR"][n % 4],
        )
        for year in range(n % 3):
            ExchangeFactory(participant=person, year=1990 + year, host_country="NO")


def rows_of(response) -> list[Participant]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


PAGES = {"first page": {}, "search": {"q": "banda"}, "a later page": {"p": "3"}}


@pytest.mark.parametrize("params", PAGES.values(), ids=PAGES.keys())
def test_each_page_of_the_list_costs_the_same_queries_however_large_the_roster(
    adviser_client, small_pages, params, django_assert_num_queries
):
    make_people(20)
    adviser_client.get(reverse(CHANGELIST), params)  # warm caches (content types, session)
    with django_assert_num_queries(10):
        response = adviser_client.get(reverse(CHANGELIST), params)
    assert len(rows_of(response)) == PER_PAGE
    make_people(40, start=20)
    with django_assert_num_queries(10):
        response = adviser_client.get(reverse(CHANGELIST), params)
    assert len(rows_of(response)) == PER_PAGE


@pytest.mark.parametrize("params", [{}, {"q": "banda"}], ids=["list", "search"])
def test_the_list_costs_the_same_queries_for_3_and_for_30_participants(
    adviser_client, params, django_assert_num_queries
):
    make_people(3)
    adviser_client.get(reverse(CHANGELIST), params)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as small:
        assert adviser_client.get(reverse(CHANGELIST), params).status_code == 200
    make_people(27, start=3)
    with django_assert_num_queries(len(small.captured_queries)):
        response = adviser_client.get(reverse(CHANGELIST), params)
    assert len(rows_of(response)) == (30 if not params else 15)
    assert len(small.captured_queries) == 10


def test_a_search_that_finds_nobody_costs_the_same_queries(adviser_client, small_pages):
    make_people(20)
    adviser_client.get(reverse(CHANGELIST), {"q": "banda"})  # warm caches
    with CaptureQueriesContext(connection) as found:
        assert len(rows_of(adviser_client.get(reverse(CHANGELIST), {"q": "banda"}))) == PER_PAGE
    with CaptureQueriesContext(connection) as nobody:
        response = adviser_client.get(reverse(CHANGELIST), {"q": "nobody-by-this-name"})
    assert rows_of(response) == [] and response.context["cl"].result_count == 0
    assert len(nobody.captured_queries) == len(found.captured_queries)


def test_a_later_page_holds_the_rows_of_that_place_in_the_roster_with_their_exchanges(
    adviser_client, small_pages
):
    make_people(23)
    expected = list(Participant.objects.order_by("last_name", "first_name", "id"))

    shown = [rows_of(adviser_client.get(reverse(CHANGELIST), {"p": p})) for p in (1, 2, 3, 4, 5)]

    assert [person.pk for page in shown for person in page] == [p.pk for p in expected]
    for person in shown[2]:
        assert person.exchange_count == person.exchanges.count()
    assert [len(page) for page in shown] == [5, 5, 5, 5, 3]


def test_each_page_of_a_search_holds_its_rows_and_the_whole_count(adviser_client, small_pages):
    """A searched list counts and picks its page in one query: every page still says how many
    were found in all, and holds the next rows of them."""
    make_people(23)
    expected = list(Participant.objects.filter(last_name="Banda").order_by("first_name", "id"))
    assert len(expected) == 11

    pages = []
    for p in (1, 2, 3):
        response = adviser_client.get(reverse(CHANGELIST), {"q": "banda", "p": p})
        assert response.context["cl"].result_count == 11
        assert "Export 11 participants as CSV" in response.content.decode()
        pages.append(rows_of(response))

    assert [person.pk for page in pages for person in page] == [p.pk for p in expected]
    assert [len(page) for page in pages] == [5, 5, 1]
    for person in pages[1]:
        assert person.exchange_count == person.exchanges.count()
    # A page past the end is refused as Django refuses it (back to the list, flagged).
    past = adviser_client.get(reverse(CHANGELIST), {"q": "banda", "p": 4})
    assert past.status_code == 302 and "e=1" in past["Location"]


def test_pages_keep_an_order_chosen_by_a_column(adviser_client, small_pages):
    make_people(12)
    # The changelist's columns start with the action checkbox.
    column = 1 + ParticipantAdmin.list_display.index("exchange_count_column")

    pages = [
        rows_of(adviser_client.get(reverse(CHANGELIST), {"o": f"-{column}", "p": p}))
        for p in (1, 2, 3)
    ]

    people = [person for page in pages for person in page]
    assert sorted(person.pk for person in people) == sorted(
        Participant.objects.values_list("pk", flat=True)
    )
    counts = [person.exchange_count for person in people]
    assert counts == sorted(counts, reverse=True)
    assert counts == [person.exchanges.count() for person in people]


def test_the_search_finds_each_field_it_promises_and_nothing_else(adviser_client):
    kamau = MemberFactory(
        participant_id="KE-0042",
        first_name="Wanjiru",
        last_name="Kamau",
        email="roster.address@example.org",
    )
    kamau.user.email = "login.only@example.net"
    kamau.user.save()
    other = ParticipantFactory(
        participant_id="TZ-7", first_name="Neema", last_name="Mushi", email="neema@example.org"
    )

    def found(term: str) -> set[str]:
        response = adviser_client.get(reverse(CHANGELIST), {"q": term})
        return {person.participant_id for person in rows_of(response)}

    for term in ["ke-004", "WANJIRU", "kamau", "roster.address", "login.only", "EXAMPLE.NET"]:
        assert found(term) == {kamau.participant_id}, term
    assert found("example.org") == {kamau.participant_id, other.participant_id}
    # Every word must occur; a quoted phrase is one word, across first and last name.
    assert found("wanjiru kamau") == {kamau.participant_id}
    assert found("wanjiru mushi") == set()
    assert found('"wanjiru kamau"') == {kamau.participant_id}
    assert found("nobody-by-this-name") == set()
    assert found("kamau nobody-by-this-name") == set()
    assert found("example.org neema") == {other.participant_id}
    assert found("login.only KE-0042 wanjiru") == {kamau.participant_id}
    # Characters LIKE treats specially are searched as themselves.
    assert found("%") == set()
    assert found("_") == set()


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Left only a bitmap scan of an index the condition matches, or else a (costly) scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_search_reads_the_trigram_indexes():
    """The indexes of migration 0013 must match the expressions the search uses: were the search's
    expression changed without the index, the planner could only scan the roster."""
    ParticipantFactory(first_name="Wanjiru", last_name="Kamau")
    in_roster = Participant.objects.alias(text=ADMIN_SEARCH_TEXT).filter(text__icontains="kamau")
    by_login = User.objects.filter(email__icontains="kamau")

    assert "participant_admin_search_idx" in plan_of(in_roster)
    assert "user_email_search_idx" in plan_of(by_login)
    # The list's own search reads both, for each word.
    searched = plan_of(
        participant_search(Participant.objects.order_by("last_name"), "kamau wanjiru")
    )
    assert searched.count("participant_admin_search_idx") == 2
    assert searched.count("user_email_search_idx") == 2


@pytest.mark.parametrize(
    ("language", "norway"), [("en", "Norway"), ("fr", "Norvège"), ("es", "Noruega")]
)
def test_the_country_column_names_the_country_in_the_staff_members_language(
    adviser_client, language, norway
):
    ParticipantFactory(home_country="NO", first_name="Kari", last_name="Nordmann")
    # The language the staff member chose with the switcher (its cookie).
    adviser_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = adviser_client.get(reverse(CHANGELIST))

    row = re.search(r"<tr>.*?Nordmann.*?</tr>", response.content.decode(), re.S).group(0)
    assert f'<td class="field-home_country_column">{norway}</td>' in row
    assert _country_name("NO", language) == norway


def test_the_country_filter_lists_the_countries_on_the_roster_and_none(adviser_client):
    for country in ["KE", "NO", "KE", ""]:
        ParticipantFactory(home_country=country)
    ExchangeFactory(host_country="TZ", programme="FK Health")
    ExchangeFactory(host_country="NO", programme="")

    response = adviser_client.get(reverse(CHANGELIST))

    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    assert filters["home country"].lookup_choices == [
        ("KE", "Kenya"),
        ("NO", "Norway"),
        ("none", "(no country)"),
    ]
    assert [code for code, _ in filters["host country (any exchange)"].lookup_choices] == [
        "NO",
        "TZ",
    ]
    assert filters["programme (any exchange)"].lookup_choices == [("FK Health", "FK Health")]


def test_the_admin_index_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    client.force_login(StaffUserFactory(is_superuser=True))
    make_people(5)
    client.get(reverse("admin:index"))  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("admin:index")).status_code == 200
    make_people(30, start=5)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(reverse("admin:index")).status_code == 200


def test_each_row_is_drawn_as_django_draws_it(adviser_client):
    """The list writes its checkboxes, yes/no icons and row links itself (Django's own ways cost
    a widget template, two static lookups and a reverse() per row): the same HTML as Django's."""
    from django.contrib import admin as django_admin
    from django.contrib.admin.templatetags.admin_list import _boolean_icon

    member = MemberFactory(last_name="Registered", declined_invitations=True)
    person = ParticipantFactory(last_name="Roster", email_status="bounced")
    model_admin = django_admin.site._registry[Participant]

    page = adviser_client.get(reverse(CHANGELIST)).content.decode()

    for someone in (member, person):
        (row,) = [
            row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if f'value="{someone.pk}"' in row
        ]
        assert str(django_admin.ModelAdmin.action_checkbox(model_admin, someone)) in row
        change = reverse("admin:members_participant_change", args=[someone.pk])
        assert f'<a href="{change}">' in row
        registered = someone.user_id is not None
        assert f'<td class="field-registered_column">{_boolean_icon(registered)}</td>' in row
        declined = someone.declined_invitations
        assert f'<td class="field-declined_column">{_boolean_icon(declined)}</td>' in row
    assert "&#9888; bounced</strong>" in page


def test_the_email_status_reads_in_the_readers_language():
    from django.utils import translation

    from members.admin import _email_status_label

    with translation.override("fr"):
        french = str(Participant.EmailStatus.BOUNCED.label)
        assert _email_status_label("bounced", "fr") == french
    assert french != str(Participant.EmailStatus.BOUNCED.label)
    assert _email_status_label("bounced", "en") == str(Participant.EmailStatus.BOUNCED.label)


def test_a_searched_lists_rows_link_to_the_person_and_back_to_the_search(adviser_client):
    person = ParticipantFactory(last_name="Banda")

    page = adviser_client.get(reverse(CHANGELIST), {"q": "banda"}).content.decode()

    change = reverse("admin:members_participant_change", args=[person.pk])
    assert f'<a href="{change}?_changelist_filters=q%3Dbanda">' in page


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "o"}, {"o": "-5.2", "registered": "no"}],
    ids=["plain", "searched", "sorted"],
)
def test_the_list_draws_every_row_exactly_as_django_would(adviser_client, params):
    """`result_rows` draws the rows itself (Django looks each cell's column up again): cell for
    cell the same HTML as Django's own `results`, whatever the row holds."""
    from django.contrib.admin.templatetags.admin_list import results

    from members.admin_list import result_rows

    member = MemberFactory(first_name="Zoë & <Co>", last_name="O'Brien", home_country="NO")
    member.deleted_at = member.created_at
    member.save()
    ParticipantFactory(first_name="", last_name="Mushi", home_country="", email_status="bounced")
    ParticipantFactory(first_name="Ana", last_name="Costa", email="", preferred_language="pt")
    ExchangeFactory(participant=ParticipantFactory(last_name="Otieno", declined_invitations=True))
    ExchangeFactory(participant=member, year=1990)
    ExchangeFactory(participant=member, year=1991)

    response = adviser_client.get(reverse(CHANGELIST), params)

    changelist = response.context["cl"]
    django_rows = ["".join(row) for row in results(changelist)]
    assert len(django_rows) >= 2
    assert ["".join(row) for row in result_rows(changelist)] == django_rows
    # And that is what the page shows.
    page = response.content.decode()
    for row in django_rows:
        assert f"<tr>{row}</tr>" in page


def test_the_participant_chooser_of_other_admins_pages_through_the_same_search(client):
    """Autocomplete fields (an exchange's participant) search and page with the list's own search
    and paginator: every match, once, page after page."""
    client.force_login(StaffUserFactory(is_superuser=True))
    banda = {str(ParticipantFactory(last_name="Banda").pk) for _ in range(25)}
    ParticipantFactory(last_name="Phiri")
    params = {
        "app_label": "members",
        "model_name": "exchange",
        "field_name": "participant",
        "term": "banda",
    }

    pages = [
        client.get(reverse("admin:autocomplete"), {**params, "page": p}).json() for p in (1, 2)
    ]

    assert [page["pagination"]["more"] for page in pages] == [True, False]
    found = [result["id"] for page in pages for result in page["results"]]
    assert len(found) == 25 and set(found) == banda
