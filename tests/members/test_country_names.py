"""Country names in the member's language, in every list and select they see, sorted by the name
shown (issue 12, item 4). The names come from django-countries' own catalogues: for "pt" it
reads its European Portuguese one (pt_PT), the one Mozambique reads ("Moçambique", "Egipto")."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from core.countries import all_countries_by_name
from core.countries import countries_by_name
from core.countries import name_sort_key
from members import services
from members.models import Participant
from tests.activities.factories import PhysicalActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def options(body: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', body, re.DOTALL)
    select = select or re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.DOTALL)
    select = select.group(1)
    return [
        (value, unescape(label))
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
        if value
    ]


def assert_sorted_by_shown_name(choices):
    names = [label for _code, label in choices]
    assert names == sorted(names, key=name_sort_key)


def visible_member(**fields):
    member = MemberFactory(**fields)
    return services.participant_update_profile(
        participant=member, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )


def test_the_directorys_country_filters_are_in_the_members_language_and_sorted(client):
    client.force_login(MemberFactory(preferred_language="fr").user)
    body = client.get(reverse("members:directory")).content.decode()
    for name in ("home_country", "residence_country", "host_country"):
        choices = options(body, name)
        assert ("NO", "Norvège") in choices and ("ZA", "Afrique du Sud") in choices
        assert_sorted_by_shown_name(choices)
    # "Afrique du Sud" among the A's, "Égypte" among the E's (not after "Zimbabwe").
    names = [label for _code, label in options(body, "home_country")]
    assert names.index("Afghanistan") < names.index("Afrique du Sud") < names.index("Albanie")
    assert names.index("Égypte") < names.index("Estonie") < names.index("Zimbabwe")


def test_the_directorys_cards_and_profiles_name_countries_in_the_readers_language(client):
    shown = visible_member(first_name="Lindiwe", home_country="MZ")
    services.participant_update_profile(participant=shown, data={"residence_country": "NO"})
    client.force_login(MemberFactory(preferred_language="es").user)
    listing = client.get(reverse("members:directory")).content.decode()
    assert "Noruega" in listing
    profile = client.get(reverse("members:directory_profile", args=[shown.pk])).content.decode()
    assert "Noruega" in profile and "Mozambique" in profile and "Norway" not in profile


def test_the_profiles_country_of_residence_in_the_members_language(client):
    client.force_login(MemberFactory(preferred_language="es").user)
    choices = options(
        client.get(reverse("members:profile_edit")).content.decode(), "residence_country"
    )
    assert ("NO", "Noruega") in choices and ("DE", "Alemania") in choices
    assert_sorted_by_shown_name(choices)


def test_the_request_form_in_portuguese_names_countries_as_mozambique_reads_them(client):
    body = client.get(
        reverse("invitations:request"), headers={"accept-language": "pt"}
    ).content.decode()
    choices = options(body, "home_country")
    # django-countries' pt_PT names: "Egipto" (Brazil writes "Egito").
    assert ("MZ", "Moçambique") in choices and ("EG", "Egipto") in choices
    assert_sorted_by_shown_name(choices)
    names = [label for _code, label in choices]
    assert names.index("África do Sul") < names.index("Alemanha")


def test_the_activity_lists_country_filter_in_the_members_language_and_sorted(client):
    for country in ("NO", "EG", "ZA"):
        PhysicalActivityFactory(country=country)
    client.force_login(MemberFactory(preferred_language="fr").user)
    choices = options(client.get(reverse("activities:list")).content.decode(), "country")
    assert choices == [("ZA", "Afrique du Sud"), ("EG", "Égypte"), ("NO", "Norvège")]


def test_a_short_country_list_sorts_accents_and_case_like_the_full_one():
    with translation.override("fr"):
        assert countries_by_name(["NO", "AE", "ZA", "EG", "", "ZA"]) == [
            ("ZA", "Afrique du Sud"),
            ("EG", "Égypte"),
            ("AE", "Émirats arabes unis"),
            ("NO", "Norvège"),
        ]
    with translation.override("en"):
        assert [name for _code, name in countries_by_name(["NO", "EG"])] == ["Egypt", "Norway"]


def test_the_full_list_ignores_case_as_a_dictionary_does():
    """django-countries' own order (without the optional pyuca) puts capitals first."""
    with translation.override("es"):
        names = [name for _code, name in all_countries_by_name()]
    assert names.index("Costa de Marfil") < names.index("Costa Rica")
    assert len(names) == len(set(names)) > 240
