"""The activities back office: publish, cancel, duplicate, registrations, CSV, message, plan."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from activities import services
from activities.models import Activity
from activities.models import Registration
from activities.services import AUDIT_ACTIVITY_MESSAGE
from members.audit import CSV_EXPORT
from members.models import StaffAction
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = StaffUserFactory(is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def admin_client_mfa(client, staff):
    """A logged-in superuser with an authenticator (the admin refuses staff without one)."""
    return client


def test_members_cannot_open_the_activities_admin(client):
    client.force_login(MemberFactory().user)
    response = client.get(reverse("admin:activities_activity_changelist"))
    assert response.status_code in (302, 403)
    activity = ActivityFactory()
    response = client.get(reverse("admin:activities_activity_export", args=[activity.pk]))
    assert response.status_code in (302, 403)
    assert not StaffAction.objects.exists()


def test_staff_create_an_activity_as_a_draft_then_publish_it(admin_client_mfa):
    client = admin_client_mfa
    response = client.post(
        reverse("admin:activities_activity_add"),
        {
            "kind": "webinar",
            "title": "New webinar",
            "languages": ["fr", "en"],
            "description": "Hello",
            "organiser": "Norec",
            "starts_at_0": "2030-05-14",
            "starts_at_1": "13:00:00",
            "ends_at_0": "2030-05-14",
            "ends_at_1": "14:00:00",
            "time_zone": "Europe/Oslo",
            "online_url": "https://meet.example.org/new",
            "capacity": "100",
            "is_public": "on",
            "materials-TOTAL_FORMS": "0",
            "materials-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get(title="New webinar")
    assert activity.status == "draft"
    assert activity.languages == ["en", "fr"]

    client.post(reverse("admin:activities_activity_publish", args=[activity.pk]))

    activity.refresh_from_db()
    assert activity.status == "published" and activity.published_at


def test_a_bad_time_zone_is_refused_with_a_message(admin_client_mfa):
    response = admin_client_mfa.post(
        reverse("admin:activities_activity_add"),
        {
            "kind": "webinar",
            "title": "Bad zone",
            "starts_at_0": "2030-05-14",
            "starts_at_1": "13:00:00",
            "ends_at_0": "2030-05-13",
            "ends_at_1": "14:00:00",
            "time_zone": "Mars/Olympus",
            "materials-TOTAL_FORMS": "0",
            "materials-INITIAL_FORMS": "0",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "is not a time zone name" in body
    assert "The end must be after the start" in body
    assert 'value="Bad zone"' in body  # what was typed is kept
    assert not Activity.objects.exists()


def test_duplicate_opens_a_draft_copy_for_editing(admin_client_mfa):
    activity = ActivityFactory(title="Monthly webinar")
    response = admin_client_mfa.post(
        reverse("admin:activities_activity_duplicate", args=[activity.pk]), {"months": "1"}
    )
    copy = Activity.objects.exclude(pk=activity.pk).get()
    assert response["Location"] == reverse("admin:activities_activity_change", args=[copy.pk])
    assert copy.status == "draft" and copy.title == "Monthly webinar"
    assert copy.starts_at > activity.starts_at + datetime.timedelta(days=27)


def test_duplicate_action_on_the_changelist(admin_client_mfa):
    activity = ActivityFactory()
    response = admin_client_mfa.post(
        reverse("admin:activities_activity_changelist"),
        {"action": "duplicate_selected", "_selected_action": [activity.pk]},
    )
    assert response.status_code == 302
    assert Activity.objects.filter(status="draft").count() == 1


def test_cancel_page_notifies_registered_members(admin_client_mfa, mails):
    activity = ActivityFactory()
    member = MemberFactory()
    services.activity_register(activity=activity, participant=member)
    with mails() as outbox:
        response = admin_client_mfa.post(
            reverse("admin:activities_activity_cancel", args=[activity.pk]),
            {"note": "The venue flooded."},
        )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == "cancelled"
    assert [m.to for m in outbox] == [[member.user.email]]


def test_registrations_page_shows_waitlist_in_order_and_saves_attendance(admin_client_mfa):
    activity = ActivityFactory(capacity=1)
    seated = services.activity_register(activity=activity, participant=MemberFactory())
    first = services.activity_register(activity=activity, participant=MemberFactory())
    second = services.activity_register(activity=activity, participant=MemberFactory())
    url = reverse("admin:activities_activity_registrations", args=[activity.pk])

    body = admin_client_mfa.get(url).content.decode()
    assert "Waitlist: 2" in body
    assert body.index(str(first.participant)) < body.index(str(second.participant))

    admin_client_mfa.post(url, {"attended": [seated.pk]})
    seated.refresh_from_db()
    assert seated.status == Registration.Status.ATTENDED


def test_csv_export_lists_registrations_and_is_audited(admin_client_mfa, staff):
    activity = ActivityFactory(capacity=1)
    a = MemberFactory(first_name="Amina", last_name="=HYPERLINK(evil)")
    services.activity_register(activity=activity, participant=a)
    services.activity_register(activity=activity, participant=MemberFactory())

    response = admin_client_mfa.get(reverse("admin:activities_activity_export", args=[activity.pk]))

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["status"] for row in rows] == ["confirmed", "waitlisted"]
    assert rows[0]["first_name"] == "Amina" and rows[0]["email"] == a.user.email
    assert rows[0]["last_name"] == "'=HYPERLINK(evil)"  # never a live formula in Excel
    action = StaffAction.objects.get()
    assert action.kind == CSV_EXPORT
    assert action.actor == staff and action.affected_count == 2


def test_message_page_sends_to_registered_and_is_audited(admin_client_mfa, mails):
    activity = ActivityFactory()
    member = MemberFactory()
    services.activity_register(activity=activity, participant=member)
    url = reverse("admin:activities_activity_message", args=[activity.pk])
    # An empty form is refused with a message, never a 500.
    assert "This field is required" in admin_client_mfa.post(url, {}).content.decode()
    with mails() as outbox:
        admin_client_mfa.post(url, {"subject": "New room", "body": "Room 2 this time."})
    assert [m.subject for m in outbox] == ["New room"]
    assert StaffAction.objects.get().kind == AUDIT_ACTIVITY_MESSAGE


def test_changelist_filters_work_and_queries_are_fixed(
    admin_client_mfa, django_assert_max_num_queries
):
    for _ in range(5):
        services.activity_register(activity=ActivityFactory(), participant=MemberFactory())
    url = reverse("admin:activities_activity_changelist")
    for params in ({"kind__exact": "webinar"}, {"mode": "online"}, {"status__exact": "draft"}):
        assert admin_client_mfa.get(url, params).status_code == 200
    with django_assert_max_num_queries(20):
        assert admin_client_mfa.get(url).status_code == 200


def test_cancelling_without_a_note_works(admin_client_mfa):
    activity = ActivityFactory()
    response = admin_client_mfa.post(
        reverse("admin:activities_activity_cancel", args=[activity.pk]), {}
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == "cancelled"


def test_times_typed_in_the_admin_are_read_in_the_activitys_time_zone(admin_client_mfa):
    import zoneinfo

    response = admin_client_mfa.post(
        reverse("admin:activities_activity_add"),
        {
            "kind": "physical",
            "title": "Nairobi meeting",
            "languages": ["en"],
            "place": "Kenya School of Government",
            "city": "Nairobi",
            "country": "KE",
            "starts_at_0": "2030-05-14",
            "starts_at_1": "09:00:00",
            "ends_at_0": "2030-05-14",
            "ends_at_1": "17:00:00",
            "time_zone": "Africa/Nairobi",
            "materials-TOTAL_FORMS": "0",
            "materials-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get(title="Nairobi meeting")
    nairobi = zoneinfo.ZoneInfo("Africa/Nairobi")
    assert activity.starts_at == datetime.datetime(2030, 5, 14, 9, 0, tzinfo=nairobi)
    body = admin_client_mfa.get(
        reverse("admin:activities_activity_change", args=[activity.pk])
    ).content.decode()
    assert 'value="09:00:00"' in body
