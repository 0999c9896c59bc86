"""Every published activity gets its topic, through the hook activities call (activities never
import community), and the activity page links to it for logged-in readers."""

import pytest
from django.urls import reverse

from activities import services as activity_services
from activities.models import Activity
from community.models import Topic
from members.extensions import activity_discussion
from tests.activities.factories import ActivityFactory
from tests.activities.factories import PhysicalActivityFactory
from tests.community.factories import branch

pytestmark = pytest.mark.django_db


def test_community_registers_the_discussion_hook():
    assert activity_discussion() is not None


def test_publishing_an_activity_opens_its_topic_once(network):
    activity = ActivityFactory(status=Activity.Status.DRAFT, title="Webinar on water")
    assert not Topic.objects.exists()

    activity_services.activity_publish(activity=activity)
    activity_services.activity_publish(activity=activity)

    topic = Topic.objects.get(activity_id=activity.pk)
    assert topic.title == "Webinar on water" and topic.room == network


def test_a_meeting_in_a_branch_country_is_discussed_in_the_branch_room(network):
    kenya = branch("Kenya", ["KE"])
    meeting = PhysicalActivityFactory(country="KE")
    assert Topic.objects.get(activity_id=meeting.pk).room == kenya.room


def test_a_draft_has_no_topic(network):
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    assert not Topic.objects.filter(activity_id=draft.pk).exists()


def test_the_activity_page_links_the_discussion_for_logged_in_readers(client, amina, network):
    activity = ActivityFactory(is_public=True)
    topic = Topic.objects.get(activity_id=activity.pk)
    link = reverse("community:topic", args=[topic.pk])
    assert link not in client.get(activity.get_absolute_url()).content.decode()
    client.force_login(amina.user)
    page = client.get(activity.get_absolute_url()).content.decode()
    assert f'href="{link}"' in page and "The discussion" in page


def test_the_activity_topic_introduces_itself_and_links_back(client, amina, network):
    activity = ActivityFactory()
    topic = Topic.objects.get(activity_id=activity.pk)
    client.force_login(amina.user)
    page = client.get(reverse("community:topic", args=[topic.pk])).content.decode()
    assert "Questions before the activity" in page
    assert f'href="{activity.get_absolute_url()}"' in page
    assert "Norec Network" in page and "a former member" not in page


def test_a_hidden_activity_topic_is_not_linked(client, amina, network):
    activity = ActivityFactory()
    Topic.objects.filter(activity_id=activity.pk).update(hidden=True)
    client.force_login(amina.user)
    page = client.get(activity.get_absolute_url()).content.decode()
    assert "The discussion" not in page
