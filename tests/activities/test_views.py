"""Member pages: what visitors and members see, registering, cancelling after a confirmation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity
from activities.models import Material
from activities.models import Registration
from tests.activities.factories import ActivityFactory
from tests.activities.factories import PhysicalActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

SECRET_LINK = "https://meet.example.org/secret-room"


@pytest.fixture
def member(client):
    member = MemberFactory()
    client.force_login(member.user)
    return member


def test_anonymous_visitors_see_public_upcoming_activities_without_online_links(client):
    public = ActivityFactory(title="Open webinar")
    ActivityFactory(title="Members-only webinar", is_public=False)
    ActivityFactory(title="Draft webinar", status=Activity.Status.DRAFT)
    ActivityFactory(
        title="Old webinar",
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=3) + datetime.timedelta(hours=1),
    )

    response = client.get(reverse("activities:list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Open webinar" in body
    assert "Members-only webinar" not in body
    assert "Draft webinar" not in body
    assert "Old webinar" not in body
    assert SECRET_LINK not in body
    assert "How to join" in body  # the invitation to join

    detail = client.get(public.get_absolute_url()).content.decode()
    assert SECRET_LINK not in detail
    assert "Log in to register" in detail


def test_members_see_members_only_activities(client, member):
    ActivityFactory(title="Members-only webinar", is_public=False)
    assert "Members-only webinar" in client.get(reverse("activities:list")).content.decode()


def test_a_draft_activity_is_not_found(client, member):
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.post(reverse("activities:register", args=[draft.pk])).status_code == 404
    assert client.get(reverse("activities:ics", args=[draft.pk])).status_code == 404


def test_the_online_link_is_hidden_until_the_member_registers(client, member):
    activity = ActivityFactory()
    assert SECRET_LINK not in client.get(activity.get_absolute_url()).content.decode()

    response = client.post(reverse("activities:register", args=[activity.pk]), follow=True)

    body = response.content.decode()
    assert "You are registered" in body
    assert SECRET_LINK in body
    assert Registration.objects.get(participant=member).status == "confirmed"


def test_registering_needs_a_login_and_a_post(client):
    activity = ActivityFactory()
    response = client.post(reverse("activities:register", args=[activity.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    member = MemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("activities:register", args=[activity.pk])).status_code == 405
    assert not Registration.objects.exists()


def test_register_is_protected_by_csrf():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    member = MemberFactory()
    client.force_login(member.user)
    activity = ActivityFactory()
    assert client.post(reverse("activities:register", args=[activity.pk])).status_code == 403
    assert not Registration.objects.exists()


def test_a_full_activity_shows_waitlist_and_the_members_place_in_the_queue(client, member):
    activity = ActivityFactory(capacity=1)
    services.activity_register(activity=activity, participant=MemberFactory())
    services.activity_register(activity=activity, participant=MemberFactory())

    listing = client.get(reverse("activities:list")).content.decode()
    assert "Full: waitlist" in listing

    response = client.post(reverse("activities:register", args=[activity.pk]), follow=True)
    body = response.content.decode()
    assert "You are number 2 on the waitlist" in body
    # The online link is for members with a seat, not for those still waiting for one.
    assert SECRET_LINK not in body


def test_the_registration_deadline_is_shown_in_the_members_zone(client):
    import zoneinfo

    closes = datetime.datetime(2030, 1, 5, 12, 0, tzinfo=datetime.UTC)
    start = datetime.datetime(2030, 1, 10, 12, 0, tzinfo=datetime.UTC)
    activity = ActivityFactory(
        starts_at=start, ends_at=start + datetime.timedelta(hours=1), registration_closes_at=closes
    )
    client.force_login(MemberFactory(time_zone="Asia/Kathmandu").user)
    body = client.get(activity.get_absolute_url()).content.decode()
    local = closes.astimezone(zoneinfo.ZoneInfo("Asia/Kathmandu"))
    assert f"Sat 5 Jan 2030, {local:%H:%M}" in body and "17:45" in body


def test_the_list_says_when_registration_is_not_open(client):
    ActivityFactory(registration_opens_at=timezone.now() + datetime.timedelta(days=2))
    body = client.get(reverse("activities:list")).content.decode()
    assert "Registration has not opened yet." in body


def test_seats_left_are_shown(client):
    ActivityFactory(capacity=5)
    assert "5 seats left" in client.get(reverse("activities:list")).content.decode()


def test_cancelling_asks_first_and_the_confirmation_cancels(client, member):
    """Issue 10, item 22: cancelling was one tap. The page's button now opens a confirmation (a
    plain link and form, no JavaScript); only its POST cancels."""
    activity = ActivityFactory(title="Clean water")
    registration = services.activity_register(activity=activity, participant=member)
    cancel_url = reverse("activities:registration-cancel", args=[registration.pk])

    detail = client.get(activity.get_absolute_url()).content.decode()
    assert f'href="{cancel_url}"' in detail
    assert f'action="{cancel_url}"' not in detail  # no form that cancels from the page itself

    confirm = client.get(cancel_url)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Cancel your registration?" in body and "Clean water" in body
    assert f'<form method="post" action="{cancel_url}"' in body
    assert "No, keep my registration" in body
    registration.refresh_from_db()
    assert registration.status == "confirmed"  # looking changes nothing

    response = client.post(cancel_url, follow=True)
    assert "Your registration is cancelled" in response.content.decode()
    assert response.redirect_chain[-1][0] == activity.get_absolute_url()
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_cancelling_from_my_activities_returns_there(client, member):
    registration = services.activity_register(activity=ActivityFactory(), participant=member)
    cancel_url = reverse("activities:registration-cancel", args=[registration.pk])
    mine = client.get(reverse("activities:mine")).content.decode()
    assert f'href="{cancel_url}?next=mine"' in mine

    confirm = client.get(cancel_url, {"next": "mine"}).content.decode()
    assert '<input type="hidden" name="next" value="mine">' in confirm
    assert f'href="{reverse("activities:mine")}"' in confirm  # "No, keep it" goes back there
    response = client.post(cancel_url, {"next": "mine"})
    assert response["Location"] == reverse("activities:mine")


def test_leaving_the_waitlist_asks_in_the_waitlists_words(client, member):
    activity = ActivityFactory(capacity=1)
    services.activity_register(activity=activity, participant=MemberFactory())
    waiting = services.activity_register(activity=activity, participant=member)
    body = client.get(reverse("activities:registration-cancel", args=[waiting.pk])).content.decode()
    assert "Leave the waitlist?" in body and "Yes, leave the waitlist" in body


def test_a_cancelled_registration_is_not_asked_about_again(client, member):
    activity = ActivityFactory()
    registration = services.activity_register(activity=activity, participant=member)
    services.registration_cancel(registration=registration)
    response = client.get(
        reverse("activities:registration-cancel", args=[registration.pk]), follow=True
    )
    assert "This registration is already cancelled." in response.content.decode()


def test_another_members_registration_cannot_be_cancelled(client, member):
    other = services.activity_register(activity=ActivityFactory(), participant=MemberFactory())
    url = reverse("activities:registration-cancel", args=[other.pk])
    assert client.get(url).status_code == 404  # not even the confirmation page
    response = client.post(url)
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == "confirmed"


def test_only_a_member_with_a_seat_is_offered_the_calendar_file(client, member):
    """Issue 10, item 22: waitlisted members were offered "Add to my calendar" for an activity
    they may never get a seat at; visitors and members without a seat are not offered it."""
    activity = ActivityFactory(capacity=1)
    ics_url = reverse("activities:ics", args=[activity.pk])

    def offered() -> bool:
        return ics_url in client.get(activity.get_absolute_url()).content.decode()

    assert not offered()  # not registered
    seated = MemberFactory()
    services.activity_register(activity=activity, participant=seated)
    waiting = services.activity_register(activity=activity, participant=member)
    assert waiting.status == Registration.Status.WAITLISTED
    assert not offered()

    client.force_login(seated.user)
    assert offered()

    client.logout()
    assert not offered()


def test_staff_without_a_member_profile_cannot_register(client):
    staff = StaffUserFactory()
    client.force_login(staff)
    activity = ActivityFactory()
    response = client.post(reverse("activities:register", args=[activity.pk]), follow=True)
    assert "Only members can register" in response.content.decode()
    assert not Registration.objects.exists()


def test_filters_by_kind_month_country_and_mode(client):
    webinar = ActivityFactory(title="The webinar")
    meeting = PhysicalActivityFactory(
        title="The Nairobi meeting", starts_at=timezone.now() + datetime.timedelta(days=40)
    )
    meeting.ends_at = meeting.starts_at + datetime.timedelta(hours=3)
    meeting.save()
    url = reverse("activities:list")

    def titles(**params):
        body = client.get(url, params).content.decode()
        return {title for title in ("The webinar", "The Nairobi meeting") if title in body}

    assert titles() == {"The webinar", "The Nairobi meeting"}
    assert titles(kind="physical") == {"The Nairobi meeting"}
    assert titles(mode="online") == {"The webinar"}
    assert titles(mode="physical") == {"The Nairobi meeting"}
    assert titles(country="KE") == {"The Nairobi meeting"}
    assert titles(month=f"{timezone.localtime(webinar.starts_at):%Y-%m}") >= {"The webinar"}
    # Bad input is ignored, never a 500.
    assert client.get(url, {"month": "nonsense", "kind": "<b>"}).status_code == 200
    # One bad value drops that filter only; the others still apply, and the form says what.
    assert titles(kind="physical", month="nonsense") == {"The Nairobi meeting"}
    assert "Select a valid choice" in client.get(url, {"month": "nonsense"}).content.decode()


def test_the_country_filter_offers_each_country_once(client):
    PhysicalActivityFactory.create_batch(3)
    body = client.get(reverse("activities:list")).content.decode()
    assert body.count('<option value="KE">Kenya</option>') == 1


def test_times_show_in_the_members_zone_with_the_activitys_beside(client):
    import zoneinfo

    start = datetime.datetime(2030, 6, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Africa/Nairobi"))
    activity = ActivityFactory(
        starts_at=start, ends_at=start + datetime.timedelta(hours=1), time_zone="Africa/Nairobi"
    )
    member = MemberFactory(time_zone="America/La_Paz")
    client.force_login(member.user)
    body = client.get(activity.get_absolute_url()).content.decode()
    assert "02:00–03:00</time> (America/La_Paz)" in body
    assert "09:00–10:00 (Africa/Nairobi)" in body
    # Without a zone of their own, the activity's zone is used.
    client.force_login(MemberFactory(time_zone="").user)
    body = client.get(activity.get_absolute_url()).content.decode()
    assert "09:00–10:00</time> (Africa/Nairobi)" in body


def test_a_physical_meeting_has_a_map_link(client):
    meeting = PhysicalActivityFactory()
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "https://www.openstreetmap.org/search?query=" in body
    assert "Kenya+School+of+Government" in body


def test_description_markdown_is_rendered_and_sanitised(client):
    activity = ActivityFactory(description="**Bold** <script>alert(1)</script>")
    body = client.get(activity.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong>" in body
    assert "<script>alert(1)" not in body


def test_past_activities_archive_shows_materials(client):
    past = ActivityFactory(
        title="Last month's webinar",
        starts_at=timezone.now() - datetime.timedelta(days=30),
        ends_at=timezone.now() - datetime.timedelta(days=30) + datetime.timedelta(hours=1),
    )
    Material.objects.create(activity=past, title="Slides", url="https://files.example.org/s.pdf")
    body = client.get(reverse("activities:past")).content.decode()
    assert "Last month&#x27;s webinar" in body
    assert "https://files.example.org/s.pdf" in body
    assert "Last month" not in client.get(reverse("activities:list")).content.decode()


def test_my_activities_lists_what_the_member_registered_for(client, member):
    mine = ActivityFactory(title="Mine")
    ActivityFactory(title="Not mine")
    services.activity_register(activity=mine, participant=member)
    body = client.get(reverse("activities:mine")).content.decode()
    assert "Mine" in body and "Not mine" not in body


def test_my_activities_needs_a_login(client):
    response = client.get(reverse("activities:mine"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_list_page_uses_a_fixed_number_of_queries(client, member, django_assert_max_num_queries):
    for _ in range(3):
        services.activity_register(activity=ActivityFactory(), participant=member)
    with django_assert_max_num_queries(8):
        first = client.get(reverse("activities:list"))
    for _ in range(15):
        ActivityFactory()
    with django_assert_max_num_queries(8):
        second = client.get(reverse("activities:list"))
    assert first.status_code == second.status_code == 200
    assert len(second.content) < 60_000


def test_detail_page_uses_a_fixed_number_of_queries(client, member, django_assert_max_num_queries):
    activity = ActivityFactory()
    services.activity_register(activity=activity, participant=member)
    for n in range(5):
        Material.objects.create(activity=activity, title=f"File {n}", url="https://x.example.org/")
    with django_assert_max_num_queries(9):
        response = client.get(activity.get_absolute_url())
    assert response.status_code == 200 and len(response.content) < 60_000


def test_past_and_mine_pages_use_a_fixed_number_of_queries(
    client, member, django_assert_max_num_queries
):
    for n in range(10):
        past = ActivityFactory(
            starts_at=timezone.now() - datetime.timedelta(days=n + 2),
            ends_at=timezone.now() - datetime.timedelta(days=n + 1),
        )
        Material.objects.create(activity=past, title="Slides", url="https://x.example.org/")
        Registration.objects.create(activity=past, participant=member, status="attended")
        services.activity_register(activity=ActivityFactory(), participant=member)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("activities:past")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("activities:mine")).status_code == 200
