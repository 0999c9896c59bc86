"""Language variants on the way out: each recipient gets the variant of their language, else the
English issue; subjects, links, tracking and the activities section follow the edition; the issue
is rendered once per edition, not once per recipient."""

import datetime
import re
from email.header import decode_header
from email.header import make_header

import pytest
from anymail.signals import AnymailTrackingEvent
from anymail.signals import tracking
from django.core import mail
from django.db import IntegrityError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.formats import date_format

from members.models import Participant
from newsletters import sending
from newsletters import services
from newsletters.models import Delivery
from newsletters.models import NewsletterVariant
from newsletters.rendering import IssueRenderer
from newsletters.rendering import message_html
from newsletters.rendering import unsubscribe_token
from newsletters.services import recipient_for
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db

FR_SUBJECT = "Des nouvelles du réseau"
FR_BODY = "## Ce qui s'est passé\n\nUn webinaire sur la **santé**.\n"
PT_SUBJECT = "Notícias da rede"
PT_BODY = "## O que aconteceu\n\nUm webinário sobre **saúde**.\n"


def header(value: str) -> str:
    """A header as a mail app shows it (non-ASCII subjects travel encoded)."""
    return str(make_header(decode_header(value)))


def formatted(day: datetime.date, fmt: str, language: str) -> str:
    with translation.override(language):
        return date_format(day, fmt)


@pytest.fixture
def staff():
    return StaffUserFactory(email="staff@example.org")


@pytest.fixture
def multilingual():
    """November news in English, with a French and a Portuguese variant (no Spanish one)."""
    newsletter = NewsletterFactory(subject="November news", rate_per_hour=0)
    NewsletterVariant.objects.create(
        newsletter=newsletter, language="fr", subject=FR_SUBJECT, body=FR_BODY
    )
    NewsletterVariant.objects.create(
        newsletter=newsletter, language="pt", subject=PT_SUBJECT, body=PT_BODY
    )
    return newsletter


def send_all(newsletter, staff, capture):
    services.newsletter_schedule(newsletter=newsletter, actor=staff, send_at=timezone.now())
    with capture(execute=True):
        services.newsletter_start(newsletter=newsletter)
        prepare_all(services.STREAM, newsletter.pk)
    return {message.to[0]: message for message in mail.outbox}


