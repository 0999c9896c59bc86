"""Who holds a seat is written once (`Registration.SEAT_STATUSES`): an attended registration keeps
its seat for the capacity, the pages that count seats, the dashboard and the materials."""

import pytest
from django.utils import timezone

from activities import selectors
from activities import services
from activities.models import Registration
from backoffice.dashboard import next_activities
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_an_attended_seat_counts_as_taken_everywhere(admin_client):
    activity = ActivityFactory(title="Water webinar", capacity=2)
    attended, confirmed, late = MemberFactory.create_batch(3)
    first = services.activity_register(activity=activity, participant=attended)
    services.activity_register(activity=activity, participant=confirmed)
    services.registration_set_attended(registration=first, attended=True)

    waiting = services.activity_register(activity=activity, participant=late)

    assert waiting.status == Registration.Status.WAITLISTED
    assert Registration.SEAT_STATUSES == (
        Registration.Status.CONFIRMED,
        Registration.Status.ATTENDED,
    )
    shown = selectors.activity_get_visible(pk=activity.pk, participant=late)
    assert shown.seats_taken == 2
    (on_dashboard,) = next_activities(now=timezone.now())
    assert (on_dashboard.confirmed, on_dashboard.waitlisted) == (2, 1)
    changelist = admin_client.get("/admin/activities/activity/")
    assert changelist.status_code == 200
    assert "2 / 2" in changelist.content.decode()
