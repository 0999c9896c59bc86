"""The rules of registering, the waitlist, cancelling and the mails they send."""

import datetime

import pytest
from django.utils import timezone

from activities import services
from activities.models import Activity
from activities.models import Registration
from activities.services import AUDIT_ACTIVITY_MESSAGE
from members.models import Participant
from members.models import StaffAction
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def register(activity, member):
    return services.activity_register(activity=activity, participant=member)


def test_seats_are_confirmed_until_full_then_the_waitlist_takes_people_in_order():
    activity = ActivityFactory(capacity=2)
    members = MemberFactory.create_batch(4)

    results = [register(activity, member) for member in members]

    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert services.waitlist_position(registration=results[2]) == 1
    assert services.waitlist_position(registration=results[3]) == 2


def test_registering_twice_changes_nothing(mails):
    activity = ActivityFactory(capacity=1)
    member = MemberFactory()
    with mails() as outbox:
        first = register(activity, member)
        again = register(activity, member)
    assert first.pk == again.pk
    assert Registration.objects.count() == 1
    assert len(outbox) == 1


def test_no_limit_means_everyone_is_confirmed():
    activity = ActivityFactory(capacity=None)
    for member in MemberFactory.create_batch(3):
        assert register(activity, member).status == Registration.Status.CONFIRMED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": Activity.Status.DRAFT}, "not open"),
        ({"status": Activity.Status.CANCELLED}, "not open"),
        ({"starts_at": timezone.now() - datetime.timedelta(hours=1)}, "already started"),
        ({"registration_opens_at": timezone.now() + datetime.timedelta(days=1)}, "not opened"),
        ({"registration_closes_at": timezone.now() - datetime.timedelta(days=1)}, "closed"),
    ],
)
def test_registration_is_refused_outside_its_window(changes, message):
    activity = ActivityFactory(**changes)
    with pytest.raises(services.ActivityRefused, match=message):
        register(activity, MemberFactory())
    assert not Registration.objects.exists()


def test_a_participant_without_an_account_cannot_register():
    with pytest.raises(services.ActivityRefused):
        register(ActivityFactory(), ParticipantFactory())


def test_confirmation_mail_carries_the_ics_and_the_online_link(mails):
    activity = ActivityFactory(title="Climate webinar")
    member = MemberFactory(first_name="Amina")
    with mails() as outbox:
        register(activity, member)
    (message,) = outbox
    assert message.to == [member.user.email]
    assert "Climate webinar" in message.subject
    assert "Hello Amina" in message.body
    assert activity.online_url in message.body
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html" and "Climate webinar" in html
    (name, content, attachment_type), *_ = message.attachments
    assert name.endswith(".ics") and attachment_type == "text/calendar"
    import icalendar

    event = icalendar.Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == activity.starts_at


def test_waitlisted_member_gets_a_waitlist_mail_without_calendar_file(mails):
    activity = ActivityFactory(capacity=1)
    register(activity, MemberFactory())
    with mails() as outbox:
        register(activity, MemberFactory())
    (message,) = outbox
    assert "waitlist" in message.subject
    assert "number 1 on the waitlist" in message.body
    assert message.attachments == []
    assert activity.online_url not in message.body


def test_cancelling_promotes_the_first_waitlisted_and_emails_them(mails):
    activity = ActivityFactory(capacity=1)
    seated = register(activity, MemberFactory())
    first = register(activity, MemberFactory())
    second = register(activity, MemberFactory())

    with mails() as outbox:
        services.registration_cancel(registration=seated)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Registration.Status.CONFIRMED
    assert second.status == Registration.Status.WAITLISTED
    assert services.waitlist_position(registration=second) == 1
    promoted = [m for m in outbox if m.to == [first.participant.user.email]]
    assert len(promoted) == 1 and "seat opened" in promoted[0].subject
    assert promoted[0].attachments  # the calendar file comes with the seat
    assert not [m for m in outbox if m.to == [second.participant.user.email]]


