"""Members read past issues; never drafts; the latest on their home page; the plan; their data."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from members.extensions import home_sections
from members.extensions import personal_data_sources
from newsletters.hooks import plan_items_for_year
from newsletters.hooks import seed_demo_newsletters
from newsletters.models import Delivery
from newsletters.models import Newsletter
from tests.members.factories import MemberFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def sent(**kwargs):
    now = timezone.now()
    return NewsletterFactory(
        status=Newsletter.Status.SENT, scheduled_for=now, started_at=now, sent_at=now, **kwargs
    )


def test_members_read_sent_issues_but_never_drafts(client, django_assert_max_num_queries):
    member = MemberFactory()
    issues = [sent(subject=f"Sent {n}", month=datetime.date(2026, n, 1)) for n in range(1, 4)]
    draft = NewsletterFactory(subject="Secret draft")
    client.force_login(member.user)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("newsletters:archive"))

    page = response.content.decode()
    assert page.index("Sent 3") < page.index("Sent 1")
    assert "Secret draft" not in page
    detail = client.get(reverse("newsletters:detail", args=[issues[0].pk]))
    assert detail.status_code == 200
    assert "<h2>What happened</h2>" in detail.content.decode()
    assert client.get(reverse("newsletters:detail", args=[draft.pk])).status_code == 404
    for status in ("scheduled", "paused", "cancelled"):
        other = NewsletterFactory(status=status, scheduled_for=timezone.now())
        assert client.get(reverse("newsletters:detail", args=[other.pk])).status_code == 404


def test_the_archive_is_for_logged_in_members(client):
    issue = sent()
    for url in (reverse("newsletters:archive"), reverse("newsletters:detail", args=[issue.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_the_archive_is_paginated_and_has_an_empty_state(client):
    client.force_login(MemberFactory().user)
    assert (
        "No newsletter has been sent yet"
        in client.get(reverse("newsletters:archive")).content.decode()
    )
    for n in range(14):
        sent(month=datetime.date(2025, 1, 1) + datetime.timedelta(days=31 * n))
    page_two = client.get(reverse("newsletters:archive") + "?page=2").content.decode()
    assert "Page 2 of 2" in page_two


def test_the_latest_issue_is_a_home_section(rf):
    member = MemberFactory()
    section = next(s for s in home_sections() if s.name == "newsletters")
    assert section.context(rf.get("/"), member) is None
    sent(subject="Old", month=datetime.date(2026, 1, 1))
    latest = sent(subject="New", month=datetime.date(2026, 2, 1))
    NewsletterFactory(subject="Draft", month=datetime.date(2026, 3, 1))
    assert section.context(rf.get("/"), member) == {"latest_newsletter": latest}


def test_the_plan_shows_months_with_a_newsletter():
    NewsletterFactory(subject="March", month=datetime.date(2026, 3, 1))
    NewsletterFactory(subject="Cancelled", month=datetime.date(2026, 4, 1), status="cancelled")
    items = plan_items_for_year(2026)
    assert [item.title for item in items[3]] == ["March"]
    assert 4 not in items
    assert items[3][0].url == reverse(
        "admin:newsletters_newsletter_change", args=[Newsletter.objects.get(subject="March").pk]
    )


def test_personal_data_export_and_erase_keep_the_counts():
    member = MemberFactory()
    issue = sent(subject="November news")
    Delivery.objects.create(newsletter=issue, participant=member, email="a@example.org")
    source = next(s for s in personal_data_sources() if s.name == "newsletters")

    exported = source.export(member)
    assert exported[0]["newsletter"] == "November news"
    assert exported[0]["address"] == "a@example.org"

    source.erase(member)
    assert source.export(member) == []
    assert issue.deliveries.count() == 1
    assert issue.deliveries.get().email == ""


def test_the_demo_seeder_adds_a_sent_and_a_draft_issue_once():
    first = seed_demo_newsletters()
    again = seed_demo_newsletters()
    assert "1 sent" in first and "1 draft" in first
    assert "nothing new" in again
    assert sorted(Newsletter.objects.values_list("status", flat=True)) == ["draft", "sent"]


def test_the_demo_sent_issue_went_to_the_demo_members():
    members = MemberFactory.create_batch(3)
    seed_demo_newsletters()
    issue = Newsletter.objects.get(status="sent")
    assert set(issue.deliveries.values_list("participant_id", flat=True)) == {m.pk for m in members}
    assert issue.recipient_count == 3


def test_the_home_section_template_links_the_latest_issue(rf):
    from django.template.loader import render_to_string

    latest = sent(subject="New")
    section = next(s for s in home_sections() if s.name == "newsletters")
    html = render_to_string(section.template_name, section.context(rf.get("/"), MemberFactory()))
    assert reverse("newsletters:detail", args=[latest.pk]) in html
    assert "New" in html


def test_an_issue_page_is_small_and_has_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    issue = sent(body="## Hello\n\n" + "Some news. " * 200)
    client.force_login(MemberFactory().user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("newsletters:detail", args=[issue.pk]))
    assert response.status_code == 200
    assert len(response.content) < 60_000
