"""The dashboard's community panel: visible posts and members who posted, per room and month (the
last six), the branches without a post in 30 days; three queries however many posts; shown to
staff who may view posts, in their language."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.formats import date_format

from backoffice.community_panel import community_panel
from community import services
from community.models import Post
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def months_ago(n: int) -> datetime.datetime:
    today = timezone.localdate().replace(day=15)
    for _ in range(n):
        today = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=15)
    return timezone.make_aware(datetime.datetime(today.year, today.month, 15, 12))


@pytest.fixture
def talk(db):
    network = services.network_room()
    uganda = branch("Uganda", ["UG"])
    kenya = branch("Kenya", ["KE"])
    amina = regular_member(home_country="KE")
    okello = regular_member(home_country="UG")
    now_topic = topic(amina, room=network)
    reply(okello, now_topic)
    reply(amina, now_topic)
    hidden = reply(okello, now_topic, text="hidden")
    services.post_set_hidden(post=hidden, hidden=True, moderator=None)
    old = topic(okello, room=uganda.room)
    Post.objects.filter(topic=old).update(created_at=months_ago(2))
    ancient = topic(okello, room=kenya.room)
    Post.objects.filter(topic=ancient).update(created_at=months_ago(8))
    return {"network": network, "uganda": uganda, "kenya": kenya}


def test_posts_and_members_per_room_and_month(talk):
    panel = community_panel(today=timezone.localdate())

    assert len(panel.months) == 6
    assert panel.months[-1] == timezone.localdate().replace(day=1)
    rows = {row.room.pk: row.months for row in panel.rows}
    network = rows[talk["network"].pk]
    assert (network[-1].posts, network[-1].members) == (3, 2)  # the hidden post is not counted
    uganda = rows[talk["uganda"].room.pk]
    assert (uganda[-3].posts, uganda[-3].members) == (1, 1)
    assert sum(month.posts for month in uganda) == 1
    assert sum(month.posts for month in rows[talk["kenya"].room.pk]) == 0  # eight months ago


def test_branches_without_a_post_in_30_days(talk):
    panel = community_panel(today=timezone.localdate())
    assert [b.name for b in panel.quiet_branches] == ["Kenya", "Uganda"]
    reply(regular_member(home_country="UG"), talk["uganda"].room.topics.get())
    panel = community_panel(today=timezone.localdate())
    assert [b.name for b in panel.quiet_branches] == ["Kenya"]


def test_the_panel_costs_three_queries_however_many_posts(talk, django_assert_num_queries):
    with django_assert_num_queries(3):
        community_panel(today=timezone.localdate())
    for n in range(5):
        branch(f"Branch {n}", ["TZ"], slug=f"b{n}")
        reply(regular_member(home_country="UG"), talk["network"].topics.first())
    with django_assert_num_queries(3):
        community_panel(today=timezone.localdate())


def test_the_dashboard_shows_it_to_staff_who_may_view_posts_only(client, talk):
    client.force_login(StaffUserFactory(is_superuser=True))
    content = client.get(reverse("admin:index")).content.decode()
    assert "Branches without a post in the last 30 days" in content
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_activity"))
    client.force_login(staff)
    content = client.get(reverse("admin:index")).content.decode()
    assert "Branches without a post in the last 30 days" not in content


def test_the_labels_are_translated(talk):
    """Needs the project's catalogues (locale/) holding the panel's French."""
    panel = community_panel(today=timezone.localdate())
    with translation.override("fr"):
        content = render_to_string("backoffice/_dashboard_community.html", {"panel": panel})
        french_month = date_format(panel.months[0], "M Y")
    assert "Branches without a post in the last 30 days" not in content
    assert "Antennes sans message depuis 30 jours" in content
    assert french_month in content  # the months as French writes them
