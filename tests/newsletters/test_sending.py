"""Sending through the shared bulk sender: headers of what goes out, nobody twice, skipping those
who unsubscribed or went bad, tracking events, the self-pause, finishing with counts."""

import pytest
from anymail.signals import AnymailTrackingEvent
from anymail.signals import tracking
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core import outbound
from core.tasks import outbound_tick
from members.models import Participant
from members.services import participant_mark_email_status
from members.services import participant_set_newsletter_subscription
from newsletters import sending
from newsletters import services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.rendering import message_html
from newsletters.rendering import unsubscribe_token
from newsletters.selectors import newsletter_audience_counts
from newsletters.selectors import newsletter_progress
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffUserFactory(email="staff@example.org")


def start(newsletter, staff, capture):
    """Schedule for now and start, as the beat task does; the sender's kick runs on commit."""
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    with capture(execute=True):
        services.newsletter_start(newsletter=newsletter)
        prepare_all(services.STREAM, newsletter.pk)
    newsletter.refresh_from_db()
    return newsletter


def one_batch(newsletter, size):
    """Exactly one batch of `size`, claimed and sent by the shared sender."""
    stream = outbound.get_stream(sending.STREAM)
    campaign = outbound.Campaign(id=newsletter.pk, batch_size=size)
    return outbound.send_claimed(
        stream=stream, ids=outbound.claim(stream=stream, campaign=campaign)
    )


def event(delivery, event_type):
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(
            event_type=event_type,
            message_id=delivery.esp_message_id,
            recipient=delivery.email,
            metadata={"stream": "newsletter", "id": str(delivery.pk)},
            timestamp=timezone.now(),
        ),
        esp_name="test",
    )


def by_recipient():
    counts = {}
    for message in mail.outbox:
        counts[message.to[0]] = counts.get(message.to[0], 0) + 1
    return counts


