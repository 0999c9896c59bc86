"""Staff publish a webinar in the admin; members find it, register, cancel; the waitlist moves."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity
from activities.models import Registration
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.support.screens import VIEWPORTS


@pytest.fixture
def people(transactional_db):
    return {
        "staff": StaffUserFactory(email="staff@example.org", is_superuser=True),
        "amina": MemberFactory(
            first_name="Amina", email="amina@example.org", time_zone="Africa/Nairobi"
        ),
        "bishnu": MemberFactory(
            first_name="Bishnu", email="bishnu@example.org", time_zone="Asia/Kathmandu"
        ),
    }


def log_in_member(page, live_server, email):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + reverse("members:home"))
    return page


def test_staff_publish_a_webinar_members_register_cancel_and_the_waitlist_moves(
    desktop_page, phone_page, new_context, live_server, staff_login, people, snap
):
    day = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()

    # --- staff create the webinar in the admin, then publish it
    admin = staff_login(
        desktop_page, "staff@example.org", next_url=reverse("admin:activities_activity_add")
    )
    admin.locator("#id_kind").select_option("webinar")
    admin.locator("#id_title").fill("Webinar: clean water that lasts")
    admin.locator("#id_description").fill("A talk by **Amani**, then questions.")
    admin.locator("#id_organiser").fill("Norec Network")
    admin.locator("#id_starts_at_0").fill(day)
    admin.locator("#id_starts_at_1").fill("13:00:00")
    admin.locator("#id_ends_at_0").fill(day)
    admin.locator("#id_ends_at_1").fill("14:00:00")
    admin.locator("#id_time_zone").fill("Europe/Oslo")
    admin.locator("#id_online_url").fill("https://meet.example.org/water")
    admin.locator("#id_capacity").fill("1")
    admin.locator("input[name=_continue]").click()
    expect(admin.get_by_text("Draft: members do not see it yet")).to_be_visible()
    admin.get_by_role("button", name="Publish").click()
    expect(admin.get_by_text("Published. Members can now register.")).to_be_visible()
    snap(admin, "activities-admin-published")
    activity = Activity.objects.get(title="Webinar: clean water that lasts")
    assert activity.status == "published"

    # --- Amina (phone) finds it and registers
    amina = log_in_member(phone_page, live_server, "amina@example.org")
    amina.get_by_role("link", name="Activities").first.click()
    expect(amina.get_by_text("1 seat left")).to_be_visible()
    snap(amina, "activities-list")
    amina.get_by_role("link", name="Webinar: clean water that lasts").click()
    expect(amina.get_by_text("The link is shown to registered members")).to_be_visible()
    amina.get_by_role("button", name="Register").click()
    expect(amina.get_by_text("You are registered.").first).to_be_visible()
    expect(amina.locator("a.online-link")).to_have_attribute(
        "href", "https://meet.example.org/water"
    )
    expect(amina.get_by_text("(Africa/Nairobi)").first).to_be_visible()
    snap(amina, "activities-registered")

    # --- Bishnu (another browser) finds it full and joins the waitlist
    context = new_context(viewport=VIEWPORTS["desktop"])
    bishnu = log_in_member(context.new_page(), live_server, "bishnu@example.org")
    bishnu.goto(live_server.url + activity.get_absolute_url())
    expect(bishnu.get_by_text("Full: new registrations go on the waitlist")).to_be_visible()
    bishnu.get_by_role("button", name="Join the waitlist").click()
    expect(bishnu.get_by_text("You are number 1 on the waitlist.")).to_be_visible()
    expect(bishnu.locator("a.online-link")).to_have_count(0)
    snap(bishnu, "activities-waitlisted")

    # --- Amina sees it in her activities, and cancels there
    amina.goto(live_server.url + reverse("activities:mine"))
    expect(
        amina.get_by_role("link", name="Webinar: clean water that lasts", exact=True)
    ).to_be_visible()
    snap(amina, "activities-mine")
    amina.get_by_role("link", name="Cancel").click()
    # One tap only asks; the seat is given up on the confirmation.
    expect(amina.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    snap(amina, "activities-cancel-confirm")
    amina.get_by_role("button", name="Yes, cancel my registration").click()
    expect(amina.get_by_text("Your registration is cancelled.")).to_be_visible()
    expect(amina.get_by_text("You have not registered for anything coming up.")).to_be_visible()

    # --- Bishnu got the seat
    bishnu.reload()
    expect(bishnu.get_by_text("You are registered.").first).to_be_visible()
    expect(bishnu.locator("a.online-link")).to_be_visible()
    snap(bishnu, "activities-promoted")
    statuses = dict(
        Registration.objects.filter(activity=activity).values_list(
            "participant__first_name", "status"
        )
    )
    assert statuses == {"Amina": "cancelled", "Bishnu": "confirmed"}

    # --- staff see the registrations and the monthly plan
    admin.goto(
        live_server.url + reverse("admin:activities_activity_registrations", args=[activity.pk])
    )
    expect(admin.get_by_text("Confirmed: 1")).to_be_visible()
    snap(admin, "activities-admin-registrations")
    admin.goto(live_server.url + reverse("admin:activities_activity_changelist"))
    admin.get_by_role("link", name="Monthly plan").click()
    expect(admin.get_by_role("link", name="Webinar: clean water that lasts")).to_be_visible()
    snap(admin, "activities-admin-plan")


def test_a_visitor_sees_upcoming_activities_and_an_invitation_to_join(
    phone_page, live_server, transactional_db, snap
):
    from tests.activities.factories import ActivityFactory
    from tests.activities.factories import PhysicalActivityFactory

    ActivityFactory(title="Open webinar")
    meeting = PhysicalActivityFactory(title="Meeting in Nairobi")
    page = phone_page
    page.goto(live_server.url + reverse("activities:list"))
    expect(page.get_by_role("link", name="Open webinar")).to_be_visible()
    expect(page.get_by_role("link", name="How to join")).to_be_visible()
    snap(page, "activities-visitor-list")
    page.goto(live_server.url + meeting.get_absolute_url())
    expect(page.get_by_role("link", name="Open in a map")).to_be_visible()
    expect(page.get_by_role("link", name="Log in to register")).to_be_visible()
    snap(page, "activities-visitor-detail")
