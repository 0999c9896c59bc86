"""Staff actions that mail many people are never one click: "Send now" for a newsletter and "Send
again" for a wave each open a confirmation page with the count; going back sends nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from invitations.models import Invitation
from members.models import StaffAction
from newsletters.models import Newsletter
from newsletters.services import AUDIT_NEWSLETTER_SEND
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory


@pytest.fixture
def staff(transactional_db):
    return StaffUserFactory(email="staff@example.org", is_superuser=True)


def test_send_now_shows_the_audience_and_sends_only_when_confirmed(
    desktop_page, staff_login, staff, snap
):
    MemberFactory.create_batch(2)
    MemberFactory(newsletter_subscribed=False)
    newsletter = NewsletterFactory(subject="December news")
    send_page = reverse("admin:newsletters_newsletter_send", args=[newsletter.pk])
    page = staff_login(desktop_page, staff.email, next_url=send_page)

    page.get_by_role("link", name="Send now to 2 members…").click()

    expect(page.locator("#send-now-count")).to_contain_text("“December news” goes to 2 members")
    expect(page.locator("#send-now-audience")).to_contain_text("Left out: unsubscribed")
    snap(page, "admin-newsletter-send-now-confirm")
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.DRAFT

    page.get_by_role("link", name="Back: do not send").click()
    expect(page.locator("#newsletter-status")).to_have_text("draft")
    page.get_by_role("link", name="Send now to 2 members…").click()
    page.get_by_role("button", name="Send it to 2 members").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "Sending has started: the deliveries are being prepared"
    )
    newsletter.refresh_from_db()
    assert newsletter.status != Newsletter.Status.DRAFT
    assert StaffAction.objects.get(kind=AUDIT_NEWSLETTER_SEND).affected_count == 2


def test_send_again_shows_the_count_and_leaves_out_the_recently_mailed(
    desktop_page, staff_login, staff, snap
):
    people = make_participants(3)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    Invitation.objects.exclude(participant=people[2]).update(
        sent_at=timezone.now() - timedelta(days=10)
    )
    wave_page = reverse("admin:invitations_wave_change", args=[wave.pk])
    page = staff_login(desktop_page, staff.email, next_url=wave_page)
    expect(page.locator("#resend-too-recent")).to_contain_text("1 person who has not accepted")

    page.get_by_role("link", name="Send again to 2 people who have not accepted…").click()

    expect(page.locator("#resend-count")).to_contain_text(
        "The invitation goes again to 2 people who have not accepted."
    )
    expect(page.locator("#resend-too-recent")).to_contain_text("Left out: 1 person")
    snap(page, "admin-wave-resend-confirm")
    assert not Invitation.objects.filter(status="pending").exists()

    page.get_by_role("button", name="Send again to 2 people").click()

    expect(page.locator(".messagelist")).to_contain_text("2 invitations will be sent again")
    assert Invitation.objects.get(participant=people[2]).status == "sent"