def test_each_recipient_gets_the_variant_of_their_language_else_english(
    staff, multilingual, django_capture_on_commit_callbacks
):
    amelie = MemberFactory(first_name="Amélie", preferred_language="fr")
    ana = MemberFactory(first_name="Ana", preferred_language="es")  # no Spanish variant
    joao = MemberFactory(first_name="João", preferred_language="pt")
    grace = MemberFactory(first_name="Grace", preferred_language="en")

    sent = send_all(multilingual, staff, django_capture_on_commit_callbacks)

    french = sent[amelie.user.email]
    assert french.subject == FR_SUBJECT
    assert "Un webinaire sur la **santé**." in french.body
    assert "What happened" not in french.body
    assert "<h2>Ce qui s'est passé</h2>" in re.sub(r" style=\"[^\"]*\"", "", message_html(french))
    assert '<html lang="fr">' in message_html(french)

    spanish = sent[ana.user.email]
    assert spanish.subject == "November news"
    assert "Hello Ana," in spanish.body  # the whole mail in English, greeting included
    assert "A [webinar](https://example.org/webinar)" in spanish.body
    assert '<html lang="en">' in message_html(spanish)

    portuguese = sent[joao.user.email]
    assert header(portuguese.message()["Subject"]) == PT_SUBJECT
    assert "Um webinário sobre **saúde**." in portuguese.body
    assert '<html lang="pt">' in message_html(portuguese)

    english = sent[grace.user.email]
    assert english.subject == "November news"
    assert "Hello Grace," in english.body
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_pt_variants_subject_is_the_subject_of_the_mail(
    staff, multilingual, django_capture_on_commit_callbacks
):
    joao = MemberFactory(preferred_language="pt", email="joao@example.org")

    sent = send_all(multilingual, staff, django_capture_on_commit_callbacks)

    headers = sent[joao.user.email].message()
    assert header(headers["Subject"]) == PT_SUBJECT
    assert headers["To"] == "joao@example.org"


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_unsubscribe_and_tracking_work_in_every_edition(
    staff, multilingual, client, settings, language, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://network.example"
    member = MemberFactory(
        first_name="Zoë <b>&", email="zoe@example.org", preferred_language=language
    )
    other = MemberFactory(preferred_language=language)

    sent = send_all(multilingual, staff, django_capture_on_commit_callbacks)

    message = sent[member.user.email]
    url = "https://network.example" + reverse(
        "newsletters:unsubscribe", args=[unsubscribe_token(member.pk)]
    )
    headers = message.message()
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    assert f'href="{url}"' in message_html(message)
    # The personal parts are this member's, escaped in HTML, in every edition.
    assert "Zoë <b>&" in message.body
    assert "Zoë &lt;b&gt;&amp;" in message_html(message)
    assert unsubscribe_token(other.pk) not in message.body + message_html(message)
    # The ESP's report names the row: a bounce of this edition marks this member.
    delivery = Delivery.objects.get(participant=member)
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(
            event_type="bounced",
            message_id=delivery.esp_message_id,
            recipient=delivery.email,
            metadata={"stream": "newsletter", "id": str(delivery.pk)},
            timestamp=timezone.now(),
        ),
        esp_name="test",
    )
    delivery.refresh_from_db()
    member.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert member.email_status == Participant.EmailStatus.BOUNCED
    # The one-click link of this edition unsubscribes its owner, and only them.
    response = client.post(
        url.removeprefix("https://network.example"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    member.refresh_from_db()
    other.refresh_from_db()
    assert (member.newsletter_subscribed, other.newsletter_subscribed) == (False, True)


def test_the_activities_section_follows_the_editions_language_and_keeps_titles(
    multilingual, activities_in_plan
):
    multilingual.include_activities = True  # November 2026: December's activities
    multilingual.save()
    renderer = IssueRenderer(multilingual)
    french = renderer.message(recipient_for(MemberFactory(preferred_language="fr")))
    spanish = renderer.message(recipient_for(MemberFactory(preferred_language="es")))
    december_2 = datetime.date(2026, 12, 2)

    # Dates and month names in French (Django's own French formats); titles as staff wrote them.
    assert f"{formatted(december_2, 'MONTH_DAY_FORMAT', 'fr')}: Nairobi meeting" in french.body
    assert "2 décembre: Nairobi meeting" in french.body
    assert "décembre 2026" in message_html(french)
    assert "Webinar: climate &amp; health</a>" in message_html(french)
    assert "December" not in french.body
    # Spanish readers without a variant get the English issue, its section in English too.
    assert f"{formatted(december_2, 'MONTH_DAY_FORMAT', 'en')}: Nairobi meeting" in spanish.body
    assert "December 2026" in spanish.body
    assert "diciembre" not in spanish.body


def test_the_issue_is_rendered_once_per_edition_not_per_recipient(multilingual):
    renderer = IssueRenderer(multilingual)
    readers = [
        MemberFactory(preferred_language=language)
        for language in ("en", "fr", "es", "pt", "fr", "es", "en", "pt")
    ]

    messages = [renderer.message(recipient_for(reader)) for reader in readers]

    # Spanish readers share the English rendering: three editions, three renderings.
    assert sorted(language for language, *_flags in renderer._rendered) == ["en", "fr", "pt"]
    assert [message.subject for message in messages] == [
        "November news",
        FR_SUBJECT,
        "November news",
        PT_SUBJECT,
        FR_SUBJECT,
        "November news",
        "November news",
        PT_SUBJECT,
    ]


def test_the_sender_reads_the_variants_once_per_issue(
    staff, multilingual, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for language in ("en", "fr", "es", "pt") * 3:
        MemberFactory(preferred_language=language)
    services.newsletter_schedule(newsletter=multilingual, actor=staff, send_at=timezone.now())
    services.newsletter_start(newsletter=multilingual)
    prepare_all(services.STREAM, multilingual.pk)
    sending._renderers.clear()
    deliveries = list(
        Delivery.objects.filter(newsletter=multilingual).select_related(
            "newsletter", "participant__user"
        )
    )

    with django_assert_max_num_queries(1):  # the variants, for the first message only
        subjects = {sending.build_delivery_message(d).subject for d in deliveries}

    assert subjects == {"November news", FR_SUBJECT, PT_SUBJECT}


def test_a_language_the_portal_does_not_offer_gets_english(
    staff, multilingual, django_capture_on_commit_callbacks
):
    member = MemberFactory()
    Participant.objects.filter(pk=member.pk).update(preferred_language="de")

    sent = send_all(multilingual, staff, django_capture_on_commit_callbacks)

    assert sent[member.user.email].subject == "November news"


def test_a_test_mail_goes_out_in_the_chosen_edition(
    staff, multilingual, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_send_test(newsletter=multilingual, user=staff, language="pt")
        services.newsletter_send_test(newsletter=multilingual, user=staff, language="es")
        services.newsletter_send_test(newsletter=multilingual, user=staff)

    portuguese, spanish, own = mail.outbox
    assert portuguese.to == ["staff@example.org"]
    assert portuguese.subject.endswith(PT_SUBJECT) and portuguese.subject.startswith("[")
    assert "Um webinário" in portuguese.body
    # No Spanish variant: the English issue, as a Spanish reader would get it.
    assert spanish.subject == "[Test] November news"
    # Without a choice, the edition the staff member would get (English: no roster row).
    assert own.subject == "[Test] November news"


def test_english_is_the_newsletter_itself_never_a_variant(multilingual):
    with pytest.raises(IntegrityError), transaction.atomic():
        NewsletterVariant.objects.create(newsletter=multilingual, language="en", subject="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        NewsletterVariant.objects.create(newsletter=multilingual, language="fr", subject="again")
