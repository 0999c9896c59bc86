"""A newsletter message: personal, HTML with inlined CSS plus plain text, RFC 8058 headers."""

import datetime
import re

import pytest
from django.utils import translation
from django.utils.formats import date_format

from core.markdown import render_markdown
from newsletters.models import Newsletter
from newsletters.models import NewsletterVariant
from newsletters.rendering import IssueRenderer
from newsletters.rendering import message_html
from newsletters.rendering import participant_pk_from_token
from newsletters.rendering import unsubscribe_token
from newsletters.services import recipient_for
from tests.members.factories import MemberFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def month_day(day: datetime.date, language: str) -> str:
    with translation.override(language):
        return date_format(day, "MONTH_DAY_FORMAT")


def test_a_message_is_personal_with_html_inlined_css_text_and_one_click_headers(settings):
    settings.SITE_URL = "https://network.example"
    member = MemberFactory(first_name="Amina", email="amina@example.org")
    newsletter = NewsletterFactory(subject="November news")

    message = IssueRenderer(newsletter).message(recipient_for(member))

    assert message.to == ["amina@example.org"]
    assert message.subject == "November news"
    token = unsubscribe_token(member.pk)
    url = f"https://network.example/newsletters/unsubscribe/{token}/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Hello Amina," in message.body
    assert url in message.body
    html = message_html(message)
    assert "Hello Amina," in html
    assert f'href="{url}"' in html
    assert ">Unsubscribe</a>" in html
    # CSS is inlined (mail apps drop <style> blocks); only the @media rule stays in one.
    assert re.search(r'class="masthead" style="[^"]*background: #0b5d52', html)
    assert ".sheet {" not in html
    assert "@media (max-width: 480px)" in html
    assert re.search(r"<h2 style=\"[^\"]+\">What happened</h2>", html)
    assert "webinar</a>" in html


def test_the_token_is_an_hmac_that_the_database_cannot_rebuild(settings):
    token = unsubscribe_token(42)
    assert participant_pk_from_token(token) == 42
    assert participant_pk_from_token("42-" + "0" * 32) is None
    assert participant_pk_from_token("43" + token[2:]) is None
    assert participant_pk_from_token("nonsense") is None
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    assert participant_pk_from_token(token) is None


def test_markdown_is_sanitised_but_keeps_headings_links_and_images():
    html = render_markdown(
        "## Title\n\n[site](https://example.org) ![a photo](https://example.org/p.jpg)\n\n"
        "<script>alert(1)</script> [bad](javascript:alert(1))"
    )
    assert "<h2>Title</h2>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">site</a>' in html
    assert '<img alt="a photo" src="https://example.org/p.jpg">' in html
    assert "<script" not in html
    assert "javascript:" not in html


def test_next_months_activities_are_listed_with_their_public_links(activities_in_plan):
    member = MemberFactory(first_name="Amina")
    newsletter = NewsletterFactory(include_activities=True)  # November 2026

    message = IssueRenderer(newsletter).message(recipient_for(member))

    html = message_html(message)
    assert "Activities in December 2026" in html
    assert '<a href="https://network.example/activities/1/"' in html
    assert "Webinar: climate &amp; health</a>" in html
    assert html.index("Nairobi meeting") < html.index("Webinar")
    # Dates in the language's own format (Django's MONTH_DAY_FORMAT), whatever English uses.
    assert f"{month_day(datetime.date(2026, 12, 2), 'en')}: Nairobi meeting" in message.body
    assert "https://network.example/activities/1/" in message.body


def test_each_activity_says_what_language_it_is_held_in_in_the_readers_language(
    activities_in_plan,
):
    newsletter = NewsletterFactory(include_activities=True)
    english = IssueRenderer(newsletter).message(recipient_for(MemberFactory()))
    assert "Nairobi meeting\n  Held in: French and English" in english.body
    assert "Held in: French and English" in message_html(english)
    # The webinar records no language (a plan item without them): no line, not an empty one.
    assert english.body.count("Held in") == 1
    NewsletterVariant.objects.create(
        newsletter=newsletter, language="fr", subject="Nouvelles", body="Bonjour."
    )
    reader = MemberFactory(preferred_language="fr")
    french = IssueRenderer(Newsletter.objects.get(pk=newsletter.pk)).message(recipient_for(reader))
    assert "Se déroule en\xa0: français et anglais" in french.body


def test_without_the_flag_there_is_no_activities_section(activities_in_plan):
    newsletter = NewsletterFactory(include_activities=False)
    message = IssueRenderer(newsletter).message(recipient_for(MemberFactory()))
    assert "Activities in" not in message.body


def test_the_text_part_is_not_html_escaped():
    newsletter = NewsletterFactory(body="Health & education <together>", subject="Q&A")
    message = IssueRenderer(newsletter).message(recipient_for(MemberFactory()))
    assert "Health & education <together>" in message.body
    assert message.subject == "Q&A"


def test_names_are_escaped_in_html_and_kept_in_text_and_each_message_is_its_own():
    newsletter = NewsletterFactory()
    renderer = IssueRenderer(newsletter)
    odd = MemberFactory(first_name="Zoë <b>&")
    plain = MemberFactory(first_name="Amina")

    first = renderer.message(recipient_for(odd))
    second = renderer.message(recipient_for(plain))

    assert "Hello Zoë <b>&," in first.body
    assert "Hello Zoë &lt;b&gt;&amp;," in message_html(first)
    assert "<b>&" not in message_html(first)
    assert "Hello Amina," in second.body and "Zoë" not in second.body
    assert unsubscribe_token(odd.pk) in first.body
    assert unsubscribe_token(odd.pk) not in second.body
    assert unsubscribe_token(plain.pk) in message_html(second)
