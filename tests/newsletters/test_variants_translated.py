"""Each edition reads in its own language from greeting to footer: these check the real French,
Spanish and Portuguese text, so they need the project's compiled catalogues (locale/)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from newsletters import services
from newsletters.models import NewsletterVariant
from newsletters.rendering import IssueRenderer
from newsletters.rendering import message_html
from newsletters.services import recipient_for
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(activities_in_plan):
    """November 2026 in English with French, Spanish and Portuguese variants, listing December's
    activities."""
    newsletter = NewsletterFactory(subject="November news", include_activities=True)
    for language, subject in (("fr", "Nouvelles"), ("es", "Noticias"), ("pt", "Notícias")):
        NewsletterVariant.objects.create(
            newsletter=newsletter, language=language, subject=subject, body=subject
        )
    return newsletter


EDITIONS = {
    "fr": ("Bonjour Amina,", "Activités en décembre 2026", "2 décembre", "Se désabonner"),
    "es": ("Hola, Amina:", "Actividades de diciembre de 2026", "2 de diciembre", "Darse de baja"),
    "pt": (
        "Olá Amina,",
        "Atividades em Dezembro de 2026",
        "2 de Dezembro",
        "Cancelar a subscrição",
    ),
}


@pytest.mark.parametrize("language", EDITIONS)
def test_every_part_of_an_edition_is_in_its_language(issue, language):
    greeting, heading, day, unsubscribe = EDITIONS[language]
    member = MemberFactory(first_name="Amina", preferred_language=language)

    message = IssueRenderer(issue).message(recipient_for(member))

    html = message_html(message)
    assert greeting in message.body and greeting in html
    assert heading in message.body and heading in html
    assert f"{day}: Nairobi meeting" in message.body
    assert "Webinar: climate &amp; health</a>" in html  # titles stay as written
    assert f">{unsubscribe}</a>" in html
    assert "Hello" not in message.body + html
    assert "Activities in" not in message.body + html


def test_the_test_mail_of_a_variant_says_test_in_its_language(
    issue, django_capture_on_commit_callbacks
):
    staff = StaffUserFactory(email="staff@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_send_test(newsletter=issue, user=staff, language="fr")
        services.newsletter_send_test(newsletter=issue, user=staff, language="pt")

    french, portuguese = mail.outbox
    assert french.subject == "[Essai] Nouvelles"
    assert portuguese.subject == "[Teste] Notícias"


def test_the_archive_shows_the_variants_activities_section_in_its_language(client, issue):
    now = timezone.now()
    issue.status = "sent"
    issue.scheduled_for = issue.started_at = issue.sent_at = now
    issue.activities_snapshot = [{"title": "Nairobi meeting", "date": "2026-12-02", "url": ""}]
    issue.save()
    client.force_login(MemberFactory(preferred_language="es").user)

    page = client.get(reverse("newsletters:detail", args=[issue.pk])).content.decode()

    assert "<h1>Noticias</h1>" in page
    assert "Actividades de diciembre de 2026" in page
    assert "<strong>2 de diciembre</strong>: Nairobi meeting" in page
