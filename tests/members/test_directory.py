"""The directory: who appears (only the visible), search, URL filters, pagination, queries."""

import pytest
from django.urls import reverse

from members import services
from members.models import Language
from members.models import Participant
from tests.members.factories import ExchangeFactory
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def make_member(*, visible=True, expertise=(), languages=(), **fields):
    member = MemberFactory(**fields)
    services.participant_update_profile(
        participant=member,
        data={
            "directory_visibility": (
                Participant.Visibility.MEMBERS if visible else Participant.Visibility.HIDDEN
            )
        },
        expertise=list(expertise),
        languages=list(languages),
    )
    member.refresh_from_db()
    return member


@pytest.fixture
def viewer(client):
    viewer = make_member(first_name="Viewer", last_name="Zz", visible=False)
    client.force_login(viewer.user)
    return viewer


def names(response):
    return [member.first_name for member in response.context["page"].object_list]


def test_anonymous_is_sent_to_login(client):
    visible = make_member(first_name="Visible")
    for url in [
        reverse("members:directory"),
        reverse("members:directory_profile", args=[visible.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_only_visible_members_appear_in_list_count_and_search(client, viewer):
    make_member(first_name="Shown", last_name="Alpha", organisation="Red Cross")
    make_member(first_name="Hidden", last_name="Alpha", organisation="Red Cross", visible=False)
    ParticipantFactory(first_name="Unregistered", last_name="Alpha")
    gone = make_member(first_name="Gone", last_name="Alpha", organisation="Red Cross")
    services.participant_delete_account(participant=gone)
    inactive = make_member(first_name="Inactive", last_name="Alpha")
    inactive.user.is_active = False
    inactive.user.save()

    response = client.get(reverse("members:directory"))
    assert names(response) == ["Shown"]
    assert response.context["page"].paginator.count == 1
    assert "1 member found" in response.content.decode()
    assert "Hidden" not in response.content.decode()

    response = client.get(reverse("members:directory"), {"q": "red cross"})
    assert names(response) == ["Shown"]
    assert response.context["page"].paginator.count == 1
    response = client.get(reverse("members:directory"), {"q": "hidden"})
    assert names(response) == []
    assert "Nobody matches" in response.content.decode()


def test_a_hidden_profile_is_404_to_others_but_visible_to_its_owner(client, viewer):
    hidden = make_member(first_name="Hidden", visible=False)
    visible = make_member(first_name="Visible")
    assert client.get(reverse("members:directory_profile", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("members:directory_profile", args=[visible.pk])).status_code == 200
    unregistered = ParticipantFactory()
    assert (
        client.get(reverse("members:directory_profile", args=[unregistered.pk])).status_code == 404
    )
    # The viewer is hidden too, yet sees their own page, told that others cannot.
    response = client.get(reverse("members:directory_profile", args=[viewer.pk]))
    assert response.status_code == 200
    assert "Your profile is hidden" in response.content.decode()
    assert response.context["can_contact"] is False


def test_free_text_searches_name_organisation_expertise_and_bio(client, viewer):
    water = ExpertiseFieldFactory(name="Water sanitation")
    make_member(first_name="Byname", last_name="Mwangi")
    make_member(first_name="Byorg", organisation="Makerere University")
    make_member(first_name="Byfield", expertise=[water])
    make_member(first_name="Bybio", bio="I teach midwifery in Lilongwe.")
    make_member(first_name="Other")
    search = {
        "mwangi": ["Byname"],
        "MAKERERE univ": ["Byorg"],
        "sanitation": ["Byfield"],
        "midwifery": ["Bybio"],
        "midwifery mwangi": [],
    }
    for text, expected in search.items():
        response = client.get(reverse("members:directory"), {"q": text})
        assert names(response) == expected, text


def test_search_ignores_accents_both_ways(client, viewer):
    make_member(first_name="José", last_name="Muñoz", organisation="Université Côte d'Ivoire")
    make_member(first_name="Jose", last_name="Plain")

    for text, expected in {
        "jose": ["José", "Jose"],
        "JOSÉ munoz": ["José"],
        "cote d'ivoire": ["José"],
        "muñoz": ["José"],
    }.items():
        response = client.get(reverse("members:directory"), {"q": text})
        assert sorted(names(response)) == sorted(expected), text


def test_an_unapproved_expertise_is_not_searchable(client, viewer):
    pending = ExpertiseFieldFactory(name="Beekeeping", is_approved=False)
    make_member(first_name="Bee", expertise=[pending])
    assert names(client.get(reverse("members:directory"), {"q": "beekeeping"})) == []


def test_filters_combine_and_stay_in_the_url(client, viewer):
    health = ExpertiseFieldFactory(name="Health")
    french, _ = Language.objects.get_or_create(code="fr", defaults={"name": "French"})
    match = make_member(
        first_name="Match",
        home_country="UG",
        residence_country="KE",
        expertise=[health],
        languages=[french],
    )
    ExchangeFactory(participant=match, host_country="NO", programme="FK Health", year=2012)
    near = make_member(first_name="Near", home_country="UG", residence_country="KE")
    ExchangeFactory(participant=near, host_country="TZ", programme="FK Health", year=2012)
    make_member(first_name="Far", home_country="NP")
    params = {
        "expertise": health.pk,
        "language": "fr",
        "home_country": "UG",
        "residence_country": "KE",
        "host_country": "NO",
        "programme": "FK Health",
        "year": "2012",
    }
    response = client.get(reverse("members:directory"), params)
    assert names(response) == ["Match"]
    for key, value in params.items():
        assert names(client.get(reverse("members:directory"), {key: value}))[0] in ("Match", "Near")
    assert sorted(names(client.get(reverse("members:directory"), {"home_country": "UG"}))) == [
        "Match",
        "Near",
    ]
    assert names(client.get(reverse("members:directory"), {"host_country": "TZ"})) == ["Near"]
    # The form shows the filters it was given, so the URL is the search.
    text = response.content.decode()
    assert 'value="2012"' in text
    assert '<option value="UG" selected>' in text


def test_a_bad_filter_says_so_and_the_others_still_apply(client, viewer):
    make_member(first_name="Uganda", home_country="UG")
    make_member(first_name="Kenya", home_country="KE")
    response = client.get(reverse("members:directory"), {"year": "19", "home_country": "UG"})
    assert response.status_code == 200
    assert "year" in response.context["form"].errors
    assert names(response) == ["Uganda"]


def test_pagination_keeps_the_filters(client, viewer):
    for n in range(25):
        make_member(first_name=f"M{n:02d}", last_name="Same", home_country="KE")
    response = client.get(reverse("members:directory"), {"home_country": "KE"})
    assert len(names(response)) == 20
    assert "home_country=KE&amp;page=2" in response.content.decode()
    response = client.get(reverse("members:directory"), {"home_country": "KE", "page": 2})
    assert len(names(response)) == 5


@pytest.mark.parametrize("members", [3, 30])
def test_the_directory_runs_a_fixed_number_of_queries(
    client, viewer, members, django_assert_max_num_queries
):
    fields = [ExpertiseFieldFactory(name=f"F{n}") for n in range(3)]
    for n in range(members):
        member = make_member(first_name=f"M{n}", expertise=fields)
        ExchangeFactory(participant=member)
    client.get(reverse("members:directory"))  # warm the programme cache
    with django_assert_max_num_queries(8):
        response = client.get(reverse("members:directory"), {"q": "m", "home_country": "KE"})
    assert len(names(response)) == min(members, 20)


@pytest.mark.parametrize("extra", [1, 10])
def test_the_profile_page_runs_a_fixed_number_of_queries(
    client, viewer, extra, django_assert_max_num_queries
):
    fields = [ExpertiseFieldFactory(name=f"F{n}") for n in range(extra)]
    member = make_member(first_name="Many", expertise=fields)
    for n in range(extra):
        ExchangeFactory(participant=member, year=2000 + n)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("members:directory_profile", args=[member.pk]))
    assert response.status_code == 200


def test_a_member_renamed_by_a_roster_import_is_found_by_the_new_name(client, viewer):
    from members.roster_import import roster_import

    member = make_member(first_name="Old", last_name="Name", home_country="KE")
    csv = (
        "participant_id,first_name,last_name,email,home_country\n"
        f"{member.participant_id},Nuru,Wanjiku,{member.email},KE\n"
    ).encode()
    report = roster_import(data=csv, source="test.csv")
    assert report.updated == 1, report.summary()
    assert names(client.get(reverse("members:directory"), {"q": "wanjiku"})) == ["Nuru"]
    assert names(client.get(reverse("members:directory"), {"q": "old name"})) == []
