"""What activities adds to the rest of the portal: the monthly plan, the member's home page,
personal data (export and erase) and the demo data."""

import datetime

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory

from activities import services
from activities.models import Activity
from activities.models import Registration
from core.monthly_plan import plan_for_year
from members.extensions import demo_seeders
from members.extensions import home_sections
from members.extensions import personal_data_sources
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_plan_lists_published_activities_by_month_with_admin_and_public_links():
    published = ActivityFactory(
        title="May webinar",
        starts_at=datetime.datetime(2032, 5, 11, 11, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2032, 5, 11, 12, 0, tzinfo=datetime.UTC),
    )
    for status in ("draft", "cancelled"):
        ActivityFactory(
            status=status,
            starts_at=datetime.datetime(2032, 6, 8, 11, 0, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2032, 6, 8, 12, 0, tzinfo=datetime.UTC),
        )

    months = plan_for_year(2032)

    may, june = months[4], months[5]
    (item,) = may.items["activities"]
    assert item.title == "May webinar"
    assert item.url == f"/admin/activities/activity/{published.pk}/change/"
    # Absolute: the newsletter's activities section puts it in mail, where a bare path is dead.
    assert item.public_url == settings.SITE_URL + published.get_absolute_url()
    assert item.public_url.startswith(("http://", "https://"))
    assert "activities" not in may.missing
    assert june.items["activities"] == [] and "activities" in june.missing


def test_home_section_shows_the_members_upcoming_registrations():
    (section,) = [s for s in home_sections() if s.name == "activities"]
    member = MemberFactory()
    mine = ActivityFactory(title="My next webinar")
    ActivityFactory(title="Other webinar")
    services.activity_register(activity=mine, participant=member)
    request = RequestFactory().get("/me/")
    request.user = member.user

    context = section.context(request, member)
    html = render_to_string(section.template_name, context, request=request)

    assert "My next webinar" in html and "Other webinar" not in html


def test_personal_data_export_and_erase():
    (source,) = [s for s in personal_data_sources() if s.name == "activity_registrations"]
    member = MemberFactory()
    services.activity_register(activity=ActivityFactory(title="Exported"), participant=member)
    exported = source.export(member)
    assert exported[0]["activity"] == "Exported"
    source.erase(member)
    assert not Registration.objects.filter(participant=member).exists()


def test_demo_seeder_makes_a_year_of_activities_and_can_run_again():
    from members.demo import demo_seed

    demo_seed(participants=60)
    (seeder,) = [s for s in demo_seeders() if s.name == "activities"]
    seeder.seed()
    count = Activity.objects.count()
    registrations = Registration.objects.count()
    assert Activity.objects.filter(kind="webinar", status="published").count() == 13
    assert Activity.objects.filter(title__contains="Nairobi").exists()
    assert Activity.objects.filter(title__contains="Kathmandu").exists()
    assert Activity.objects.filter(kind="elearning").exists()
    assert Activity.objects.filter(status="draft").exists()
    assert registrations > 0

    assert seeder.seed() == "0 activities and 0 registrations added"
    assert Activity.objects.count() == count
    assert Registration.objects.count() == registrations
