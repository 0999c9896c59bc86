"""The monthly plan page of the back office (an admin view of the same site)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests.activities.factories import ActivityFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def staff_with(*codenames: str):
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_monthly_plan_marks_months_without_activities(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    ActivityFactory(
        title="March webinar",
        starts_at=datetime.datetime(2031, 3, 11, 12, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2031, 3, 11, 13, 0, tzinfo=datetime.UTC),
    )
    ActivityFactory(
        title="Draft in April",
        status="draft",
        starts_at=datetime.datetime(2031, 4, 8, 12, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2031, 4, 8, 13, 0, tzinfo=datetime.UTC),
    )
    response = client.get(reverse("admin:monthly_plan"), {"year": 2031})
    body = response.content.decode()
    assert response.status_code == 200
    assert "March webinar" in body
    assert "Draft in April" not in body
    assert body.count("plan-missing") >= 11  # every month but March lacks an activity
    # The activities list and the dashboard lead to it.
    changelist = client.get(reverse("admin:activities_activity_changelist"))
    assert reverse("admin:monthly_plan") in changelist.content.decode()
    assert reverse("admin:monthly_plan") in client.get(reverse("admin:index")).content.decode()


def test_a_year_that_is_not_a_number_shows_this_year(client):
    client.force_login(StaffUserFactory(is_superuser=True))

    response = client.get(reverse("admin:monthly_plan"), {"year": "next"})

    assert response.status_code == 200
    assert response.context["year"] == timezone.localdate().year


def test_staff_who_see_newsletters_only_see_the_plan_with_their_newsletters(client):
    NewsletterFactory(subject="March news", month=datetime.date(2031, 3, 1))
    client.force_login(staff_with("view_newsletter"))

    response = client.get(reverse("admin:monthly_plan"), {"year": 2031})

    assert response.status_code == 200
    assert "March news" in response.content.decode()


def test_staff_who_see_neither_activities_nor_newsletters_do_not_see_the_plan(client):
    client.force_login(staff_with("view_participant", "view_invitation"))

    assert client.get(reverse("admin:monthly_plan")).status_code == 403