def test_leaving_the_waitlist_promotes_nobody():
    activity = ActivityFactory(capacity=1)
    seated = register(activity, MemberFactory())
    waiting = register(activity, MemberFactory())
    services.registration_cancel(registration=waiting)
    seated.refresh_from_db()
    assert seated.status == "confirmed"
    assert activity.registrations.filter(status="confirmed").count() == 1


def test_registering_again_after_cancelling_goes_to_the_end_of_the_queue():
    activity = ActivityFactory(capacity=1)
    register(activity, MemberFactory())
    member = MemberFactory()
    mine = register(activity, member)
    other = register(activity, MemberFactory())
    services.registration_cancel(registration=mine)
    mine = register(activity, member)
    assert mine.status == "waitlisted"
    assert services.waitlist_position(registration=mine) == 2
    assert services.waitlist_position(registration=other) == 1


def test_raising_capacity_fills_seats_from_the_waitlist_in_order():
    activity = ActivityFactory(capacity=1)
    register(activity, MemberFactory())
    first = register(activity, MemberFactory())
    second = register(activity, MemberFactory())
    Activity.objects.filter(pk=activity.pk).update(capacity=2)
    promoted = services.activity_fill_from_waitlist(activity=activity)
    assert [r.pk for r in promoted] == [first.pk]
    second.refresh_from_db()
    assert second.status == "waitlisted"


def test_bounced_and_complained_addresses_get_no_mail(mails):
    activity = ActivityFactory()
    bounced = MemberFactory(email_status=Participant.EmailStatus.BOUNCED)
    complained = MemberFactory(email_status=Participant.EmailStatus.COMPLAINED)
    ok = MemberFactory()
    with mails() as outbox:
        for member in (bounced, complained, ok):
            register(activity, member)
    assert [m.to for m in outbox] == [[ok.user.email]]
    assert Registration.objects.filter(status="confirmed").count() == 3


def test_cancelling_the_activity_tells_everyone_registered_or_waiting(mails):
    activity = ActivityFactory(capacity=1)
    a, b = MemberFactory(), MemberFactory()
    register(activity, a)
    register(activity, b)
    gone = register(activity, MemberFactory())
    services.registration_cancel(registration=gone, notify=False)
    with mails() as outbox:
        sent = services.activity_cancel(activity=activity, note="The speaker is ill.")
    assert sent == 2
    assert sorted(m.to[0] for m in outbox) == sorted([a.user.email, b.user.email])
    assert all("Cancelled" in m.subject and "The speaker is ill." in m.body for m in outbox)
    activity.refresh_from_db()
    assert activity.status == "cancelled"
    assert services.activity_cancel(activity=activity) == 0  # twice: nobody mailed again


def test_publishing_a_cancelled_activity_is_refused():
    activity = ActivityFactory(status=Activity.Status.CANCELLED)
    with pytest.raises(services.ActivityRefused):
        services.activity_publish(activity=activity)


def test_publish_checks_the_activity_is_complete():
    activity = ActivityFactory(status="draft", kind=Activity.Kind.PHYSICAL, place="", city="")
    with pytest.raises(services.ActivityRefused, match="Not published: .*place or a city"):
        services.activity_publish(activity=activity)
    activity = ActivityFactory(status="draft")
    assert services.activity_publish(activity=activity).status == "published"


def test_duplicate_makes_a_draft_a_month_later_at_the_same_local_time():
    import zoneinfo

    oslo = zoneinfo.ZoneInfo("Europe/Oslo")
    # 10 March 13:00 Oslo (winter time) -> 10 April 13:00 Oslo (summer time).
    start = datetime.datetime(2027, 3, 10, 13, 0, tzinfo=oslo)
    activity = ActivityFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=1))
    copy = services.activity_duplicate(activity=activity)
    assert copy.status == "draft"
    assert copy.title == activity.title and copy.online_url == activity.online_url
    local = copy.starts_at.astimezone(oslo)
    assert (local.month, local.day, local.hour) == (4, 10, 13)
    same = services.activity_duplicate(activity=activity, months=0)
    assert same.starts_at == activity.starts_at


