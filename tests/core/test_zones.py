"""One reading of the tz database's zone.tab for the whole portal (core/zones.py): the zone an
invitation is timed for and the zone the profile suggests agree, also for countries with several
zones, where zone.tab's first line is an island or a far corner."""

import pytest
from django.urls import reverse

from core import zones
from core.zones import zone_for_country
from core.zones import zone_for_participant
from tests.members.factories import MemberFactory

# zone.tab lists these first: America/Noronha, America/St_Johns, Australia/Lord_Howe,
# Europe/Kaliningrad. Most people live in the zones below.
MAIN_ZONES = [
    ("BR", "America/Sao_Paulo"),
    ("CA", "America/Toronto"),
    ("AU", "Australia/Sydney"),
    ("RU", "Europe/Moscow"),
]


@pytest.mark.parametrize(
    ("time_zone", "country", "expected"),
    [
        ("Europe/Oslo", "KE", "Europe/Oslo"),  # the participant's own zone wins
        ("", "KE", "Africa/Nairobi"),  # else the home country's
        ("Not/AZone", "NP", "Asia/Kathmandu"),  # an invalid own zone is ignored
        ("", "BR", "America/Sao_Paulo"),  # several zones: the capital region's
        ("", "ID", "Asia/Jakarta"),
        ("", "", "UTC"),  # nothing known
    ],
)
def test_the_zone_an_invitation_is_timed_for(time_zone, country, expected):
    assert zone_for_participant(time_zone=time_zone, home_country=country) == expected


@pytest.mark.parametrize(("country", "expected"), MAIN_ZONES)
def test_a_country_with_several_zones_gets_its_main_one(country, expected):
    assert zone_for_country(country) == expected
    assert zone_for_participant(time_zone="", home_country=country) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "expected"), MAIN_ZONES)
def test_the_profile_suggests_the_zone_invitations_are_timed_for(client, country, expected):
    member = MemberFactory(home_country=country, residence_country="", time_zone="")
    client.force_login(member.user)

    form = client.get(reverse("members:profile_edit")).context["form"]

    assert form.initial["time_zone"] == expected
    assert form.initial["time_zone"] == zone_for_participant(time_zone="", home_country=country)


@pytest.mark.django_db
def test_the_profile_suggests_nothing_for_an_unknown_country(client):
    member = MemberFactory(home_country="", residence_country="", time_zone="")
    client.force_login(member.user)

    form = client.get(reverse("members:profile_edit")).context["form"]

    assert form.initial.get("time_zone", "") == ""


def test_every_country_with_several_zones_names_one_of_its_own():
    several: dict[str, set[str]] = {}
    for path in zones._zone_tab_paths():
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    code, _coordinates, name = line.split("\t")[:3]
                    several.setdefault(code, set()).add(name)
    several = {code: names for code, names in several.items() if len(names) > 1}

    assert several, "no zone.tab found"
    for code, names in several.items():
        assert zones.MAIN_ZONE.get(code) in names, code
