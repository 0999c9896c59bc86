"""The admin's first page shows the network at a glance, with figures counted from the database."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Participant
from norec_network.dashboard import members_panel
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster():
    ParticipantFactory.create_batch(7)
    ParticipantFactory(email_status=Participant.EmailStatus.BOUNCED)
    ParticipantFactory(email_status=Participant.EmailStatus.COMPLAINED)
    old = MemberFactory.create_batch(2)
    for member in old:
        member.user.date_joined = timezone.now() - timedelta(days=100)
        member.user.save(update_fields=["date_joined"])
    MemberFactory.create_batch(3)  # joined just now


def test_the_figures_equal_counts_taken_straight_from_the_database(roster):
    panel = members_panel(today=timezone.localdate())

    assert panel.roster == Participant.objects.count() == 14
    assert panel.registered == Participant.objects.exclude(user=None).count() == 5
    assert panel.new_this_week == 3
    assert panel.bad_addresses == 2
    assert panel.registered_share == pytest.approx(5 / 14)


def test_the_chart_ends_at_the_number_of_members(roster):
    panel = members_panel(today=timezone.localdate())

    assert "On the roster 14" in panel.chart
    assert ">5</text>" in panel.chart


def test_the_panel_costs_the_same_queries_for_a_small_and_a_larger_roster(
    roster, django_assert_num_queries
):
    with django_assert_num_queries(2):
        members_panel(today=timezone.localdate())
    MemberFactory.create_batch(20)
    with django_assert_num_queries(2):
        members_panel(today=timezone.localdate())


def test_staff_see_the_dashboard_on_the_admin_first_page(client, roster):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Registered members over time" in content
    assert "<svg" in content
    assert "bad addresses to fix" in content


def test_an_empty_roster_shows_an_empty_dashboard_not_an_error(client):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "no data yet" in response.content.decode()
