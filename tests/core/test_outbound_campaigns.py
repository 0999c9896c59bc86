"""Asking the bulk sender's streams which campaigns may send is a read: the writes that move
campaigns on (a wave whose start has come, deliveries to people who left meanwhile) happen in the
tick's own step, `advance_campaigns`."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import outbound
from invitations.models import Wave
from members.services import participant_set_newsletter_subscription
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture
def due_wave():
    """A wave launched to start in an hour, asked about two hours later."""
    make_participants(2, with_exchange=False)
    wave = make_wave(starts_at=timezone.now() + timedelta(hours=1))
    launch(wave)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.SCHEDULED
    return wave


@pytest.fixture
def sending_newsletter(django_capture_on_commit_callbacks):
    """A newsletter that started sending to two members, one of whom left it since through their
    profile (which does not touch deliveries); nothing sent yet."""
    stays, leaves = MemberFactory.create_batch(2)
    newsletter = NewsletterFactory()
    newsletter_services.newsletter_schedule(
        newsletter=newsletter, actor=StaffUserFactory(), send_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False):
        newsletter_services.newsletter_start(newsletter=newsletter)
        prepare_all(newsletter_services.STREAM, newsletter.pk)
    participant_set_newsletter_subscription(participant=leaves, subscribed=False, source="profile")
    return Delivery.objects.get(newsletter=newsletter, participant=leaves)


def test_asking_every_stream_for_its_active_campaigns_writes_nothing(due_wave, sending_newsletter):
    later = timezone.now() + timedelta(hours=2)

    with CaptureQueriesContext(connection) as queries:
        for stream in outbound.streams():
            list(stream.active_campaigns(later))

    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert Wave.objects.get(pk=due_wave.pk).status == Wave.Status.SCHEDULED
    sending_newsletter.refresh_from_db()
    assert sending_newsletter.status == Delivery.Status.PENDING


def test_the_ticks_writing_step_starts_a_due_wave_which_is_then_due_a_batch(due_wave):
    later = timezone.now() + timedelta(hours=2)

    outbound.advance_campaigns(later)

    assert Wave.objects.get(pk=due_wave.pk).status == Wave.Status.SENDING
    assert outbound.due_batches(later) == [("invitation", due_wave.pk)]


def test_the_tick_skips_deliveries_to_people_who_left_before_it_sends(sending_newsletter):
    stream = outbound.get_stream("newsletter")

    stream.advance_campaigns(timezone.now())

    sending_newsletter.refresh_from_db()
    assert sending_newsletter.status == Delivery.Status.SKIPPED
    newsletter = Newsletter.objects.get()
    assert newsletter.status == Newsletter.Status.SENDING
    assert newsletter.deliveries.filter(status=Delivery.Status.PENDING).count() == 1
