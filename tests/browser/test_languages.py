"""A member who reads French, Spanish or Portuguese never meets the portal's English (issue 12).

A French-speaking member walks the whole journey on a phone, in a browser that asks for French
and with French as her profile's language: accepts her invitation, completes her profile (a bad
phone number first), finds a colleague in the directory, registers for an activity, reads the
newsletter archive and an issue, and unsubscribes through the link in the newsletter she received.
Every page is in French (`<html lang="fr">`) and shows no English sentence or label of the
portal's own (`tests.support.i18n`). A shorter walk does the same in Spanish and in Portuguese.

The pages come from the compiled catalogues (locale/*/LC_MESSAGES/django.mo): without them every
page is English and these tests fail, as they should.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.tokens import invitation_token
from members import services as member_services
from members.models import Participant
from newsletters import services as newsletter_services
from tests.activities.factories import ActivityFactory
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.members.factories import seed_vocabularies
from tests.newsletters.factories import NewsletterFactory
from tests.support.i18n import assert_no_portal_english
from tests.support.i18n import english_found
from tests.support.i18n import page_text
from tests.support.preparing import prepare_all
from tests.support.screens import VIEWPORTS

PASSWORD = "riviere-bleue-baobab-1987"
BROWSER_LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-419", "pt": "pt-PT"}


class LanguageCheck:
    """Checks each page the member sees (on a phone): `<html lang>`, no English of the portal's
    own, and no sideways scrolling. It collects every problem and fails at the end, so that one run
    lists them all."""

    def __init__(self, language: str):
        self.language = language
        self.pages: list[str] = []
        self.problems: list[str] = []

    def __call__(self, page, name: str) -> None:
        page.wait_for_load_state()
        self.pages.append(name)
        lang = page.locator("html").get_attribute("lang")
        if lang != self.language:
            self.problems.append(f"{name} ({page.url}): <html lang={lang!r}>")
        for hit in english_found(page_text(page, self.language), self.language):
            self.problems.append(f"{name} ({page.url}): {hit.phrase!r} (msgid {hit.msgid!r})")
        # Longer French and Portuguese words must not push the page sideways on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > VIEWPORTS["phone"]["width"]:
            self.problems.append(f"{name} ({page.url}): {width} px wide on a 360 px phone")

    def assert_clean(self, expected_pages: int) -> None:
        assert len(self.pages) >= expected_pages, self.pages
        assert not self.problems, f"Pages in '{self.language}' with English:\n" + "\n".join(
            self.problems
        )


@pytest.fixture
def vocabularies(transactional_db):
    """The languages and fields of expertise production has (migration 0002 seeds them; a
    transactional test's flush empties the table for the next test)."""
    return seed_vocabularies()


def member_context(new_context, language: str):
    """A phone that asks for `language` (Accept-Language, navigator.language)."""
    return new_context(
        viewport=VIEWPORTS["phone"],
        is_mobile=True,
        has_touch=True,
        locale=BROWSER_LOCALES[language],
    )


def invite(*, first_name, last_name, email, home_country, language, year=2014, organisation=""):
    participant = ParticipantFactory(
        first_name=first_name,
        last_name=last_name,
        email=email,
        home_country=home_country,
        preferred_language=language,
    )
    ExchangeFactory(participant=participant, year=year, partner_organisation=organisation)
    return Invitation.objects.create(
        participant=participant,
        email=participant.email,
        status=Invitation.Status.SENT,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )


def visible_colleague(*, first_name, last_name, home_country, language, field):
    colleague = MemberFactory(
        first_name=first_name,
        last_name=last_name,
        home_country=home_country,
        preferred_language=language,
    )
    member_services.participant_update_profile(
        participant=colleague,
        data={
            "organisation": "Hôpital régional",
            "residence_country": home_country,
            "city": "Ziguinchor",
            "directory_visibility": Participant.Visibility.MEMBERS,
        },
        expertise=[field],
    )
    return colleague


def accept_invitation(page, live_server, invitation, check, snap):
    page.goto(live_server.url + reverse("invitations:accept", args=[invitation_token(invitation)]))
    expect(page).to_have_url(live_server.url + reverse("invitations:accept_form"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(invitation.participant.first_name)
    check(page, "accept")
    snap(page, f"languages-{check.language}-accept", sizes=("phone",))
    # A mistake first: the errors are in the member's language too.
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill("autre-chose")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_password1")).to_be_visible()
    expect(page.locator(".errorlist").first).to_be_visible()
    check(page, "accept with errors")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_consent").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + reverse("members:profile_edit"))
    check(page, "profile (account just made)")


@pytest.fixture
def french_world(vocabularies):
    health = vocabularies["Public health"]
    colleague = visible_colleague(
        first_name="Moussa", last_name="Koné", home_country="SN", language="fr", field=health
    )
    invitation = invite(
        first_name="Awa",
        last_name="Diop",
        email="awa@example.org",
        home_country="SN",
        language="fr",
        organisation="Croix-Rouge norvégienne",
    )
    activity = ActivityFactory(
        title="Webinaire : l'eau potable qui dure",
        description="Une présentation d'**Aminata**, puis des questions.",
        capacity=20,
    )
    newsletter = NewsletterFactory(
        subject="Des nouvelles du réseau",
        body="## Une nouvelle saison d'échanges\n\nTrente participants commencent ce mois-ci.\n",
    )
    return {
        "invitation": invitation,
        "colleague": colleague,
        "activity": activity,
        "newsletter": newsletter,
        "health": health,
        "staff": StaffUserFactory(email="kari@example.org"),
    }


def send_newsletter(newsletter, staff):
    """Staff schedule it and beat starts it; the bulk sender hands the mails over at once
    (eager Celery, Django's test mail outbox)."""
    newsletter_services.newsletter_schedule(
        newsletter=newsletter, actor=staff, send_at=timezone.now()
    )
    newsletter_services.newsletter_start(newsletter=newsletter)
    prepare_all(newsletter_services.STREAM, newsletter.pk)


def test_a_french_speaking_member_walks_the_whole_portal_in_french(
    new_context, live_server, french_world, snap
):
    check = LanguageCheck("fr")
    page = member_context(new_context, "fr").new_page()
    invitation = french_world["invitation"]

    # --- the invitation, then the profile with a mistake
    accept_invitation(page, live_server, invitation, check, snap)
    phone = page.locator("#id_phone")
    expect(phone).to_have_value("+221 ")  # Senegal's code, suggested
    phone.fill("+221 77 12")  # digits are missing
    page.locator("#id_city").fill("Thiès")
    page.locator("#id_organisation").fill("Hôpital de Thiès")
    page.locator("input[name=directory_visibility][value=members]").check()
    # The languages she speaks, named in French and in French order: "Anglais" among the A's.
    languages = page.locator("details.folded-choices").nth(1)
    languages.locator("summary").click()
    names = languages.locator("input[name=languages] + label, label:has(input[name=languages])")
    shown = [" ".join(name.split()) for name in names.all_inner_texts()]
    assert "Anglais" in shown and "English" not in shown
    assert shown.index("Anglais") < shown.index("Français")
    languages.get_by_label("Anglais").check()
    languages.get_by_label("Français").check()
    page.locator("form.profile-form button[type=submit]").click()
    error = page.locator(".errorlist", has_text="+221")
    expect(error).to_contain_text("Ce numéro est trop court")
    expect(page.locator("#id_city")).to_have_value("Thiès")  # nothing typed is lost
    expect(page.locator("#id_organisation")).to_have_value("Hôpital de Thiès")
    expect(page.locator("details.folded-choices").nth(1).locator("summary")).to_contain_text(
        "Anglais, Français"
    )
    check(page, "profile with an error")
    snap(page, "languages-fr-profile-error", sizes=("phone",))
    phone.fill("77 123 45 67")
    page.locator("form.profile-form button[type=submit]").click()
    expect(page.get_by_text("Votre profil est enregistré.")).to_be_visible()
    check(page, "my page after saving the profile")
    snap(page, "languages-fr-home", sizes=("phone",))
    awa = Participant.objects.get(pk=invitation.participant_id)
    assert awa.phone.as_e164 == "+221771234567"
    assert sorted(awa.languages.values_list("code", flat=True)) == ["en", "fr"]

    # --- the directory: a colleague by field of expertise
    page.goto(live_server.url + reverse("members:directory"))
    check(page, "directory")
    page.locator("form[role=search] summary").click()  # the filters are folded
    page.locator("#id_expertise").select_option(str(french_world["health"].pk))
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.get_by_role("link", name="Moussa Koné")).to_be_visible()
    check(page, "directory results")
    snap(page, "languages-fr-directory", sizes=("phone",))
    page.get_by_role("link", name="Moussa Koné").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moussa Koné")
    check(page, "a colleague's profile")

    # --- an activity: the list, the page, registering, my activities
    activity = french_world["activity"]
    page.goto(live_server.url + reverse("activities:list"))
    check(page, "activities")
    page.get_by_role("link", name=activity.title).click()
    check(page, "an activity")
    page.locator(
        f"form[action='{reverse('activities:register', args=[activity.pk])}'] button"
    ).click()
    expect(page.locator("a.online-link")).to_be_visible()
    check(page, "an activity, registered")
    snap(page, "languages-fr-activity", sizes=("phone",))
    page.goto(live_server.url + reverse("activities:mine"))
    expect(page.get_by_role("link", name=activity.title, exact=True)).to_be_visible()
    check(page, "my activities")

    # --- the newsletter she received: the archive, the issue, then its unsubscribe link
    newsletter = french_world["newsletter"]
    send_newsletter(newsletter, french_world["staff"])
    newsletters_sent = [m for m in mail.outbox if m.extra_headers.get("List-Unsubscribe")]
    assert len(newsletters_sent) == 2  # Awa and Moussa
    (received,) = [m for m in newsletters_sent if m.to == ["awa@example.org"]]
    link = re.search(r"https?://\S+?(/newsletters/unsubscribe/[^/\s]+/)", received.body)
    page.goto(live_server.url + reverse("newsletters:archive"))
    check(page, "newsletter archive")
    page.get_by_role("link", name=newsletter.subject).click()
    expect(page.get_by_role("heading", name="Une nouvelle saison d'échanges")).to_be_visible()
    check(page, "a newsletter")
    page.goto(live_server.url + link.group(1))
    check(page, "unsubscribe: confirm")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre désabonnement est confirmé")
    check(page, "unsubscribe: done")
    snap(page, "languages-fr-unsubscribed", sizes=("phone",))
    awa.refresh_from_db()
    assert awa.newsletter_subscribed is False

    check.assert_clean(expected_pages=16)


@pytest.mark.parametrize(
    ("language", "person", "saved"),
    [
        (
            "es",
            {"first_name": "Lucía", "last_name": "Quispe", "home_country": "BO"},
            "Su perfil quedó guardado.",
        ),
        (
            "pt",
            {"first_name": "Célia", "last_name": "Macuácua", "home_country": "MZ"},
            "O seu perfil foi guardado.",
        ),
    ],
    ids=["es", "pt"],
)
def test_spanish_and_portuguese_spot_checks(
    new_context, live_server, vocabularies, snap, language, person, saved
):
    field = vocabularies["Water and sanitation"]
    visible_colleague(
        first_name="Rosa",
        last_name="Mamani",
        home_country=person["home_country"],
        language=language,
        field=field,
    )
    invitation = invite(**person, email=f"{language}@example.org", language=language)
    activity = ActivityFactory(title="Seminário / seminario: agua limpia", capacity=20)
    check = LanguageCheck(language)
    page = member_context(new_context, language).new_page()

    accept_invitation(page, live_server, invitation, check, snap)
    page.locator("#id_city").fill("Cochabamba" if language == "es" else "Maputo")
    page.locator("input[name=directory_visibility][value=members]").check()
    page.locator("form.profile-form button[type=submit]").click()
    expect(page.get_by_text(saved)).to_be_visible()
    check(page, "my page after saving the profile")
    page.goto(live_server.url + reverse("members:profile_edit"))
    check(page, "profile")
    snap(page, f"languages-{language}-profile", sizes=("phone",))
    page.goto(live_server.url + reverse("members:directory") + "?q=Rosa")
    expect(page.get_by_role("link", name="Rosa Mamani")).to_be_visible()
    check(page, "directory")
    page.goto(live_server.url + activity.get_absolute_url())
    check(page, "an activity")

    check.assert_clean(expected_pages=6)


def test_the_check_fails_on_an_english_page_and_passes_on_the_same_page_in_french(
    new_context, live_server, transactional_db
):
    """The helper itself, on real pages: the home page asked for in English is full of the
    portal's English; asked for in French, it has none."""
    english = member_context(new_context, "en").new_page()
    english.goto(live_server.url + reverse("home"))
    expect(english.locator("html")).to_have_attribute("lang", "en")
    with pytest.raises(AssertionError, match="Skip to content") as failure:
        assert_no_portal_english(english, "fr")
    assert "Activities" in str(failure.value)

    french = member_context(new_context, "fr").new_page()
    french.goto(live_server.url + reverse("home"))
    expect(french.locator("html")).to_have_attribute("lang", "fr")
    assert_no_portal_english(french, "fr")

    # Text that says it is another language (a language named in itself) is not English here.
    french.set_content(
        '<html lang="fr"><body><p>Votre profil</p><p lang="en">Activities <b>Directory</b></p>'
        '<select><option lang="fr">Français</option><option lang="en">English</option></select>'
        "</body></html>"
    )
    assert_no_portal_english(french, "fr")
    # ... and the page is as it was.
    expect(french.get_by_text("Activities")).to_be_visible()
    expect(french.locator("option[lang=en]")).to_have_text("English")
    french.set_content('<html lang="fr"><body><p>Votre profil</p><p>Activities</p></body></html>')
    with pytest.raises(AssertionError, match="Activities"):
        assert_no_portal_english(french, "fr")
    # Folded text, placeholders and the labels screen readers read count too.
    french.set_content(
        '<html lang="fr"><body><details><summary>Filtres</summary><p>Skip to content</p>'
        '</details><input placeholder="Your email address"><a aria-label="Main">x</a>'
        "</body></html>"
    )
    with pytest.raises(AssertionError) as failure:
        assert_no_portal_english(french, "fr")
    assert "Skip to content" in str(failure.value)
    assert "Your email address" in str(failure.value)


def test_the_page_check_also_sees_a_page_wider_than_the_phone(new_context, live_server):
    page = member_context(new_context, "fr").new_page()
    check = LanguageCheck("fr")
    head = '<head><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
    page.set_content(f'<html lang="fr">{head}<body><p>Bonjour</p></body></html>')
    check(page, "narrow")
    assert check.problems == []
    page.set_content(f'<html lang="fr">{head}<body><p>{"Désabonnement" * 8}</p></body></html>')
    check(page, "wide")
    assert len(check.problems) == 1 and "wide on a 360 px phone" in check.problems[0]
