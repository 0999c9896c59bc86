"""Audience, scheduling, state changes, materialising deliveries."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from django.utils import translation

from core import outbound
from members.models import Participant
from members.models import StaffAction
from newsletters import services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.selectors import newsletter_audience_counts
from newsletters.services import AUDIT_NEWSLETTER_SEND
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def population():
    return {
        "ke": MemberFactory.create_batch(3, home_country="KE"),
        "np": MemberFactory(home_country="NP"),
        "unsubscribed": MemberFactory(home_country="KE", newsletter_subscribed=False),
        "bounced": MemberFactory(home_country="KE", email_status=Participant.EmailStatus.BOUNCED),
        "complained": MemberFactory(
            home_country="NP", email_status=Participant.EmailStatus.COMPLAINED
        ),
        "roster_only": ParticipantFactory(home_country="KE"),
    }


def test_audience_counts_say_who_receives_and_who_is_left_out_and_why(population):
    everybody = NewsletterFactory()
    counts = newsletter_audience_counts(newsletter=everybody)
    assert (counts.receive, counts.unsubscribed, counts.bad_address, counts.not_registered) == (
        4,
        1,
        2,
        1,
    )
    kenya = NewsletterFactory(audience=Newsletter.Audience.COUNTRIES, countries=["KE"])
    counts = newsletter_audience_counts(newsletter=kenya)
    assert (counts.receive, counts.unsubscribed, counts.bad_address, counts.not_registered) == (
        3,
        1,
        1,
        1,
    )


def test_starting_creates_one_delivery_per_eligible_member_and_never_a_second(population):
    staff = StaffUserFactory()
    newsletter = NewsletterFactory()
    services.newsletter_schedule(
        newsletter=newsletter, actor=staff, send_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert services.newsletters_start_due() == []

    later = timezone.now() + datetime.timedelta(hours=2)
    assert services.newsletters_start_due(now=later) == [newsletter.pk]
    assert services.newsletters_start_due(now=later) == []
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)

    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING
    assert newsletter.recipient_count == 4
    expected = {p.pk for p in population["ke"]} | {population["np"].pk}
    assert set(Delivery.objects.values_list("participant_id", flat=True)) == expected
    delivery = Delivery.objects.get(participant=population["np"])
    assert delivery.email == population["np"].user.email


def test_send_now_starts_at_once_and_its_mail_goes_out_once_it_commits(
    population, django_capture_on_commit_callbacks
):
    """Like a wave's launch: "Send now" only marks the newsletter "preparing", with the audience
    counted, and enqueues the worker's preparation on commit (eager here); no delivery is made
    inside the request. The preparation's last chunk kicks the first batches."""
    newsletter = NewsletterFactory(rate_per_hour=0)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.newsletter_schedule(newsletter=newsletter, actor=StaffUserFactory())
        newsletter.refresh_from_db()
        assert newsletter.status == Newsletter.Status.PREPARING
        assert newsletter.recipient_count == 4
        assert newsletter.deliveries.count() == 0
        assert mail.outbox == []  # nothing is sent inside the request's transaction

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT
    assert newsletter.deliveries.count() == newsletter.recipient_count == 4
    assert len(mail.outbox) == 4


