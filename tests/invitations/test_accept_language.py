"""The invitation's pages speak the invitee's language (issue 12, item 3): they open in the
invitation's language whatever the browser asks for, switch with one tap (links, no JavaScript),
keep the link working across the switch, and the language the invitee ends on becomes the new
member's language."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from invitations.models import Invitation
from members.models import Participant
from tests.invitations.test_accept import ACCEPT_FORM
from tests.invitations.test_accept import DECLINE_FORM
from tests.invitations.test_accept import PASSWORD
from tests.invitations.test_accept import accept_url
from tests.invitations.test_accept import decline_url
from tests.invitations.test_accept import sent_invitation
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

FORM = {"password1": PASSWORD, "password2": PASSWORD, "consent": "on"}


def shown_language(response) -> str:
    html_lang = re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)
    assert response.headers["Content-Language"] == html_lang
    return html_lang


@pytest.fixture
def english_browser():
    """A browser whose owner reads English: the invitation's language must win over it."""
    return Client(headers={"accept-language": "en-GB,en;q=0.9"})


def invitation_in(language: str, **fields) -> Invitation:
    return sent_invitation(
        ParticipantFactory(first_name="Amina", preferred_language=language), **fields
    )


def test_the_page_opens_in_the_invitations_language_not_the_browsers(english_browser):
    invitation = invitation_in("fr")
    page = english_browser.get(accept_url(invitation), follow=True)
    assert page.request["PATH_INFO"] == ACCEPT_FORM
    assert shown_language(page) == "fr"


def test_the_page_links_to_each_other_language_named_in_itself(english_browser):
    invitation = invitation_in("fr")
    body = english_browser.get(accept_url(invitation), follow=True).content.decode()
    links = body.split('<nav class="language-links"', 1)[1].split("</nav>", 1)[0]
    for code, name in (("en", "English"), ("es", "Español"), ("pt", "Português")):
        assert f'<a href="?language={code}" lang="{code}" hreflang="{code}">{name}</a>' in links
    assert '<strong lang="fr" aria-current="true">Français</strong>' in links
    # A plain link: nothing on the page needs JavaScript, and the token is not in any link.
    assert "<script" not in body
    assert accept_url(invitation) not in body


def test_one_tap_switches_the_page_and_the_link_keeps_working(english_browser):
    invitation = invitation_in("fr")
    english_browser.get(accept_url(invitation), follow=True)

    switched = english_browser.get(ACCEPT_FORM, {"language": "pt"})
    assert switched.status_code == 302 and switched.url == ACCEPT_FORM
    page = english_browser.get(ACCEPT_FORM)
    assert shown_language(page) == "pt"
    assert "Amina" in page.content.decode()
    # Opening a page changes nothing: the invitee's language is still the invitation's.
    assert Participant.objects.get(pk=invitation.participant_id).preferred_language == "fr"
    # The link from the mail still works after the switch, and opens in the invitation's language.
    assert shown_language(english_browser.get(accept_url(invitation), follow=True)) == "fr"


def test_the_language_the_invitee_ends_on_becomes_their_language(english_browser):
    invitation = invitation_in("fr")
    english_browser.get(accept_url(invitation), follow=True)
    english_browser.get(ACCEPT_FORM, {"language": "es"})
    response = english_browser.post(ACCEPT_FORM, FORM)
    assert response.status_code == 302
    participant = Participant.objects.get(pk=invitation.participant_id)
    assert participant.user_id is not None
    assert participant.preferred_language == "es"
    # Logged in, the next page is theirs.
    assert shown_language(english_browser.get(response.url)) == "es"


def test_without_a_switch_the_invitations_language_becomes_theirs(english_browser):
    invitation = invitation_in("pt")
    english_browser.get(accept_url(invitation), follow=True)
    english_browser.post(ACCEPT_FORM, FORM)
    assert Participant.objects.get(pk=invitation.participant_id).preferred_language == "pt"


def test_the_footers_switcher_on_the_page_switches_it_too(english_browser):
    invitation = invitation_in("fr")
    english_browser.get(accept_url(invitation), follow=True)
    response = english_browser.post(
        reverse("members:language"), {"language": "es", "next": ACCEPT_FORM}
    )
    assert response.url == ACCEPT_FORM
    assert shown_language(english_browser.get(ACCEPT_FORM)) == "es"
    english_browser.post(ACCEPT_FORM, FORM)
    assert Participant.objects.get(pk=invitation.participant_id).preferred_language == "es"


def test_another_invitations_link_opens_in_its_own_language(english_browser):
    """A choice made on one person's invitation page does not carry over to the next link opened
    in the same english_browser (a shared computer, a family's two invitations)."""
    first, second = invitation_in("fr"), invitation_in("pt")
    english_browser.get(accept_url(first), follow=True)
    english_browser.get(ACCEPT_FORM, {"language": "es"})
    assert shown_language(english_browser.get(accept_url(second), follow=True)) == "pt"


def test_a_language_the_portal_does_not_offer_is_ignored(english_browser):
    invitation = invitation_in("fr")
    english_browser.get(accept_url(invitation), follow=True)
    page = english_browser.get(ACCEPT_FORM, {"language": "de"})
    assert page.status_code == 200
    assert shown_language(page) == "fr"


def test_the_pages_opened_from_it_read_the_same_language(english_browser):
    """The privacy notice linked from the form, in the language the invitee reads."""
    invitation = invitation_in("fr")
    english_browser.get(accept_url(invitation), follow=True)
    english_browser.get(ACCEPT_FORM, {"language": "pt"})
    english_browser.get(ACCEPT_FORM)
    assert english_browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pt"
    assert shown_language(english_browser.get(reverse("privacy"))) == "pt"


def test_the_decline_page_speaks_the_invitations_language_too(english_browser):
    invitation = invitation_in("es")
    page = english_browser.get(decline_url(invitation), follow=True)
    assert page.request["PATH_INFO"] == DECLINE_FORM
    assert shown_language(page) == "es"
    english_browser.get(DECLINE_FORM, {"language": "fr"})
    assert shown_language(english_browser.get(DECLINE_FORM)) == "fr"
    assert shown_language(english_browser.post(DECLINE_FORM)) == "fr"
    assert Participant.objects.get(pk=invitation.participant_id).declined_invitations


def test_an_expired_invitations_page_speaks_its_language(english_browser):
    invitation = invitation_in("pt", expires_at=timezone.now() - timedelta(days=1))
    page = english_browser.get(accept_url(invitation), follow=True)
    assert page.status_code == 410
    assert shown_language(page) == "pt"


def test_an_unknown_link_follows_the_browser(english_browser):
    page = english_browser.get(reverse("invitations:accept", args=["not-a-token"]), follow=True)
    assert page.status_code == 404
    assert shown_language(page) == "en"
