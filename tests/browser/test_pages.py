"""Pages that must read well on a 360 px phone even when something goes wrong (issue 10, items 20
and 22): error pages, the stale-form page, the invitation page with a long address, the profile's
length, and the status messages' roles."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from invitations.models import Invitation
from invitations.tokens import invitation_token
from members import services
from members.models import Language
from members.models import Participant
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory

# No hyphen in it: a hyphen lets the browser break the line anyway; dots do not.
LONG_ADDRESS = "florence.nakatossemwogerere.communityhealth@healthandsocialwelfare.go.ug"


def log_in(page, live_server, email):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + reverse("members:home"))


def no_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_invitation_page_fits_a_phone_with_a_long_address(
    phone_page, live_server, transactional_db, snap
):
    participant = ParticipantFactory(first_name="Florence", email=LONG_ADDRESS, home_country="UG")
    invitation = Invitation.objects.create(
        participant=participant,
        email=LONG_ADDRESS,
        status=Invitation.Status.SENT,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )
    page = phone_page
    page.goto(live_server.url + reverse("invitations:accept", args=[invitation_token(invitation)]))
    expect(page.get_by_text(LONG_ADDRESS)).to_be_visible()
    snap(page, "pages-invitation-long-address", sizes=("phone",))
    assert no_horizontal_overflow(page)


@pytest.fixture
def vocabularies(transactional_db):
    """About fifty languages and twenty fields, as production has (the browser tests' database
    is emptied between tests, so the seeded rows are made again here)."""
    for n in range(50):
        Language.objects.get_or_create(code=f"l{n:02d}", defaults={"name": f"Language {n:02d}"})
    Language.objects.get_or_create(code="sw", defaults={"name": "Swahili"})
    for n in range(21):
        ExpertiseFieldFactory(name=f"Field of work {n:02d}")
    ExpertiseFieldFactory(name="Public health")


def test_the_profile_page_is_short_on_a_phone_and_keeps_every_choice(
    phone_page, live_server, vocabularies, snap
):
    member = MemberFactory(first_name="Amina", email="amina@example.org", home_country="KE")
    services.participant_update_profile(
        participant=member,
        data={"directory_visibility": Participant.Visibility.MEMBERS},
        languages=[Language.objects.get(code="l07")],
        consent=True,
    )
    page = phone_page
    log_in(page, live_server, "amina@example.org")
    page.goto(live_server.url + reverse("members:profile_edit"))
    height = page.evaluate("document.documentElement.scrollHeight")
    snap(page, "pages-profile-folded", sizes=("phone",))
    assert height < 2500, f"the profile page is {height} px long on a phone"
    assert no_horizontal_overflow(page)

    # The folded list says what is chosen; opening it shows the checkboxes, without JavaScript.
    languages = page.locator("details", has=page.get_by_text("Languages you speak"))
    expect(languages.locator("summary")).to_contain_text("Language 07")
    expect(page.get_by_label("Swahili")).to_be_hidden()
    languages.locator("summary").click()
    page.get_by_label("Swahili").check()
    page.locator("details", has=page.get_by_text("Fields of expertise")).locator("summary").click()
    page.get_by_label("Public health").check()
    snap(page, "pages-profile-open", sizes=("phone",))
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    member.refresh_from_db()
    assert sorted(language.name for language in member.languages.all()) == [
        "Language 07",
        "Swahili",
    ]
    assert [field.name for field in member.expertise.all()] == ["Public health"]

    # The saved message sits in a live region around the list: no list loses its role.
    roles = page.evaluate(
        """() => ({
            listsWithRoles: document.querySelectorAll('ul[role], ol[role]').length,
            orphanItems: [...document.querySelectorAll('li')].filter(
                li => !['UL', 'OL', 'MENU'].includes(li.parentElement.tagName)
                    || li.parentElement.hasAttribute('role')).length,
            statusMessages: document.querySelectorAll('[role=status] li.message').length,
        })"""
    )
    assert roles == {"listsWithRoles": 0, "orphanItems": 0, "statusMessages": 1}
    expect(page).to_have_title("My page · Norec Network")


def test_an_unknown_page_is_styled_on_a_phone(phone_page, live_server, settings, snap):
    settings.DEBUG = False
    page = phone_page
    response = page.goto(live_server.url + "/activities/999999/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We cannot find this page")
    expect(page.get_by_role("link", name="Upcoming activities")).to_be_visible()
    snap(page, "pages-404")
    assert no_horizontal_overflow(page)
    # The stylesheet applied: the header has the brand colour, not a browser default.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        == "rgb(11, 92, 138)"
    )


@pytest.mark.urls("tests.support.error_urls")
def test_a_server_error_is_styled_on_a_phone(phone_page, live_server, settings, snap):
    settings.DEBUG = False
    page = phone_page
    response = page.goto(live_server.url + "/test-errors/500/")
    assert response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    snap(page, "pages-500")
    assert no_horizontal_overflow(page)
    # The stylesheet's plain name loads (500.html looks nothing up).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        == "rgb(11, 92, 138)"
    )


def test_a_form_from_a_stale_tab_explains_and_keeps_the_text(
    new_context, live_server, transactional_db, settings, snap
):
    """The member writes in one tab, logs out and in again in another (which renews the form
    token), then sends the first tab's form."""
    from tests.support.screens import VIEWPORTS

    settings.DEBUG = False
    writer = MemberFactory(first_name="Amina", email="amina@example.org")
    colleague = MemberFactory(first_name="Tendai", email="tendai@example.org")
    services.participant_update_profile(
        participant=colleague, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    context = new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, writer.email)
    profile_url = live_server.url + reverse("members:directory_profile", args=[colleague.pk])
    page.goto(profile_url)
    page.get_by_label("Subject").fill("Cholera response")
    page.get_by_label("Message").fill("Could we compare notes on the 2019 outbreak?")

    other_tab = context.new_page()
    other_tab.goto(live_server.url + reverse("members:home"))
    other_tab.get_by_role("button", name="Log out").click()
    log_in(other_tab, live_server, writer.email)

    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    kept = page.locator(".kept-input textarea")
    expect(kept.first).to_have_value("Cholera response")
    expect(kept.nth(1)).to_have_value("Could we compare notes on the 2019 outbreak?")
    expect(kept.first).to_have_attribute("readonly", "")
    snap(page, "pages-csrf-failure")
    assert no_horizontal_overflow(page)

    page.get_by_role("link", name="Go back to the page and try again").click()
    expect(page).to_have_url(re.compile(re.escape(profile_url) + "$"))
    page.get_by_label("Subject").fill("Cholera response")
    page.get_by_label("Message").fill("Could we compare notes on the 2019 outbreak?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Your message is on its way to Tendai")).to_be_visible()