def test_a_preparation_killed_midway_resumes_without_duplicates(population, monkeypatch):
    """Chunks commit one by one; a chain lost after the first (its worker killed) goes on where
    the rows stop when the sweep enqueues it again, and a chunk run twice adds nothing."""
    monkeypatch.setattr(outbound, "PREPARE_CHUNK", 3)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=StaffUserFactory(), send_at=None)

    first = services.newsletter_prepare_chunk(newsletter_id=newsletter.pk)
    assert (first.rows, first.more) == (3, True)
    again = services.newsletter_prepare_chunk(newsletter_id=newsletter.pk, after=0)  # twice
    assert again.more and newsletter.deliveries.count() == 3
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.PREPARING
    # The chain was lost: nothing touched it for longer than the stale time.
    Newsletter.objects.filter(pk=newsletter.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert outbound.stalled_preparations() == [(services.STREAM, newsletter.pk)]

    prepare_all(services.STREAM, newsletter.pk)  # from where the rows stop

    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING
    assert newsletter.deliveries.count() == newsletter.recipient_count == 4
    assert len(set(newsletter.deliveries.values_list("participant_id", flat=True))) == 4
    assert outbound.stalled_preparations() == []


def test_pausing_or_cancelling_while_preparing_stops_the_preparation(population, monkeypatch):
    monkeypatch.setattr(outbound, "PREPARE_CHUNK", 2)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=StaffUserFactory())
    services.newsletter_prepare_chunk(newsletter_id=newsletter.pk)

    services.newsletter_pause(newsletter=newsletter, reason="wait")
    assert not services.newsletter_prepare_chunk(newsletter_id=newsletter.pk, after=0).more
    assert newsletter.deliveries.count() == 2

    services.newsletter_resume(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.PREPARING  # prepares on, then sends
    services.newsletter_prepare_chunk(newsletter_id=newsletter.pk)
    assert newsletter.deliveries.count() == 4

    services.newsletter_cancel(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.CANCELLED
    assert set(newsletter.deliveries.values_list("status", flat=True)) == {"cancelled"}
    assert len(mail.outbox) == 0


def test_scheduling_is_recorded_in_the_audit_log_with_the_audience_count(population):
    staff = StaffUserFactory(email="staff@example.org")
    newsletter = NewsletterFactory(subject="November news")

    services.newsletter_schedule(newsletter=newsletter, actor=staff)

    action = StaffAction.objects.get()
    assert action.kind == AUDIT_NEWSLETTER_SEND
    assert action.actor == staff
    assert action.affected_count == 4
    assert "November news" in action.summary


def test_a_newsletter_cannot_be_scheduled_twice_or_in_the_past_or_to_nobody(population):
    staff = StaffUserFactory()
    newsletter = NewsletterFactory()
    with pytest.raises(services.NewsletterRefused):
        services.newsletter_schedule(
            newsletter=newsletter, actor=staff, send_at=timezone.now() - datetime.timedelta(days=1)
        )
    services.newsletter_schedule(newsletter=newsletter, actor=staff)
    with pytest.raises(services.NewsletterRefused):
        services.newsletter_schedule(newsletter=newsletter, actor=staff)
    nobody = NewsletterFactory(audience=Newsletter.Audience.COUNTRIES, countries=["BO"])
    with pytest.raises(services.NewsletterRefused, match="Nobody would receive"):
        services.newsletter_schedule(newsletter=nobody, actor=staff)


def test_pause_resume_cancel_follow_the_states(population):
    staff = StaffUserFactory()
    newsletter = NewsletterFactory()
    services.newsletter_schedule(newsletter=newsletter, actor=staff)
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)

    services.newsletter_pause(newsletter=newsletter, reason="checking a typo")
    newsletter.refresh_from_db()
    assert (newsletter.status, newsletter.paused_reason) == ("paused", "checking a typo")
    services.newsletter_resume(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENDING
    services.newsletter_cancel(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.CANCELLED
    with pytest.raises(services.NewsletterRefused):
        services.newsletter_resume(newsletter=newsletter)


def test_back_to_draft_before_it_starts(population):
    newsletter = NewsletterFactory()
    services.newsletter_schedule(
        newsletter=newsletter,
        actor=StaffUserFactory(),
        send_at=timezone.now() + datetime.timedelta(days=1),
    )
    services.newsletter_unschedule(newsletter=newsletter)
    newsletter.refresh_from_db()
    assert (newsletter.status, newsletter.scheduled_for) == ("draft", None)


def test_a_test_mail_goes_to_the_staff_member_marked_as_test(django_capture_on_commit_callbacks):
    staff = StaffUserFactory(email="staff@example.org", first_name="Kari")
    newsletter = NewsletterFactory(subject="November news")

    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_send_test(newsletter=newsletter, user=staff)

    (sent,) = mail.outbox
    assert sent.to == ["staff@example.org"]
    assert sent.subject == "[Test] November news"
    assert "Hello Kari," in sent.body
    assert not Delivery.objects.exists()


def test_a_refusal_is_one_whole_sentence_in_the_staff_members_language(population):
    """Not "A %(status)s newsletter cannot be %(action)s": the status and the verb could not agree
    in gender in French, Spanish or Portuguese."""
    staff = StaffUserFactory()
    newsletter = NewsletterFactory()
    services.newsletter_schedule(newsletter=newsletter, actor=staff)
    with pytest.raises(services.NewsletterRefused, match="cannot be scheduled: its status is"):
        services.newsletter_schedule(newsletter=newsletter, actor=staff)
    with translation.override("fr"), pytest.raises(services.NewsletterRefused) as refused:
        services.newsletter_resume(newsletter=newsletter)
    assert "Impossible de reprendre l'envoi de cette lettre d'information" in str(refused.value)
