"""Calendar files: per activity, in confirmation mails, and the member's private feed."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.urls import reverse

from activities import services
from activities.calendar import feed_token
from activities.models import CalendarFeed
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
SECRET_LINK = "https://meet.example.org/secret-room"


def events(content: bytes):
    return icalendar.Calendar.from_ical(content).walk("VEVENT")


def test_ics_times_are_correct_utc_across_a_daylight_saving_change(client):
    # Norway moves to summer time on 28 March 2027: 13:00 in Oslo is 12:00 UTC before, 11:00 after.
    winter = ActivityFactory(
        starts_at=datetime.datetime(2027, 3, 23, 13, 0, tzinfo=OSLO),
        ends_at=datetime.datetime(2027, 3, 23, 14, 0, tzinfo=OSLO),
    )
    summer = ActivityFactory(
        starts_at=datetime.datetime(2027, 3, 30, 13, 0, tzinfo=OSLO),
        ends_at=datetime.datetime(2027, 3, 30, 14, 30, tzinfo=OSLO),
    )
    utc = datetime.UTC
    for activity, start, end in (
        (winter, datetime.datetime(2027, 3, 23, 12, 0, tzinfo=utc), (2027, 3, 23, 13, 0)),
        (summer, datetime.datetime(2027, 3, 30, 11, 0, tzinfo=utc), (2027, 3, 30, 12, 30)),
    ):
        response = client.get(reverse("activities:ics", args=[activity.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar"
        (event,) = events(response.content)
        assert event.decoded("dtstart") == start
        assert event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
        assert event.decoded("dtend") == datetime.datetime(*end, tzinfo=utc)
        assert str(event["summary"]) == activity.title
        assert b"Z\r\n" in response.content  # written in UTC


def test_public_ics_has_no_online_link_but_a_confirmed_members_has(client):
    activity = ActivityFactory()
    url = reverse("activities:ics", args=[activity.pk])
    assert SECRET_LINK.encode() not in client.get(url).content
    member = MemberFactory()
    client.force_login(member.user)
    assert SECRET_LINK.encode() not in client.get(url).content
    services.activity_register(activity=activity, participant=member)
    assert SECRET_LINK.encode() in client.get(url).content


def test_feed_holds_the_members_activities_and_works_without_login(client):
    member = MemberFactory()
    mine = ActivityFactory(title="Mine")
    ActivityFactory(title="Someone else's")
    services.activity_register(activity=mine, participant=member)
    client.force_login(member.user)
    client.post(reverse("activities:feed-create"))
    feed = CalendarFeed.objects.get(participant=member)
    page = client.get(reverse("activities:mine")).content.decode()
    url = reverse("activities:feed", args=[feed.key, feed_token(feed)])
    assert url in page
    client.logout()

    response = client.get(url)

    assert response.status_code == 200
    (event,) = events(response.content)
    assert str(event["summary"]) == "Mine"
    assert SECRET_LINK in str(event["description"])


def test_the_feed_token_is_not_stored(client):
    member = MemberFactory()
    feed = services.calendar_feed_get_or_create(participant=member)
    token = feed_token(feed)
    row = CalendarFeed.objects.filter(pk=feed.pk).values().get()
    assert token not in " ".join(str(value) for value in row.values())


def test_a_wrong_token_or_key_gives_404(client):
    feed = services.calendar_feed_get_or_create(participant=MemberFactory())
    token = feed_token(feed)
    assert client.get(reverse("activities:feed", args=[feed.key, "0" * 40])).status_code == 404
    assert client.get(reverse("activities:feed", args=["nokey", token])).status_code == 404


def test_a_revoked_feed_gives_404_and_a_new_one_has_a_new_address(client):
    member = MemberFactory()
    client.force_login(member.user)
    client.post(reverse("activities:feed-create"))
    old = CalendarFeed.objects.get(participant=member)
    old_url = reverse("activities:feed", args=[old.key, feed_token(old)])
    assert client.get(old_url).status_code == 200

    client.post(reverse("activities:feed-revoke"))
    assert client.get(old_url).status_code == 404

    client.post(reverse("activities:feed-create"))
    new = CalendarFeed.objects.get(participant=member)
    assert reverse("activities:feed", args=[new.key, feed_token(new)]) != old_url


def test_feed_create_and_revoke_are_post_only(client):
    member = MemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("activities:feed-create")).status_code == 405
    assert client.get(reverse("activities:feed-revoke")).status_code == 405
    assert not CalendarFeed.objects.exists()


def test_a_mangled_feed_token_is_a_404_not_a_crash(client):
    member = MemberFactory()
    client.force_login(member.user)
    client.post(reverse("activities:feed-create"))
    feed = CalendarFeed.objects.get(participant=member)

    assert client.get(reverse("activities:feed", args=[feed.key, "éé"])).status_code == 404
