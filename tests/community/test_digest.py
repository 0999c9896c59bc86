"""The digest: who gets one, what it lists (and never lists), frequencies, languages,
idempotence, the one-click unsubscribe and tracking."""

import datetime

import pytest
from anymail.signals import AnymailTrackingEvent
from anymail.signals import tracking
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import digests
from community import sending
from community import services
from community.models import CommunityMember
from community.models import DigestDelivery
from community.tasks import digests_start_due
from core import outbound
from members import services as member_services
from members.models import Participant
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic
from tests.support.fake_esp import FakeEsp

pytestmark = pytest.mark.django_db


def next_monday() -> datetime.date:
    today = digests.today_local(timezone.now())
    return today + datetime.timedelta(days=7 - today.weekday())


def tomorrow() -> datetime.date:
    return digests.today_local(timezone.now()) + datetime.timedelta(days=1)


def not_monday_after_today() -> datetime.date:
    day = tomorrow()
    return day if day.weekday() != 0 else day + datetime.timedelta(days=1)


def send_all() -> list:
    mail.outbox.clear()
    sending._rendered.clear()
    outbound.send_batch(stream_name=sending.STREAM, campaign_id=None)
    return list(mail.outbox)


def set_digest(member, frequency):
    CommunityMember.objects.filter(participant=member).update(digest=frequency)


@pytest.fixture
def reader(network):
    return regular_member(first_name="Rehema", last_name="Reader")


def test_a_weekly_digest_lists_new_and_busy_topics_of_followed_rooms(amina, tendai, reader):
    fresh = topic(amina, title="Solar pumps", text="Who has installed one?")
    busy = topic(tendai, title="Older busy topic")
    for _ in range(2):
        reply(amina, busy)
    # The busy topic was started before the period; only its replies are in it.
    monday = next_monday()
    until = digests.run_until(monday)
    before = until - datetime.timedelta(days=8)
    busy.posts.filter(is_opening=True).update(created_at=before)
    assert digests.digest_start(frequency="weekly", day=monday) >= 1
    [message] = [m for m in send_all() if m.to == [reader.email]]
    assert "This week" in message.subject
    assert "Solar pumps" in message.body and "Who has installed one?" in message.body
    assert "Older busy topic" in message.body and "2 new replies" in message.body
    assert f"/community/topics/{fresh.pk}/" in message.body
    assert "Hello Rehema" in message.body
    html = message.alternatives[0][0]
    assert "Solar pumps" in html and "Older busy topic" in html
    assert message.reply_to == []  # a digest carries no reply address


def test_hidden_and_held_content_and_unfollowed_rooms_are_never_listed(
    amina, newcomer, reader, network
):
    uganda = branch("Uganda", ("UG",))
    topic(amina, title="Visible topic")
    hidden = topic(amina, title="Hidden topic")
    services.post_set_hidden(post=hidden.posts.get(is_opening=True), hidden=True, moderator=None)
    topic(newcomer, title="Held topic")  # a new member's first post waits
    topic(amina, room=uganda.room, title="Uganda only")
    hidden_reply_topic = topic(amina, title="Quiet topic")
    post = reply(amina, hidden_reply_topic, text="A hidden reply")
    services.post_set_hidden(post=post, hidden=True, moderator=None)
    digests.digest_start(frequency="weekly", day=next_monday())
    [message] = [m for m in send_all() if m.to == [reader.email]]
    assert "Visible topic" in message.body
    for absent in ("Hidden topic", "Held topic", "Uganda only", "A hidden reply"):
        assert absent not in message.body
        assert absent not in message.alternatives[0][0]


def test_a_member_with_nothing_new_gets_nothing(amina, reader):
    day = next_monday()
    assert digests.digest_start(frequency="weekly", day=day) == 0
    assert send_all() == []
    # And the next week's digest does not reach back into this one's period.
    topic(amina, title="Old news")
    DigestDelivery.objects.all().delete()
    CommunityMember.objects.update(last_digest_at=digests.run_until(day) + datetime.timedelta(1))
    assert digests.digest_start(frequency="weekly", day=day + datetime.timedelta(7)) == 0