def test_attendance_marks_only_seat_holders():
    activity = ActivityFactory(capacity=1)
    seated = register(activity, MemberFactory())
    waiting = register(activity, MemberFactory())
    assert services.registration_set_attended(registration=seated, attended=True).status == (
        "attended"
    )
    assert services.registration_set_attended(registration=waiting, attended=True).status == (
        "waitlisted"
    )
    assert services.registration_set_attended(registration=seated, attended=False).status == (
        "confirmed"
    )


def test_staff_message_goes_to_seat_holders_skips_bad_addresses_and_is_audited(mails):
    activity = ActivityFactory(capacity=2)
    ok = MemberFactory()
    bounced = MemberFactory(email_status=Participant.EmailStatus.BOUNCED)
    register(activity, ok)
    register(activity, bounced)
    register(activity, MemberFactory())  # waitlisted: not included by default
    staff = StaffUserFactory()
    with mails() as outbox:
        result = services.activity_message_registered(
            activity=activity, subject="Room changed & more", body="We meet in room 2.", actor=staff
        )
    assert (result.sent, result.skipped) == (1, 1)
    (message,) = outbox
    assert message.to == [ok.user.email]
    assert message.subject == "Room changed & more"
    assert "We meet in room 2." in message.body
    action = StaffAction.objects.get()
    assert action.kind == AUDIT_ACTIVITY_MESSAGE
    assert action.actor == staff and action.affected_count == 1


def test_reminders_go_once_to_confirmed_members_the_day_before(mails):
    soon = ActivityFactory(
        starts_at=timezone.now() + datetime.timedelta(hours=20),
        ends_at=timezone.now() + datetime.timedelta(hours=21),
        capacity=1,
    )
    later = ActivityFactory(starts_at=timezone.now() + datetime.timedelta(days=3))
    confirmed = register(soon, MemberFactory())
    register(soon, MemberFactory())  # waitlisted: no reminder
    register(later, MemberFactory())  # too early
    with mails() as outbox:
        assert services.registrations_send_reminders() == 1
        assert services.registrations_send_reminders() == 0  # runs twice, sends once
    (message,) = outbox
    assert message.to == [confirmed.participant.user.email]
    assert "Reminder" in message.subject
    confirmed.refresh_from_db()
    assert confirmed.reminded_at is not None


def test_the_reminder_task_runs_the_service(mails):
    from activities.tasks import registrations_send_reminders

    soon = ActivityFactory(
        starts_at=timezone.now() + datetime.timedelta(hours=2),
        ends_at=timezone.now() + datetime.timedelta(hours=3),
    )
    register(soon, MemberFactory())
    with mails() as outbox:
        assert registrations_send_reminders.delay().get() == 1
        assert registrations_send_reminders.delay().get() == 0
    assert len(outbox) == 1


def test_mail_is_in_the_members_time_zone_with_the_activitys_beside(mails):
    import zoneinfo

    start = datetime.datetime(2027, 6, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Africa/Nairobi"))
    activity = ActivityFactory(
        starts_at=start, ends_at=start + datetime.timedelta(hours=2), time_zone="Africa/Nairobi"
    )
    member = MemberFactory(time_zone="Asia/Kathmandu")
    with mails() as outbox:
        register(activity, member)
    body = outbox[0].body
    # 09:00 in Nairobi (UTC+3) is 11:45 in Kathmandu (UTC+5:45).
    assert "11:45–13:45 (Asia/Kathmandu)" in body
    assert "09:00–11:00 (Africa/Nairobi)" in body


def test_erasing_a_member_frees_their_seat_for_the_waitlist():
    activity = ActivityFactory(capacity=1)
    leaving = MemberFactory()
    register(activity, leaving)
    waiting = register(activity, MemberFactory())
    services.calendar_feed_get_or_create(participant=leaving)
    assert services.registrations_export(leaving)[0]["status"] == "confirmed"
    services.registrations_erase(leaving)
    assert not Registration.objects.filter(participant=leaving).exists()
    assert not hasattr(Participant.objects.get(pk=leaving.pk), "calendar_feed")
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
