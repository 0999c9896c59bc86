"""A mail to everyone registered (the cancellation notice, a message from staff) is a broadcast on
the bulk sender: the staff's request writes one row per member and renders nothing; a worker
renders and sends them after commit, and the activity's row lock is long released by then."""

import contextlib

import pytest
from django.core import mail as django_mail
from django.test.signals import template_rendered

from activities import services
from activities.models import Broadcast
from activities.models import BroadcastMessage
from core import outbound
from members import services as member_services
from members.models import Participant
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def rendered_templates():
    names = []

    def record(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(record)
    try:
        yield names
    finally:
        template_rendered.disconnect(record)


def send_queued(broadcast: Broadcast) -> int:
    """What the bulk worker does once the request committed (the beat tick or the kick)."""
    return outbound.send_batch(stream_name=services.BROADCAST_STREAM, campaign_id=broadcast.pk).sent


@pytest.fixture
def seated():
    activity = ActivityFactory(capacity=2)
    members = [MemberFactory(), MemberFactory(), MemberFactory()]
    for member in members:
        services.activity_register(activity=activity, participant=member)
    return activity, members


def test_cancelling_renders_nothing_in_the_request_and_queues_one_row_per_member(
    seated, django_capture_on_commit_callbacks
):
    activity, members = seated

    with rendered_templates() as names, django_capture_on_commit_callbacks() as callbacks:
        queued = services.activity_cancel(activity=activity, note="The venue flooded.")

    assert queued == 3
    assert names == [] and django_mail.outbox == []
    (broadcast,) = Broadcast.objects.all()
    assert (broadcast.kind, broadcast.status, broadcast.body) == (
        "cancelled",
        "sending",
        "The venue flooded.",
    )
    rows = BroadcastMessage.objects.filter(broadcast=broadcast)
    assert sorted(rows.values_list("email", flat=True)) == sorted(m.user.email for m in members)
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    # After commit, the bulk sender takes it from there (no mail is rendered in the request): one
    # batch chain per worker process.
    assert len(callbacks) == outbound.parallel_batches()

    assert send_queued(broadcast) == 3

    assert sorted(m.to[0] for m in django_mail.outbox) == sorted(m.user.email for m in members)
    assert all("The venue flooded." in m.body for m in django_mail.outbox)
    first = django_mail.outbox[0]
    assert first.metadata["stream"] == "activity_broadcast"
    broadcast.refresh_from_db()
    assert broadcast.status == "sent" and broadcast.sent_at is not None


def test_a_message_from_staff_renders_nothing_in_the_request(
    seated, django_capture_on_commit_callbacks
):
    activity, members = seated

    with rendered_templates() as names, django_capture_on_commit_callbacks():
        result = services.activity_message_registered(
            activity=activity, subject="Room 2", body="We meet in room 2.", actor=StaffUserFactory()
        )

    assert (result.sent, result.skipped) == (2, 0)  # the waitlisted member is not included
    assert names == [] and django_mail.outbox == []
    broadcast = Broadcast.objects.get(kind="staff_message")
    assert send_queued(broadcast) == 2
    assert {m.subject for m in django_mail.outbox} == {"Room 2"}


def test_a_member_whose_address_went_bad_meanwhile_is_skipped(
    seated, django_capture_on_commit_callbacks
):
    activity, (first, second, third) = seated
    with django_capture_on_commit_callbacks():
        services.activity_cancel(activity=activity)
    member_services.participant_mark_email_status(
        participant=second, status=Participant.EmailStatus.BOUNCED
    )
    broadcast = Broadcast.objects.get()

    assert send_queued(broadcast) == 2

    assert second.user.email not in [m.to[0] for m in django_mail.outbox]
    skipped = BroadcastMessage.objects.get(participant=second)
    assert skipped.status == "skipped" and "bounced" in skipped.last_error


def test_nobody_to_tell_means_nothing_to_send():
    activity = ActivityFactory()

    assert services.activity_cancel(activity=activity) == 0

    assert Broadcast.objects.get().status == "sent"
    assert not BroadcastMessage.objects.exists()


def test_the_members_broadcast_rows_go_with_their_account(
    seated, django_capture_on_commit_callbacks
):
    activity, (first, *_others) = seated
    with django_capture_on_commit_callbacks():
        services.activity_cancel(activity=activity)

    member_services.participant_delete_account(participant=first)

    assert not BroadcastMessage.objects.filter(participant=first).exists()
    assert BroadcastMessage.objects.count() == 2