def test_running_twice_sends_nothing_twice(amina, reader):
    topic(amina, title="Once only")
    day = next_monday()
    made = digests.digest_start(frequency="weekly", day=day)
    assert digests.digest_start(frequency="weekly", day=day) == 0
    assert DigestDelivery.objects.count() == made
    first = send_all()
    assert len([m for m in first if m.to == [reader.email]]) == 1
    assert digests.digest_start(frequency="weekly", day=day) == 0
    assert send_all() == []


def test_a_run_killed_between_chunks_goes_on_where_it_stopped(amina, tendai, reader, monkeypatch):
    """Members are taken a chunk at a time, each chunk committed with their `last_digest_at`:
    a run that dies after its first chunk keeps that chunk, and the next run makes the rest,
    nobody twice."""
    topic(amina, title="Chunked")
    day = next_monday()
    monkeypatch.setattr(outbound, "PREPARE_CHUNK", 1)
    real_chunk, calls = digests._digest_chunk, []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(digests, "_digest_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        digests.digest_start(frequency="weekly", day=day)
    kept = DigestDelivery.objects.count()
    assert CommunityMember.objects.filter(last_digest_at__isnull=False).count() == 1

    monkeypatch.setattr(digests, "_digest_chunk", real_chunk)
    made = digests.digest_start(frequency="weekly", day=day)

    assert made >= 1 and DigestDelivery.objects.count() == kept + made
    assert DigestDelivery.objects.values("participant").distinct().count() == kept + made
    assert digests.digest_start(frequency="weekly", day=day) == 0
    assert len([m for m in send_all() if m.to == [reader.email]]) == 1


def test_frequencies(amina, tendai, reader):
    set_digest(tendai, "daily")
    set_digest(amina, "never")
    topic(amina, title="News")
    day = not_monday_after_today()
    # Whatever day that is, the news of now is in its period.
    CommunityMember.objects.update(last_digest_at=timezone.now() - datetime.timedelta(hours=1))
    assert digests.frequencies_due(day) == ["daily"]
    assert digests.frequencies_due(next_monday()) == ["daily", "weekly"]
    digests.digests_start_for_day(day)
    assert set(DigestDelivery.objects.values_list("participant_id", "frequency")) == {
        (tendai.pk, "daily")
    }
    [message] = send_all()
    assert "Today" in message.subject


def test_the_beat_task_starts_the_days_digests(amina, tendai):
    set_digest(tendai, "daily")
    set_digest(amina, "never")  # the weekly one is due too when today is a Monday
    question = topic(amina)
    # Posted yesterday evening, Oslo time: today's daily digest lists it.
    until = digests.run_until(digests.today_local(timezone.now()))
    question.posts.update(created_at=until - datetime.timedelta(hours=1))
    assert digests_start_due.delay().get() == 1
    assert DigestDelivery.objects.get().participant == tendai
    assert digests_start_due.delay().get() == 0


def test_the_digest_is_in_each_members_language(amina, reader):
    Participant.objects.filter(pk=reader.pk).update(preferred_language="fr")
    topic(amina, title="Pompes solaires")
    digests.digest_start(frequency="weekly", day=next_monday())
    [message] = [m for m in send_all() if m.to == [reader.email]]
    assert "Cette semaine" in message.subject
    assert "Bonjour Rehema" in message.body


def test_one_click_unsubscribe_headers_and_post(amina, reader):
    topic(amina)
    digests.digest_start(frequency="weekly", day=next_monday())
    [message] = [m for m in send_all() if m.to == [reader.email]]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://") or url.startswith("http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    path = url.split("://", 1)[1].split("/", 1)[1]
    # The mail app's POST: no cookie, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        "/" + path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    member = CommunityMember.objects.get(participant=reader)
    assert member.digest == "never" and member.digest_unsubscribed_at is not None
    reader.refresh_from_db()
    assert reader.newsletter_subscribed  # the digest alone


def test_the_unsubscribe_page_asks_before_it_acts(client, reader):
    url = reverse("community:digest_unsubscribe", args=[sending.unsubscribe_token(reader.pk)])
    page = client.get(url)
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert CommunityMember.objects.get(participant=reader).digest == "weekly"
    client.post(url)
    again = client.get(url).content.decode()
    assert "You do not receive the community digest." in again


def test_a_wrong_token_changes_nothing(client, reader):
    token = sending.unsubscribe_token(reader.pk)
    for bad in (token[:-1] + ("0" if token[-1] != "0" else "1"), f"{reader.pk + 1}-x", "abc"):
        response = client.post(reverse("community:digest_unsubscribe", args=[bad]))
        assert response.status_code == 404
    assert CommunityMember.objects.get(participant=reader).digest == "weekly"


def test_who_left_the_digest_or_lost_their_address_since_the_run_is_skipped(amina, tendai, reader):
    topic(amina)
    digests.digest_start(frequency="weekly", day=next_monday())
    set_digest(reader, "never")
    member_services.participant_mark_email_status(participant=tendai, status="bounced")
    sent = send_all()
    assert reader.email not in [m.to[0] for m in sent]
    assert tendai.email not in [m.to[0] for m in sent]
    assert DigestDelivery.objects.get(participant=reader).status == "skipped"


def test_a_post_hidden_after_the_run_is_not_sent(amina, reader):
    only = topic(amina, title="Soon hidden")
    digests.digest_start(frequency="weekly", day=next_monday())
    services.post_set_hidden(post=only.posts.get(is_opening=True), hidden=True, moderator=None)
    assert send_all() == []


def test_a_bounce_of_a_digest_marks_the_address(amina, reader):
    topic(amina)
    digests.digest_start(frequency="weekly", day=next_monday())
    send_all()
    delivery = DigestDelivery.objects.get(participant=reader)
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(
            event_type="bounced",
            message_id=delivery.esp_message_id,
            recipient=delivery.email,
            metadata={"stream": sending.STREAM, "id": str(delivery.pk)},
            timestamp=timezone.now(),
        ),
        esp_name="test",
    )
    reader.refresh_from_db()
    delivery.refresh_from_db()
    assert delivery.bounced_at is not None
    assert reader.email_status == "bounced"


