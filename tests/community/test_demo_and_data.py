"""The demo data, and the data path for members registered before the community existed."""

import importlib

import pytest
from django.apps import apps

from community.demo import seed_community
from community.models import Branch
from community.models import Room
from community.models import RoomFollow
from community.models import Topic
from members.extensions import demo_seeders
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_demo_seeder_is_registered_after_the_activities():
    names = [seeder.name for seeder in demo_seeders()]
    assert names.index("activities") < names.index("community")


def test_the_demo_adds_the_uganda_branch_and_conversations_once(network):
    for n in range(4):
        MemberFactory(participant_id=f"DEMO-{n}", home_country="UG" if n < 2 else "KE")
    seed_community()
    seed_community()
    uganda = Branch.objects.get(slug="uganda")
    assert uganda.room.topics.exists()
    assert uganda.committee.count() == 2
    assert Topic.objects.filter(room=network).count() == 2
    assert Topic.objects.filter(reply_count__gt=0).count() == 3


def test_the_migration_makes_everyone_registered_follow_the_network_room(network):
    member = MemberFactory()
    RoomFollow.objects.all().delete()
    migration = importlib.import_module("community.migrations.0002_network_room")
    migration.forwards(apps, None)
    migration.forwards(apps, None)
    assert Room.objects.filter(kind=Room.Kind.NETWORK).count() == 1
    assert RoomFollow.objects.filter(participant=member, room=network).count() == 1


def test_seed_demo_gives_the_uganda_branch_a_committee_member_who_moderates_once(settings):
    import io

    from django.core.management import call_command

    from community import moderation
    from community.models import RoomFollow
    from members import demo

    settings.DEBUG = True  # seed_demo is for a local site
    sizes = []
    for _ in range(2):
        output = io.StringIO()
        call_command("seed_demo", "--participants", "300", stdout=output)
        sizes.append(Branch.objects.get(slug="uganda").committee.count())
    assert f"{demo.COMMITTEE[0]}  /  {demo.COMMITTEE[1]}" in output.getvalue()
    uganda = Branch.objects.get(slug="uganda")
    committee_member = uganda.committee.get(user__email=demo.COMMITTEE[0])
    assert committee_member.home_country.code == "UG"
    assert sizes[0] == sizes[1]  # a re-run adds nobody twice
    assert moderation.may_moderate(user=committee_member.user, room=uganda.room)
    assert RoomFollow.objects.filter(participant=committee_member, room=uganda.room).exists()
    # The room has something to moderate.
    assert uganda.room.topics.exists()
