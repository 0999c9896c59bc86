"""The web archive in the member's language: their variant where the issue has one, else English,
with links to the other languages it exists in; the list and the home section likewise."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from members.extensions import home_sections
from newsletters.hooks import seed_demo_newsletters
from newsletters.models import Newsletter
from newsletters.models import NewsletterVariant
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    """A sent November issue in English, French and Portuguese (no Spanish)."""
    now = timezone.now()
    newsletter = NewsletterFactory(
        subject="November news",
        status=Newsletter.Status.SENT,
        scheduled_for=now,
        started_at=now,
        sent_at=now,
    )
    NewsletterVariant.objects.create(
        newsletter=newsletter,
        language="fr",
        subject="Nouvelles de novembre",
        body="## Ce qui s'est passé\n\nUn webinaire.",
    )
    NewsletterVariant.objects.create(
        newsletter=newsletter,
        language="pt",
        subject="Notícias de novembro",
        body="## O que aconteceu\n\nUm webinário.",
    )
    return newsletter


def detail(issue, language=None):
    if language is None:
        return reverse("newsletters:detail", args=[issue.pk])
    return reverse("newsletters:detail_language", args=[issue.pk, language])


def other_languages(page: str) -> dict[str, str]:
    """The links to the issue's other languages: {language code: the link's text}."""
    found = re.search(r'<p class="newsletter-languages".*?</p>', page, re.DOTALL)
    if found is None:
        return {}
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+">([^<]+)</a>', found[0])
    return {code: (href, text) for href, code, text in links}


def test_a_french_member_reads_the_french_variant_with_links_to_the_others(client, issue):
    client.force_login(MemberFactory(preferred_language="fr").user)

    page = client.get(detail(issue)).content.decode()

    assert "<h1>Nouvelles de novembre</h1>" in page
    assert "<h2>Ce qui s'est passé</h2>" in page
    assert "What happened" not in page
    assert '<article class="newsletter" lang="fr">' in page or 'lang="fr"' in page
    assert other_languages(page) == {
        "en": (detail(issue, "en"), "English"),
        "pt": (detail(issue, "pt"), "Português"),
    }


def test_a_spanish_member_without_a_spanish_variant_reads_english_with_the_links(client, issue):
    client.force_login(MemberFactory(preferred_language="es").user)

    page = client.get(detail(issue)).content.decode()

    assert "<h1>November news</h1>" in page
    assert "<h2>What happened</h2>" in page
    assert other_languages(page) == {
        "fr": (detail(issue, "fr"), "Français"),
        "pt": (detail(issue, "pt"), "Português"),
    }


def test_an_account_off_the_roster_reads_english_with_the_links(client, issue):
    client.force_login(StaffUserFactory())

    page = client.get(detail(issue)).content.decode()

    assert "<h1>November news</h1>" in page
    assert set(other_languages(page)) == {"fr", "pt"}


def test_the_links_show_each_language_and_a_missing_one_leads_back(client, issue):
    client.force_login(MemberFactory(preferred_language="fr").user)

    portuguese = client.get(detail(issue, "pt")).content.decode()
    english = client.get(detail(issue, "en")).content.decode()
    spanish = client.get(detail(issue, "es"))
    nonsense = client.get(detail(issue, "xx"))

    assert "<h1>Notícias de novembro</h1>" in portuguese
    assert set(other_languages(portuguese)) == {"en", "fr"}
    assert "<h1>November news</h1>" in english
    assert set(other_languages(english)) == {"fr", "pt"}
    for response in (spanish, nonsense):
        assert response.status_code == 302
        assert response["Location"] == detail(issue)


def test_an_issue_without_variants_has_no_language_links(client):
    now = timezone.now()
    plain = NewsletterFactory(status="sent", scheduled_for=now, started_at=now, sent_at=now)
    client.force_login(MemberFactory(preferred_language="fr").user)

    page = client.get(detail(plain)).content.decode()

    assert "newsletter-languages" not in page
    assert client.get(detail(plain, "fr")).status_code == 302


def test_variants_of_drafts_stay_hidden(client):
    draft = NewsletterFactory()
    NewsletterVariant.objects.create(newsletter=draft, language="fr", subject="Secret", body="x")
    client.force_login(MemberFactory(preferred_language="fr").user)

    assert client.get(detail(draft)).status_code == 404
    assert client.get(detail(draft, "fr")).status_code == 404
    assert "Secret" not in client.get(reverse("newsletters:archive")).content.decode()


def test_the_activities_section_of_the_archive_follows_the_variant(client, issue):
    issue.include_activities = True
    issue.activities_snapshot = [
        {"title": "Nairobi meeting", "date": "2026-12-02", "url": ""},
    ]
    issue.save()
    client.force_login(MemberFactory(preferred_language="fr").user)

    french = client.get(detail(issue)).content.decode()
    english = client.get(detail(issue, "en")).content.decode()

    assert "<strong>2 décembre</strong>: Nairobi meeting" in french
    assert "décembre 2026" in french
    assert "December 2026" in english


def test_the_archive_lists_subjects_in_the_members_language(
    client, issue, django_assert_max_num_queries
):
    now = timezone.now()
    NewsletterFactory(
        subject="October news",
        month=datetime.date(2026, 10, 1),
        status="sent",
        scheduled_for=now,
        started_at=now,
        sent_at=now,
    )
    client.force_login(MemberFactory(preferred_language="pt").user)

    with django_assert_max_num_queries(9):
        page = client.get(reverse("newsletters:archive")).content.decode()

    assert 'lang="pt">Notícias de novembro</a>' in page or ">Notícias de novembro</a>" in page
    assert ">October news</a>" in page  # no Portuguese variant: its English subject
    assert "November news" not in page


def test_the_issue_page_keeps_a_fixed_number_of_queries(
    client, issue, django_assert_max_num_queries
):
    client.force_login(MemberFactory(preferred_language="fr").user)
    with django_assert_max_num_queries(8):
        response = client.get(detail(issue))
    assert response.status_code == 200


def test_the_home_section_shows_the_latest_issue_in_the_members_language(rf, issue):
    section = next(s for s in home_sections() if s.name == "newsletters")
    french = section.context(rf.get("/"), MemberFactory(preferred_language="fr"))
    spanish = section.context(rf.get("/"), MemberFactory(preferred_language="es"))
    assert french["latest_newsletter"].shown_subject == "Nouvelles de novembre"
    assert spanish["latest_newsletter"].shown_subject == "November news"


def test_the_demo_issue_has_a_french_and_a_portuguese_variant():
    MemberFactory()
    seed_demo_newsletters()
    seed_demo_newsletters()
    sent = Newsletter.objects.get(status="sent")
    assert sorted(sent.variants.values_list("language", flat=True)) == ["fr", "pt"]