def test_the_beat_schedule_runs_the_task_each_morning(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["community-digests"]
    assert entry["task"] == "community.digests_start_due"
    assert settings.CELERY_TIMEZONE == "Europe/Oslo"


def test_the_unsubscribe_token_is_kept_out_of_logs(reader):
    from core.log_redaction import redact

    token = sending.unsubscribe_token(reader.pk)
    line = f"GET /community/digest/unsubscribe/{token}/ HTTP/1.1"
    assert token not in redact(line)


def test_through_an_esp_that_batches_the_digest_goes_out_in_one_call(amina, reader, settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    with FakeEsp() as esp:
        settings.ANYMAIL = esp.anymail_settings("postmark")
        topic(amina, title="Solar pumps")
        digests.digest_start(frequency="weekly", day=next_monday())
        send_all()

    assert [path for path, _count in esp.calls] == ["/email/batch"]
    accepted = {item.address: item for item in esp.accepted}
    row = DigestDelivery.objects.get(email=reader.email)
    assert row.status == "sent" and row.esp_message_id == accepted[reader.email].message_id
    token = sending.unsubscribe_token(reader.pk)
    assert accepted[reader.email].headers["List-Unsubscribe"].endswith(f"/{token}/>")
    assert "Rehema" in accepted[reader.email].text