def test_a_sent_message_carries_one_click_unsubscribe_and_is_personal(
    staff, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://network.example"
    amina = MemberFactory(first_name="Amina", email="amina@example.org")
    newsletter = NewsletterFactory(subject="November news", rate_per_hour=0)

    start(newsletter, staff, django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    token = unsubscribe_token(amina.pk)
    url = f"https://network.example/newsletters/unsubscribe/{token}/"
    headers = message.message()
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["To"] == "amina@example.org"
    assert headers["Subject"] == "November news"
    assert headers["Message-ID"]
    assert "Hello Amina," in message.body
    assert f'<a href="{url}"' in message_html(message)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.esp_message_id
    assert delivery.sent_at is not None


def test_the_preview_is_exactly_what_is_sent(staff, client, django_capture_on_commit_callbacks):
    # Staff who are also on the roster get the issue like everyone: their preview is their mail.
    ParticipantFactory(user=staff, first_name="Amina", email=staff.email, home_country="KE")
    staff.is_superuser = True
    staff.save()
    newsletter = NewsletterFactory(subject="November news", rate_per_hour=0)
    client.force_login(staff)
    preview = client.get(reverse("admin:newsletters_newsletter_preview_html", args=[newsletter.pk]))
    send_page = client.get(reverse("admin:newsletters_newsletter_send", args=[newsletter.pk]))

    start(newsletter, staff, django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert preview.content.decode() == message_html(message)
    assert send_page.context["message"].body == message.body
    assert send_page.context["message"].subject == message.subject


def test_everyone_eligible_gets_it_once_and_the_newsletter_ends_sent_with_its_counts(
    staff, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(sending, "BATCH_SIZE", 3)
    members = MemberFactory.create_batch(7)
    MemberFactory(newsletter_subscribed=False)
    MemberFactory(email_status=Participant.EmailStatus.COMPLAINED)
    newsletter = NewsletterFactory(rate_per_hour=0)

    start(newsletter, staff, django_capture_on_commit_callbacks)
    services.newsletter_start(newsletter=newsletter)  # a second start creates nothing
    outbound_tick()
    outbound_tick()

    assert by_recipient() == {m.user.email: 1 for m in members}
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT
    assert newsletter.sent_at is not None
    progress = newsletter_progress(newsletter=newsletter)
    assert (progress["total"], progress["sent"], progress["queued"]) == (7, 7, 0)


def test_who_unsubscribes_or_goes_bad_before_the_next_batch_is_skipped(
    staff, client, django_capture_on_commit_callbacks
):
    first, by_link, by_profile, bounced = MemberFactory.create_batch(4)
    newsletter = NewsletterFactory(rate_per_hour=60)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)

    assert one_batch(newsletter, 1).sent == 1
    client.post(
        reverse("newsletters:unsubscribe", args=[unsubscribe_token(by_link.pk)]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    participant_set_newsletter_subscription(participant=by_profile, subscribed=False)
    participant_mark_email_status(participant=bounced, status=Participant.EmailStatus.BOUNCED)
    # Beat's next tick skips them before it enqueues the next batch (run at once, eagerly).
    outbound_tick()

    assert by_recipient() == {first.user.email: 1}
    statuses = dict(Delivery.objects.values_list("participant_id", "status"))
    assert statuses == {
        first.pk: "sent",
        by_link.pk: "skipped",
        by_profile.pk: "skipped",
        bounced.pk: "skipped",
    }
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT


def test_tracking_events_update_the_delivery_and_the_participant(
    staff, django_capture_on_commit_callbacks
):
    delivered, bounced, complained = MemberFactory.create_batch(3)
    newsletter = NewsletterFactory(rate_per_hour=0)
    start(newsletter, staff, django_capture_on_commit_callbacks)
    rows = {d.participant_id: d for d in Delivery.objects.all()}

    event(rows[delivered.pk], "delivered")
    event(rows[bounced.pk], "bounced")
    event(rows[complained.pk], "complained")

    for row in rows.values():
        row.refresh_from_db()
    assert rows[delivered.pk].delivered_at is not None
    assert rows[bounced.pk].status == Delivery.Status.BOUNCED
    assert rows[complained.pk].complained_at is not None
    bounced.refresh_from_db()
    complained.refresh_from_db()
    assert bounced.email_status == Participant.EmailStatus.BOUNCED
    assert complained.email_status == Participant.EmailStatus.COMPLAINED
    # Never mailed again: the next newsletter leaves them out.
    counts = newsletter_audience_counts(newsletter=NewsletterFactory())
    assert (counts.receive, counts.bad_address) == (1, 2)


@pytest.mark.parametrize(
    ("event_type", "words"), [("bounced", "Bounce rate"), ("complained", "Complaint rate")]
)
def test_a_newsletter_pauses_itself_when_bounces_or_complaints_pass_the_limit(
    staff, settings, event_type, words
):
    settings.OUTBOUND_MIN_SAMPLE = 10
    MemberFactory.create_batch(20)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    assert one_batch(newsletter, 10).sent == 10

    event(Delivery.objects.filter(status="sent").first(), event_type)

    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.PAUSED
    assert words in newsletter.paused_reason
    outbound.send_batch(stream_name=sending.STREAM, campaign_id=newsletter.pk)
    assert len(mail.outbox) == 10


def test_a_cancelled_newsletter_sends_nothing_more(staff):
    MemberFactory.create_batch(5)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    one_batch(newsletter, 2)

    services.newsletter_cancel(newsletter=newsletter)
    outbound_tick()

    assert len(mail.outbox) == 2
    progress = newsletter_progress(newsletter=newsletter)
    assert (progress["sent"], progress["cancelled"], progress["queued"]) == (2, 3, 0)


def test_a_pause_stops_a_batch_already_claimed(staff, django_capture_on_commit_callbacks):
    members = MemberFactory.create_batch(4)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    stream = outbound.get_stream(sending.STREAM)
    ids = outbound.claim(stream=stream, campaign=outbound.Campaign(id=newsletter.pk, batch_size=4))

    services.newsletter_pause(newsletter=newsletter, reason="wrong link")
    result = outbound.send_claimed(stream=stream, ids=ids)

    assert (result.sent, result.released) == (0, 4)
    assert mail.outbox == []
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_resume(newsletter=newsletter)
    assert by_recipient() == {m.user.email: 1 for m in members}


def test_a_cancel_stops_a_batch_already_claimed(staff):
    MemberFactory.create_batch(3)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    stream = outbound.get_stream(sending.STREAM)
    ids = outbound.claim(stream=stream, campaign=outbound.Campaign(id=newsletter.pk, batch_size=3))

    services.newsletter_cancel(newsletter=newsletter)
    result = outbound.send_claimed(stream=stream, ids=ids)

    assert result.sent == 0
    assert mail.outbox == []
    progress = newsletter_progress(newsletter=newsletter)
    assert (progress["sent"], progress["cancelled"], progress["queued"]) == (0, 3, 0)


def test_a_paused_newsletter_resumes_where_it_stopped(staff, django_capture_on_commit_callbacks):
    members = MemberFactory.create_batch(4)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    one_batch(newsletter, 2)
    services.newsletter_pause(newsletter=newsletter, reason="typo")
    outbound_tick()
    assert len(mail.outbox) == 2

    # Resuming goes on at once, without waiting for the sender's next tick.
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_resume(newsletter=newsletter)

    assert by_recipient() == {m.user.email: 1 for m in members}


def test_the_beat_task_runs_twice_and_sends_once(staff, django_capture_on_commit_callbacks):
    from newsletters.tasks import newsletters_send_due

    members = MemberFactory.create_batch(3)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        newsletters_send_due.delay()
        newsletters_send_due.delay()
    outbound_tick()

    assert by_recipient() == {m.user.email: 1 for m in members}
    assert Delivery.objects.count() == 3


def test_staff_see_deliveries_read_only(client, staff, django_capture_on_commit_callbacks):
    MemberFactory.create_batch(3)
    staff.is_superuser = True
    staff.save()
    start(NewsletterFactory(rate_per_hour=0), staff, django_capture_on_commit_callbacks)
    client.force_login(staff)

    response = client.get(reverse("admin:newsletters_delivery_changelist"))
    assert response.status_code == 200
    delivery = Delivery.objects.first()
    page = client.get(reverse("admin:newsletters_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content


def test_who_unsubscribes_after_the_batch_was_claimed_is_skipped_at_send_time(staff):
    first, second = MemberFactory.create_batch(2)
    newsletter = NewsletterFactory(rate_per_hour=0)
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=newsletter)
    prepare_all(services.STREAM, newsletter.pk)
    stream = outbound.get_stream(sending.STREAM)
    ids = outbound.claim(stream=stream, campaign=outbound.Campaign(id=newsletter.pk, batch_size=2))

    participant_set_newsletter_subscription(participant=second, subscribed=False)
    result = outbound.send_claimed(stream=stream, ids=ids)

    assert (result.sent, result.skipped) == (1, 1)
    assert by_recipient() == {first.user.email: 1}
    assert Delivery.objects.get(participant=second).status == Delivery.Status.SKIPPED
