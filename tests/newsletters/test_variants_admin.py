"""Language variants in the back office: written as an inline under the English issue, frozen
once the newsletter is scheduled, listed on the changelist; the send page counts recipients per
language and says which variants are missing; preview and test per variant."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from newsletters import services
from newsletters.models import Newsletter
from newsletters.models import NewsletterVariant
from newsletters.rendering import IssueRenderer
from newsletters.rendering import Recipient
from newsletters.rendering import message_html
from newsletters.selectors import newsletter_audience_counts
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory
from tests.newsletters.test_admin import action_url
from tests.newsletters.test_admin import send_url
from tests.newsletters.test_admin import variants

pytestmark = pytest.mark.django_db


def change_url(newsletter):
    return reverse("admin:newsletters_newsletter_change", args=[newsletter.pk])


def preview_url(newsletter, language=None):
    url = reverse("admin:newsletters_newsletter_preview_html", args=[newsletter.pk])
    return f"{url}?lang={language}" if language else url


def newsletter_fields(newsletter, **changes):
    return {
        "subject": newsletter.subject,
        "month": newsletter.month.strftime("%Y-%m"),
        "body": newsletter.body,
        "audience": newsletter.audience,
        **changes,
    }


def variant_form(variant, **changes):
    return {
        "id": str(variant.pk),
        "newsletter": str(variant.newsletter_id),
        "language": variant.language,
        "subject": variant.subject,
        "body": variant.body,
        **changes,
    }


def test_staff_write_a_french_and_a_portuguese_variant_under_the_english_issue(
    client, activity_staff
):
    client.force_login(activity_staff)

    response = client.post(
        reverse("admin:newsletters_newsletter_add"),
        {
            "subject": "December news",
            "month": "2026-12",
            "body": "Hello **all**",
            "audience": "all",
            **variants(
                {"language": "fr", "subject": "Nouvelles de décembre", "body": "Bonjour"},
                {"language": "pt", "subject": "Notícias de dezembro", "body": "Olá"},
            ),
        },
    )

    assert response.status_code == 302
    newsletter = Newsletter.objects.get()
    assert dict(newsletter.variants.values_list("language", "subject")) == {
        "fr": "Nouvelles de décembre",
        "pt": "Notícias de dezembro",
    }


def test_one_variant_per_language_and_english_is_not_a_variant(client, activity_staff):
    client.force_login(activity_staff)
    add = reverse("admin:newsletters_newsletter_add")
    base = {"subject": "December news", "month": "2026-12", "body": "Hi", "audience": "all"}

    twice = client.post(
        add,
        {
            **base,
            **variants(
                {"language": "fr", "subject": "Un", "body": "Un"},
                {"language": "fr", "subject": "Deux", "body": "Deux"},
            ),
        },
    )
    english = client.post(
        add, {**base, **variants({"language": "en", "subject": "E", "body": "E"})}
    )

    assert twice.status_code == 200
    assert "Please correct the duplicate data for language" in twice.content.decode()
    assert english.status_code == 200
    assert "Select a valid choice. en is not one of the available choices." in (
        english.content.decode()
    )
    assert not Newsletter.objects.exists()
    assert not NewsletterVariant.objects.exists()


def test_a_draft_variant_can_be_changed_and_deleted(client, activity_staff):
    newsletter = NewsletterFactory()
    french = NewsletterVariant.objects.create(
        newsletter=newsletter, language="fr", subject="Avant", body="Avant"
    )
    client.force_login(activity_staff)

    client.post(
        change_url(newsletter),
        newsletter_fields(newsletter, **variants(variant_form(french, subject="Après"), initial=1)),
    )
    french.refresh_from_db()
    assert french.subject == "Après"

    client.post(
        change_url(newsletter),
        newsletter_fields(newsletter, **variants(variant_form(french, DELETE="on"), initial=1)),
    )
    assert not NewsletterVariant.objects.exists()


@pytest.mark.parametrize("status", ["scheduled", "sending", "paused", "sent"])
def test_variants_of_a_newsletter_that_is_scheduled_or_sending_or_sent_cannot_change(
    client, activity_staff, status
):
    newsletter = NewsletterFactory(
        status=status, scheduled_for=timezone.now(), started_at=timezone.now()
    )
    french = NewsletterVariant.objects.create(
        newsletter=newsletter, language="fr", subject="Envoyé", body="Envoyé"
    )
    client.force_login(activity_staff)

    page = client.get(change_url(newsletter))
    changed = client.post(
        change_url(newsletter),
        newsletter_fields(
            newsletter, **variants(variant_form(french, subject="Changé", body="Changé"), initial=1)
        ),
    )
    added = client.post(
        change_url(newsletter),
        newsletter_fields(
            newsletter,
            **variants(
                variant_form(french),
                {"language": "pt", "subject": "Novo", "body": "Novo"},
                initial=1,
            ),
        ),
    )
    deleted = client.post(
        change_url(newsletter),
        newsletter_fields(newsletter, **variants(variant_form(french, DELETE="on"), initial=1)),
    )

    assert page.status_code == 200
    assert 'name="variants-0-subject"' not in page.content.decode()  # shown, not editable
    assert "Envoyé" in page.content.decode()
    assert {changed.status_code, added.status_code, deleted.status_code} <= {200, 302}
    assert list(NewsletterVariant.objects.values_list("language", "subject", "body")) == [
        ("fr", "Envoyé", "Envoyé")
    ]


def test_staff_who_may_only_view_newsletters_cannot_write_variants(client):
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_newsletter"))
    newsletter = NewsletterFactory()
    NewsletterVariant.objects.create(newsletter=newsletter, language="fr", subject="Lu", body="Lu")
    client.force_login(viewer)

    page = client.get(change_url(newsletter))
    client.post(
        change_url(newsletter),
        newsletter_fields(
            newsletter, **variants({"language": "pt", "subject": "Novo", "body": "Novo"})
        ),
    )

    assert page.status_code == 200
    assert "Lu" in page.content.decode()
    assert 'name="variants-0-subject"' not in page.content.decode()
    assert list(NewsletterVariant.objects.values_list("language", flat=True)) == ["fr"]


def test_the_list_shows_which_languages_each_issue_exists_in(
    client, activity_staff, django_assert_max_num_queries
):
    NewsletterFactory.create_batch(10)
    both = NewsletterFactory(subject="Both")
    NewsletterVariant.objects.create(newsletter=both, language="pt", subject="x", body="x")
    NewsletterVariant.objects.create(newsletter=both, language="fr", subject="x", body="x")
    client.force_login(activity_staff)

    with django_assert_max_num_queries(16):
        response = client.get(reverse("admin:newsletters_newsletter_changelist"))

    rows = re.findall(r"<tr>.*?</tr>", response.content.decode(), re.DOTALL)
    both_row = next(row for row in rows if ">Both<" in row)
    assert '<td class="field-languages_display">English, French, Portuguese</td>' in both_row
    assert response.content.decode().count('<td class="field-languages_display">English</td>') == 10


@pytest.fixture
def audience():
    """Recipients: 2 English, 3 French, 1 Spanish, none Portuguese; plus people left out."""
    for language in ("en", "en", "fr", "fr", "fr", "es"):
        MemberFactory(preferred_language=language)
    MemberFactory(preferred_language="pt", newsletter_subscribed=False)
    ParticipantFactory(preferred_language="fr")  # not registered


def test_the_counts_per_language(audience):
    newsletter = NewsletterFactory()
    counts = newsletter_audience_counts(newsletter=newsletter)
    assert (counts.receive, counts.unsubscribed, counts.not_registered) == (6, 1, 1)
    assert counts.by_language == {"en": 2, "fr": 3, "es": 1, "pt": 0}


def test_the_send_page_counts_recipients_per_language_and_names_missing_variants(
    client, activity_staff, audience, django_assert_max_num_queries
):
    newsletter = NewsletterFactory(subject="December news")
    NewsletterVariant.objects.create(
        newsletter=newsletter, language="fr", subject="Nouvelles", body="Bonjour"
    )
    client.force_login(activity_staff)

    with django_assert_max_num_queries(20):
        response = client.get(send_url(newsletter))

    page = response.content.decode()
    row = {
        code: re.search(rf'<tr id="language-{code}">(.*?)</tr>', page, re.DOTALL).group(1)
        for code in ("en", "fr", "es", "pt")
    }
    assert '<td class="count-language-en">2</td>' in row["en"]
    assert "The newsletter itself" in row["en"]
    assert '<td class="count-language-fr">3</td>' in row["fr"]
    assert 'class="variant-written"' in row["fr"]
    # Spanish readers exist but the issue has no Spanish variant: they will get English.
    assert '<td class="count-language-es">1</td>' in row["es"]
    assert 'class="variant-missing"' in row["es"]
    assert "No variant: they will get the English issue" in row["es"]
    assert '<td class="count-language-pt">0</td>' in row["pt"]
    assert 'class="variant-none"' in row["pt"]
    assert "#variants-group" in page  # where to write the missing ones

    confirm = client.get(reverse("admin:newsletters_newsletter_send_now", args=[newsletter.pk]))
    assert '<td class="count-language-fr">3</td>' in confirm.content.decode()
    assert "No variant: they will get the English issue" in confirm.content.decode()


def test_the_preview_shows_each_variant_exactly_as_sent(client, activity_staff):
    newsletter = NewsletterFactory(subject="December news")
    NewsletterVariant.objects.create(
        newsletter=newsletter, language="fr", subject="Nouvelles de décembre", body="Bonjour"
    )
    client.force_login(activity_staff)

    english = client.get(send_url(newsletter))
    french = client.get(send_url(newsletter) + "?lang=fr")
    spanish = client.get(send_url(newsletter) + "?lang=es")  # no variant: the English issue

    assert english.context["message"].subject == "December news"
    assert french.context["message"].subject == "Nouvelles de décembre"
    assert 'id="preview-subject">Nouvelles de décembre<' in french.content.decode()
    assert f'src="{preview_url(newsletter, "fr")}"' in french.content.decode()
    assert 'name="language" value="fr"' in french.content.decode()
    assert "Language of the test: French (the version previewed below)" in (french.content.decode())
    assert spanish.context["message"].subject == "December news"
    assert 'href="?lang=fr"' in english.content.decode()
    recipient = services.staff_recipient(activity_staff)
    renderer = IssueRenderer(newsletter)
    for language in ("fr", "en"):
        expected = renderer.message(
            Recipient(
                first_name=recipient.first_name,
                address=recipient.address,
                participant_pk=None,
                language=language,
            )
        )
        shown = client.get(preview_url(newsletter, language)).content.decode()
        assert shown == message_html(expected)
    assert '<html lang="fr">' in client.get(preview_url(newsletter, "fr")).content.decode()


def test_a_test_of_the_previewed_variant(
    client, activity_staff, django_capture_on_commit_callbacks
):
    newsletter = NewsletterFactory(subject="December news")
    NewsletterVariant.objects.create(
        newsletter=newsletter, language="pt", subject="Notícias de dezembro", body="Olá"
    )
    client.force_login(activity_staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(action_url(newsletter, "test"), {"language": "pt"})
        client.post(action_url(newsletter, "test"), {"language": "es"})
        client.post(action_url(newsletter, "test"), {"language": "xx"})

    portuguese, spanish, unknown = mail.outbox
    assert portuguese.to == ["activities@example.org"]
    assert portuguese.subject.endswith("Notícias de dezembro")
    assert "Olá" in portuguese.body
    assert spanish.subject == unknown.subject == "[Test] December news"
