"""Activity mails through a real worker process to a real SMTP server."""

import datetime

import icalendar
import pytest
from django.utils import timezone

from activities import services
from activities.tasks import registrations_send_reminders
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_confirmation_reaches_the_member_with_its_calendar_file(celery_worker, smtp_sink):
    activity = ActivityFactory(title="Webinar on water projects")
    member = MemberFactory(email="amina@example.org")

    services.activity_register(activity=activity, participant=member)

    (received,) = smtp_sink.wait_for(1)
    assert received.envelope_to == ("amina@example.org",)
    assert "Webinar on water projects" in received["Subject"]
    assert activity.online_url in received.text()
    parts = [part for part in received.message.walk() if part.get_content_type() == "text/calendar"]
    (part,) = parts
    (event,) = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert event.decoded("dtstart") == activity.starts_at


def test_the_reminder_task_sends_once_through_the_worker(celery_worker, smtp_sink):
    activity = ActivityFactory(
        starts_at=timezone.now() + datetime.timedelta(hours=5),
        ends_at=timezone.now() + datetime.timedelta(hours=6),
        capacity=None,
    )
    member = MemberFactory(email="baraka@example.org")
    services.activity_register(activity=activity, participant=member)
    smtp_sink.wait_for(1)  # the confirmation
    smtp_sink.clear()

    runs = [registrations_send_reminders.delay(), registrations_send_reminders.delay()]

    # Both runs have finished (the worker logs each result: how many reminders it queued): one
    # queued the reminder, the other found it done. Nothing else can still be on its way.
    queued = sorted(celery_worker.wait_for_task(run.id) for run in runs)
    assert queued == ["0", "1"]
    (received,) = smtp_sink.wait_for(1)
    assert received["Subject"].startswith("Reminder")
