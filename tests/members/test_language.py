"""Which language a page is in (issue 12, item 2): a logged-in member's profile language; before
login the switcher's cookie, then Accept-Language, then English; the admin in English unless the
switcher chose another. The footer's switcher saves a member's choice to their profile."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from members.forms import ProfileForm
from members.models import Participant
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.members.factories import give_totp

pytestmark = pytest.mark.django_db

SWITCH = "/language/"


def shown_language(response) -> str:
    """The language the page says it is in: <html lang> (and the Content-Language header, which
    must agree)."""
    html_lang = re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)
    assert response.headers["Content-Language"] == html_lang
    return html_lang


def choose_with_switcher(client, code: str, *, next_url: str = "/activities/"):
    return client.post(reverse("members:language"), {"language": code, "next": next_url})


# --- before login: the switcher's cookie, then Accept-Language, then English ----------------------


def test_a_visitor_without_a_choice_reads_english(client):
    assert shown_language(client.get("/activities/")) == "en"


def test_a_visitor_reads_the_language_their_browser_asks_for(client):
    response = client.get("/activities/", headers={"accept-language": "pt-PT,pt;q=0.9,en;q=0.5"})
    assert shown_language(response) == "pt"


def test_the_switchers_choice_wins_over_the_browser(client):
    choose_with_switcher(client, "es")
    response = client.get("/activities/", headers={"accept-language": "fr"})
    assert shown_language(response) == "es"


# --- logged in: the profile's language, whatever the browser says ---------------------------------


def test_a_members_pages_follow_their_profile_not_the_browser_nor_the_cookie(client):
    member = MemberFactory(preferred_language="pt")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.force_login(member.user)
    for url in (reverse("members:home"), "/activities/", reverse("members:directory")):
        response = client.get(url, headers={"accept-language": "fr"})
        assert shown_language(response) == "pt", url


def test_changing_the_profiles_language_changes_the_next_page(client):
    member = MemberFactory(preferred_language="en")
    client.force_login(member.user)
    Participant.objects.filter(pk=member.pk).update(preferred_language="fr")
    assert shown_language(client.get(reverse("members:home"))) == "fr"


def test_an_account_without_a_roster_row_follows_the_visitors_rules(client):
    """Staff accounts have no profile language: outside the admin, the cookie or the browser."""
    client.force_login(StaffUserFactory())
    response = client.get("/activities/", headers={"accept-language": "es"})
    assert shown_language(response) == "es"


def test_after_logging_out_the_profile_language_no_longer_applies(client):
    member = MemberFactory(preferred_language="pt")
    client.force_login(member.user)
    client.post(reverse("account_logout"))
    assert shown_language(client.get("/activities/", headers={"accept-language": "fr"})) == "fr"


# --- the admin: English unless the switcher chose another language --------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def test_the_admin_is_in_english_whatever_the_browser_asks_for(staff_client):
    response = staff_client.get(reverse("admin:index"), headers={"accept-language": "fr"})
    assert response.status_code == 200
    assert shown_language(response) == "en"
    assert "Log out" in response.content.decode()


def test_the_admin_follows_the_language_chosen_with_the_switcher(staff_client):
    choose_with_switcher(staff_client, "fr")
    response = staff_client.get(reverse("admin:index"))
    assert shown_language(response) == "fr"
    # Django's own French admin (or the portal's catalogue) for "Log out".
    assert "Log out" not in response.content.decode()
    choose_with_switcher(staff_client, "en")
    assert shown_language(staff_client.get(reverse("admin:index"))) == "en"


def test_a_staff_members_profile_language_does_not_reach_the_admin(client):
    """A staff member who is also a member: their pages and mails follow their profile; the back
    office stays in English until they choose otherwise with the switcher."""
    member = MemberFactory(preferred_language="pt")
    member.user.is_staff = member.user.is_superuser = True
    member.user.save()
    give_totp(member.user)
    client.force_login(member.user)
    assert shown_language(client.get(reverse("admin:index"))) == "en"
    assert shown_language(client.get(reverse("members:home"))) == "pt"


# --- the footer's switcher ------------------------------------------------------------------------


def test_the_switcher_names_each_language_in_itself_and_needs_no_javascript(client):
    body = client.get("/activities/", headers={"accept-language": "pt"}).content.decode()
    footer = body.split('<footer class="site-footer">', 1)[1]
    form = footer.split("</form>", 1)[0]
    assert f'action="{reverse("members:language")}" method="post"' in form
    for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
        assert (
            f'<button type="submit" name="language" value="{code}" lang="{code}" '
            f'class="link-button">{name}</button>'
        ) in form
    # The language shown is not a button: it says it is the current one.
    assert '<strong lang="pt" aria-current="true">Português</strong>' in form
    assert "<script" not in body


def test_a_visitors_choice_sets_the_cookie_and_goes_back_to_the_page(client):
    response = choose_with_switcher(client, "fr", next_url="/activities/?month=")
    assert response.status_code == 302
    assert response.url == "/activities/?month="
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert shown_language(client.get(response.url)) == "fr"


def test_a_members_choice_is_saved_to_their_profile_with_a_message(client):
    member = MemberFactory(preferred_language="en")
    client.force_login(member.user)
    response = choose_with_switcher(client, "es", next_url=reverse("members:home"))
    member.refresh_from_db()
    assert member.preferred_language == "es"
    page = client.get(response.url)
    assert shown_language(page) == "es"
    (message,) = page.context["messages"]
    assert message.level_tag == "success"


def test_the_switcher_refuses_a_language_the_portal_does_not_offer(client):
    member = MemberFactory(preferred_language="pt")
    client.force_login(member.user)
    choose_with_switcher(client, "de")
    member.refresh_from_db()
    assert member.preferred_language == "pt"
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_the_switcher_takes_no_get_and_no_foreign_next(client):
    member = MemberFactory(preferred_language="pt")
    client.force_login(member.user)
    assert client.get(reverse("members:language"), {"language": "fr"}).status_code == 405
    member.refresh_from_db()
    assert member.preferred_language == "pt"
    response = choose_with_switcher(client, "fr", next_url="https://evil.example/")
    assert response.url == "/"


def test_another_members_language_is_never_changed(client):
    member, other = MemberFactory(preferred_language="en"), MemberFactory(preferred_language="pt")
    client.force_login(member.user)
    choose_with_switcher(client, "fr")
    other.refresh_from_db()
    assert other.preferred_language == "pt"


# --- the profile's language field -----------------------------------------------------------------


def test_the_profiles_language_field_says_what_it_decides_and_names_each_language_in_itself():
    form = ProfileForm(instance=MemberFactory())
    field = form.fields["preferred_language"]
    assert field.label == "Language of the portal and of Norec's emails to you"
    assert list(field.choices) == [
        ("en", "English"),
        ("fr", "Français"),
        ("es", "Español"),
        ("pt", "Português"),
    ]


def test_a_refused_request_speaks_the_visitors_language_not_the_previous_requests(client):
    """The request guard answers before LocaleMiddleware runs; the language a previous request
    left active in the thread must not leak into it."""
    member = MemberFactory(preferred_language="pt")
    client.force_login(member.user)
    client.get(reverse("members:home"))
    client.logout()
    response = Client(headers={"accept-language": "es"}).get("/activities/?q=%00")
    assert response.status_code == 400
    assert re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1) == "es"
