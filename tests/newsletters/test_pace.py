"""The newsletter's pace in the back office: the field and its refusals, the estimate beside the
audience before sending, the current rate and time left while it sends (`core.outbound.pace`)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.selectors import newsletter_progress
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db

ADD_URL = "admin:newsletters_newsletter_add"


def compose(client, **fields):
    data = {
        "subject": "December news",
        "month": "2026-12",
        "body": "Hello",
        "audience": "all",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "3",
        "_save": "Save",
        **fields,
    }
    return client.post(reverse(ADD_URL), data)


def send_page(client, newsletter):
    response = client.get(reverse("admin:newsletters_newsletter_send", args=[newsletter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_newsletter_comes_with_a_pace_an_esp_account_sustains(client, activity_staff):
    client.force_login(activity_staff)

    form = client.get(reverse(ADD_URL)).content.decode()
    saved = compose(client)  # a form without the field (an older page) takes the default

    assert 'name="rate_per_hour" value="20000"' in form
    assert saved.status_code == 302
    assert Newsletter.objects.get().rate_per_hour == 20_000


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "The pace cannot be negative: give messages per hour, or 0 for as fast as the"),
        ("5000000", "1000000 messages an hour is the most the portal accepts"),
        ("99999999999999", "1000000 messages an hour is the most the portal accepts"),
        ("fast", "Give the pace as a whole number of messages per hour, e.g. 20000."),
    ],
)
def test_a_bad_pace_is_refused_beside_the_field_and_what_was_typed_is_kept(
    client, activity_staff, typed, message
):
    client.force_login(activity_staff)

    response = compose(client, rate_per_hour=typed, subject="Kept subject")

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert f'name="rate_per_hour" value="{typed}"' in content
    assert 'value="Kept subject"' in content
    assert not Newsletter.objects.exists()


def test_pace_zero_is_allowed_and_says_there_is_no_estimate(client, activity_staff):
    MemberFactory.create_batch(2)
    client.force_login(activity_staff)

    compose(client, rate_per_hour="0")

    newsletter = Newsletter.objects.get()
    assert newsletter.rate_per_hour == 0
    assert "2 messages, at no set pace: they go as fast as the mail server takes them" in (
        send_page(client, newsletter)
    )


def test_the_edit_page_shows_the_estimate_for_the_saved_audience(client, activity_staff):
    MemberFactory.create_batch(3)
    newsletter = NewsletterFactory(rate_per_hour=60)
    client.force_login(activity_staff)

    page = client.get(reverse("admin:newsletters_newsletter_change", args=[newsletter.pk]))

    assert "At 60 messages an hour, 3 messages take about 3 minutes: they finish around" in (
        page.content.decode()
    )


def test_the_send_page_and_the_send_now_confirmation_show_audience_pace_and_finish(
    client, activity_staff
):
    MemberFactory.create_batch(3)
    MemberFactory(newsletter_subscribed=False)
    newsletter = NewsletterFactory(rate_per_hour=60)
    client.force_login(activity_staff)

    page = send_page(client, newsletter)
    confirm = client.get(
        reverse("admin:newsletters_newsletter_send_now", args=[newsletter.pk])
    ).content.decode()

    for content in (page, confirm):
        assert "60 messages an hour." in content
        assert "At 60 messages an hour, 3 messages take about 3 minutes: they finish around" in (
            content
        )
    assert "#id_rate_per_hour" in page  # where to change it


def test_a_scheduled_newsletter_is_estimated_from_its_time(client, activity_staff):
    MemberFactory.create_batch(2)
    when = timezone.now() + dt.timedelta(days=3)
    newsletter = NewsletterFactory(rate_per_hour=120, status="scheduled", scheduled_for=when)
    client.force_login(activity_staff)

    page = send_page(client, newsletter)

    finish = timezone.localtime(when + dt.timedelta(minutes=1))
    assert "2 messages take about 1 minute" in page
    assert finish.strftime("%H:%M") in page


def sending(rate_per_hour=20_000, status=Newsletter.Status.SENDING, **deliveries):
    """A newsletter under way, its deliveries made directly with their `sent_at`:
    `recent` sent in the last minutes, `earlier` an hour ago, `pending` waiting."""
    now = timezone.now()
    newsletter = NewsletterFactory(
        rate_per_hour=rate_per_hour, status=status, started_at=now - dt.timedelta(hours=2)
    )
    rows = []
    for kind, count in deliveries.items():
        for n in range(count):
            sent_at = {
                "recent": now - dt.timedelta(minutes=2),
                "earlier": now - dt.timedelta(hours=1),
            }.get(kind)
            rows.append(
                Delivery(
                    newsletter=newsletter,
                    email=f"{kind}{n}@example.org",
                    status="sent" if sent_at else "pending",
                    sent_at=sent_at,
                )
            )
    Delivery.objects.bulk_create(rows)
    return newsletter


def test_the_progress_counts_what_went_out_in_the_last_ten_minutes():
    newsletter = sending(recent=30, earlier=10, pending=60)

    progress = newsletter_progress(newsletter=newsletter)

    assert (progress["recent"], progress["sent"], progress["queued"]) == (30, 40, 60)


def test_the_progress_page_shows_the_current_rate_and_the_time_left_at_it(client, activity_staff):
    newsletter = sending(recent=30, earlier=10, pending=60)
    client.force_login(activity_staff)

    page = send_page(client, newsletter)

    # 30 in 10 minutes is 180 an hour; 60 left take 20 minutes at that rate.
    assert "Now: 180 messages an hour (3.0 a minute), over the last 10 minutes." in page
    assert "60 messages left: about 20 minutes at the current rate, finishing around" in page


def test_with_nothing_sent_lately_the_time_left_is_at_the_set_pace(client, activity_staff):
    newsletter = sending(rate_per_hour=600, earlier=10, pending=100)
    client.force_login(activity_staff)

    page = send_page(client, newsletter)

    assert "Nothing went out in the last 10 minutes." in page
    assert "100 messages left: about 10 minutes at the set pace of 600 an hour" in page


def test_a_paused_newsletter_says_it_is_paused_rather_than_a_time_left(client, activity_staff):
    newsletter = sending(status=Newsletter.Status.PAUSED, recent=5, pending=100)
    client.force_login(activity_staff)

    page = send_page(client, newsletter)

    assert "Paused: nothing more goes out until it is resumed." in page
    assert "messages left" not in page


def test_the_dashboard_shows_the_sending_newsletter_s_rate(client):
    sending(recent=30, pending=60)
    client.force_login(StaffUserFactory(is_superuser=True))

    page = client.get(reverse("admin:index")).content.decode()

    assert "Now: 180 messages an hour" in page
    assert "60 messages left: about 20 minutes at the current rate" in page


def test_a_sent_newsletter_shows_its_counts_but_no_rate(client, activity_staff):
    newsletter = sending(status=Newsletter.Status.SENT, recent=3, earlier=10)
    client.force_login(activity_staff)

    page = send_page(client, newsletter)

    assert 'class="count-sent">13<' in page
    assert "pace-progress" not in page
