"""The back office: compose, audience counts, preview as sent, test, schedule, permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from members.models import StaffAction
from newsletters import services
from newsletters.models import Newsletter
from newsletters.rendering import IssueRenderer
from newsletters.rendering import message_html
from newsletters.rendering import unsubscribe_token
from newsletters.services import AUDIT_NEWSLETTER_SEND
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def variants(*forms, initial=0):
    """The language variants inline as the change form posts it: its management form, then one
    form per dict (`language`, `subject`, `body`, and `id` for an existing variant)."""
    data = {
        "variants-TOTAL_FORMS": str(len(forms)),
        "variants-INITIAL_FORMS": str(initial),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "3",
    }
    for index, form in enumerate(forms):
        data.update({f"variants-{index}-{key}": value for key, value in form.items()})
    return data


def send_url(newsletter):
    return reverse("admin:newsletters_newsletter_send", args=[newsletter.pk])


def action_url(newsletter, action):
    return reverse("admin:newsletters_newsletter_action", args=[newsletter.pk, action])


def send_now_url(newsletter):
    return reverse("admin:newsletters_newsletter_send_now", args=[newsletter.pk])


def test_activity_staff_compose_a_draft_and_land_on_the_send_page(client, activity_staff):
    client.force_login(activity_staff)

    response = client.post(
        reverse("admin:newsletters_newsletter_add"),
        {
            "subject": "December news",
            "month": "2026-12-17",
            "body": "Hello **all**",
            "include_activities": "on",
            "audience": "all",
            "_save": "Save",
            **variants(),
        },
    )

    newsletter = Newsletter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == send_url(newsletter)
    assert newsletter.month.isoformat() == "2026-12-01"
    assert newsletter.status == Newsletter.Status.DRAFT
    assert newsletter.created_by == activity_staff


def test_some_countries_without_a_country_is_refused_and_the_text_is_kept(client, activity_staff):
    client.force_login(activity_staff)
    response = client.post(
        reverse("admin:newsletters_newsletter_add"),
        {
            "subject": "Kenya news",
            "month": "2026-12-01",
            "body": "Typed text",
            "audience": "countries",
            **variants(),
        },
    )
    assert response.status_code == 200
    assert "Choose at least one country" in response.content.decode()
    assert "Typed text" in response.content.decode()
    assert not Newsletter.objects.exists()


def test_the_send_page_shows_the_audience_and_the_preview_exactly_as_sent(
    client, activity_staff, django_assert_max_num_queries
):
    member = MemberFactory(first_name="Amina", email="amina@example.org", home_country="KE")
    MemberFactory(newsletter_subscribed=False)
    newsletter = NewsletterFactory(subject="December news")
    client.force_login(activity_staff)

    with django_assert_max_num_queries(20):
        response = client.get(send_url(newsletter))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<td class="count-receive">1</td>' in page
    assert '<td class="count-unsubscribed">1</td>' in page
    # Rendered for the staff member, the way every recipient gets it; never for a real member,
    # whose address and unsubscribe link staff must not see.
    expected = IssueRenderer(newsletter).message(services.staff_recipient(activity_staff))
    preview_html = client.get(
        reverse("admin:newsletters_newsletter_preview_html", args=[newsletter.pk])
    )
    assert preview_html.content.decode() == message_html(expected)
    assert preview_html["X-Frame-Options"] == "SAMEORIGIN"
    assert "activities@example.org" in page
    assert "amina@example.org" not in page + preview_html.content.decode()
    assert unsubscribe_token(member.pk) not in page + preview_html.content.decode()


def test_send_a_test_to_oneself(client, activity_staff, django_capture_on_commit_callbacks):
    newsletter = NewsletterFactory(subject="December news")
    client.force_login(activity_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(newsletter, "test"))

    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["activities@example.org"]
    assert sent.subject == "[Test] December news"


def test_schedule_for_a_time_and_send_now_are_recorded(client, activity_staff):
    MemberFactory()
    first, second = NewsletterFactory(), NewsletterFactory()
    client.force_login(activity_staff)

    client.post(action_url(first, "schedule"), {"send_at": "2099-01-02T09:30"})
    client.post(send_now_url(second), {"count": "1"})  # as the confirmation page posts it

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Newsletter.Status.SCHEDULED
    assert first.scheduled_for.isoformat().startswith("2099-01-02T")
    assert second.status in (Newsletter.Status.SCHEDULED, Newsletter.Status.PREPARING)
    assert StaffAction.objects.filter(kind=AUDIT_NEWSLETTER_SEND).count() == 2


def test_send_now_asks_first_showing_the_audience_and_one_click_sends_nothing(
    client, activity_staff
):
    MemberFactory.create_batch(3)
    MemberFactory(newsletter_subscribed=False)
    newsletter = NewsletterFactory(subject="December news")
    client.force_login(activity_staff)

    page = client.get(send_url(newsletter))
    old_form = client.post(action_url(newsletter, "send-now"))  # the button of an older page
    confirm = client.get(send_now_url(newsletter))
    no_count = client.post(send_now_url(newsletter))

    assert f'href="{send_now_url(newsletter)}"' in page.content.decode()
    assert "Send now to 3 members…" in page.content.decode()
    assert old_form.status_code == 302 and old_form["Location"] == send_now_url(newsletter)
    content = confirm.content.decode()
    assert "“December news” goes to 3 members now." in content
    assert "Left out: unsubscribed</dt><dd>1</dd>" in content
    assert 'name="count" value="3"' in content
    assert no_count.status_code == 200 and 'name="count" value="3"' in no_count.content.decode()
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT
    assert not StaffAction.objects.exists()


def test_the_confirmed_send_now_starts_sending_and_is_recorded(client, activity_staff):
    MemberFactory.create_batch(2)
    newsletter = NewsletterFactory()
    client.force_login(activity_staff)

    response = client.post(send_now_url(newsletter), {"count": "2"}, follow=True)

    assert "Sending has started: the deliveries are being prepared" in response.content.decode()
    newsletter.refresh_from_db()
    assert newsletter.status in (Newsletter.Status.SCHEDULED, Newsletter.Status.PREPARING)
    action = StaffAction.objects.get(kind=AUDIT_NEWSLETTER_SEND)
    assert (action.actor, action.affected_count) == (activity_staff, 2)


def test_a_send_now_confirmed_for_another_audience_size_sends_nothing(client, activity_staff):
    MemberFactory.create_batch(2)
    newsletter = NewsletterFactory()
    client.force_login(activity_staff)
    client.get(send_now_url(newsletter))
    MemberFactory()  # registered meanwhile

    response = client.post(send_now_url(newsletter), {"count": "2"})

    assert response.status_code == 200
    assert "The audience has changed since you looked: it is now 3." in response.content.decode()
    assert 'name="count" value="3"' in response.content.decode()
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT


def test_staff_who_may_only_view_newsletters_cannot_send_now(client):
    MemberFactory()
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_newsletter"))
    newsletter = NewsletterFactory()
    client.force_login(viewer)

    page = client.get(send_url(newsletter))

    assert f'href="{send_now_url(newsletter)}"' not in page.content.decode()
    assert client.get(send_now_url(newsletter)).status_code == 403
    assert client.post(send_now_url(newsletter), {"count": "1"}).status_code == 403
    client.force_login(MemberFactory().user)
    assert client.post(send_now_url(newsletter), {"count": "1"}).status_code in (302, 403)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT


def test_a_bad_schedule_time_says_what_is_wrong(client, activity_staff):
    MemberFactory()
    newsletter = NewsletterFactory()
    client.force_login(activity_staff)

    response = client.post(
        action_url(newsletter, "schedule"), {"send_at": "2001-01-01T09:00"}, follow=True
    )

    assert "Choose a time in the future." in response.content.decode()
    assert 'value="2001-01-01T09:00"' in response.content.decode()  # what was typed stays
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT

    garbled = client.post(action_url(newsletter, "schedule"), {"send_at": "next tuesday"})
    assert garbled.status_code == 200
    assert 'value="next tuesday"' in garbled.content.decode()
    assert "Enter a valid date/time." in garbled.content.decode()


def test_a_scheduled_newsletter_can_no_longer_be_edited(client, activity_staff):
    MemberFactory()
    newsletter = NewsletterFactory(body="Original")
    client.force_login(activity_staff)
    client.post(action_url(newsletter, "schedule"), {"send_at": "2099-01-02T09:30"})

    client.post(
        reverse("admin:newsletters_newsletter_change", args=[newsletter.pk]),
        {
            "subject": "Changed",
            "month": "2026-11-01",
            "body": "Changed",
            "audience": "all",
            **variants(),
        },
    )

    newsletter.refresh_from_db()
    assert newsletter.body == "Original"


def test_view_only_staff_cannot_send(client):
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_newsletter"))
    newsletter = NewsletterFactory()
    client.force_login(viewer)

    assert client.get(send_url(newsletter)).status_code == 200
    assert client.post(action_url(newsletter, "send-now")).status_code == 403
    assert client.post(action_url(newsletter, "test")).status_code == 403


def test_a_member_cannot_reach_the_newsletter_admin(client):
    member = MemberFactory()
    newsletter = NewsletterFactory()
    client.force_login(member.user)

    for url in (
        reverse("admin:newsletters_newsletter_changelist"),
        send_url(newsletter),
        reverse("admin:newsletters_newsletter_preview_html", args=[newsletter.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"Hello" not in response.content
    response = client.post(action_url(newsletter, "send-now"))
    assert response.status_code in (302, 403)
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT


def test_anonymous_visitors_are_sent_to_the_login(client):
    newsletter = NewsletterFactory()
    response = client.get(send_url(newsletter))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_changelist_has_a_fixed_number_of_queries(
    client, activity_staff, django_assert_max_num_queries
):
    NewsletterFactory.create_batch(15)
    client.force_login(activity_staff)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:newsletters_newsletter_changelist"))
    assert response.status_code == 200


def test_the_country_choice_lists_the_roster_home_countries(client, activity_staff):
    from tests.members.factories import ParticipantFactory

    ParticipantFactory(home_country="NP")
    ParticipantFactory(home_country="KE")
    client.force_login(activity_staff)

    response = client.get(reverse("admin:newsletters_newsletter_add"))

    field = response.context["adminform"].form.fields["countries"]
    choices = [code for code, _name in field.choices]
    assert sorted(choices) == ["KE", "NP"]


def test_some_countries_reaches_only_those_countries(client, activity_staff):
    kenya = MemberFactory(home_country="KE")
    MemberFactory(home_country="NP")
    client.force_login(activity_staff)
    client.post(
        reverse("admin:newsletters_newsletter_add"),
        {
            "subject": "Kenya news",
            "month": "2026-12",
            "body": "Habari",
            "audience": "countries",
            "countries": ["KE"],
            **variants(),
        },
    )
    newsletter = Newsletter.objects.get()
    page = client.get(send_url(newsletter)).content.decode()
    assert '<td class="count-receive">1</td>' in page
    assert kenya.user.email not in page  # counts only: staff never see the members' addresses
