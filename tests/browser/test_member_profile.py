"""A member in a real browser: completes the profile on a phone (fixing a phone number first),
changes the email address and verifies it from the captured mail, finds a colleague by expertise
and country and writes to them, downloads their data and deletes the account."""

import json
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from members import services
from members.models import Language
from members.models import Participant
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import ExchangeFactory
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory


@pytest.fixture
def amina(transactional_db):
    Language.objects.get_or_create(code="sw", defaults={"name": "Swahili"})
    ExpertiseFieldFactory(name="Public health")
    return MemberFactory(
        first_name="Amina", last_name="Otieno", email="amina@example.org", home_country="KE"
    )


@pytest.fixture
def colleague(transactional_db):
    health = ExpertiseFieldFactory(name="Public health")
    colleague = MemberFactory(
        first_name="Tendai", last_name="Moyo", email="tendai@example.org", home_country="ZW"
    )
    services.participant_update_profile(
        participant=colleague,
        data={
            "organisation": "Harare Central Hospital",
            "position": "Epidemiologist",
            "residence_country": "ZW",
            "city": "Harare",
            "directory_visibility": Participant.Visibility.MEMBERS,
        },
        expertise=[health],
    )
    ExchangeFactory(participant=colleague, host_country="NO", year=2016)
    # Someone with the same expertise elsewhere, and someone hidden: neither must show.
    other = MemberFactory(first_name="Other", last_name="Person", home_country="KE")
    services.participant_update_profile(
        participant=other,
        data={"residence_country": "KE", "directory_visibility": Participant.Visibility.MEMBERS},
        expertise=[health],
    )
    hidden = MemberFactory(first_name="Hidden", last_name="Person", home_country="ZW")
    services.participant_update_profile(
        participant=hidden, data={"residence_country": "ZW"}, expertise=[health]
    )
    return colleague


def log_in(page, live_server, email, next_url=None):
    url = live_server.url + reverse("account_login")
    if next_url:
        url += f"?next={next_url}"
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_a_member_completes_the_profile_on_a_phone(phone_page, live_server, amina, snap):
    page = phone_page
    log_in(page, live_server, "amina@example.org")
    expect(
        page.get_by_role("heading", name="What to do next: complete your profile")
    ).to_be_visible()
    snap(page, "member-home-incomplete")
    page.get_by_role("link", name="Complete my profile").click()

    phone = page.get_by_label("Phone")
    expect(phone).to_have_value("+254 ")  # the country's prefix, suggested
    phone.fill("+254 7123")  # a digit short: a mistake first
    page.get_by_label("City").fill("Kisumu")
    page.get_by_label("Organisation").fill("Kenya Red Cross")
    # The long lists are folded (the page was 4,500 px on a phone): open them to choose.
    page.locator("summary", has_text="Fields of expertise").click()
    page.get_by_label("Public health").check()
    page.locator("summary", has_text="Languages you speak").click()
    page.get_by_label("Swahili").check()
    page.get_by_label("Visible to registered members").check()
    page.get_by_label(re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Save my profile").click()

    # The code was given, so the message says what is wrong, not "write the country code".
    expect(page.get_by_text("This number is too short for Kenya (+254)")).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("Kisumu")  # nothing typed is lost
    snap(page, "member-profile-phone-error")

    page.get_by_label("Phone").fill("0712 345 678")
    page.get_by_label(re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Save my profile").click()

    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    snap(page, "member-home-after-profile")
    amina.refresh_from_db()
    assert amina.phone.as_e164 == "+254712345678"
    assert amina.directory_visibility == Participant.Visibility.MEMBERS
    assert amina.privacy_consent_at is not None
    # No horizontal scrolling on a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_member_changes_the_email_address_and_verifies_it(desktop_page, live_server, amina, snap):
    page = desktop_page
    log_in(page, live_server, "amina@example.org")
    page.get_by_role("link", name="Change my email address").click()
    page.get_by_label("Change to").fill("amina.new@example.org")
    page.get_by_role("button", name=re.compile("Add Email|Change Email")).click()
    snap(page, "member-email-change")

    message = next(m for m in reversed(mail.outbox) if "amina.new@example.org" in m.to)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page.goto(live_server.url + path)
    page.get_by_role("button", name="Confirm").click()
    amina.refresh_from_db()
    assert amina.email == "amina.new@example.org"
    assert amina.email_status == Participant.EmailStatus.OK


def test_a_member_finds_a_colleague_by_expertise_and_country_and_writes(
    phone_page, live_server, amina, colleague, snap
):
    page = phone_page
    log_in(page, live_server, "amina@example.org", next_url=reverse("members:directory"))
    expect(page.get_by_role("heading", name="Find colleagues")).to_be_visible()
    page.get_by_text("Filters").click()
    page.get_by_label("Field of expertise").select_option(label="Public health")
    page.get_by_label("Lives in").select_option(label="Zimbabwe")
    page.get_by_role("button", name="Search").click()

    expect(page.get_by_text("1 member found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"residence_country=ZW"))
    expect(page.get_by_text("Hidden Person")).to_have_count(0)
    snap(page, "member-directory-results")
    page.get_by_role("link", name="Tendai Moyo").click()
    expect(page.get_by_text("Epidemiologist, Harare Central Hospital")).to_be_visible()
    expect(page.get_by_text("tendai@example.org")).to_have_count(0)

    page.get_by_label("Subject").fill("Cholera response")
    page.get_by_label("Message").fill("Could we compare notes on cholera response?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Your message is on its way to Tendai")).to_be_visible()
    snap(page, "member-directory-profile")
    sent = next(m for m in reversed(mail.outbox) if m.to == ["tendai@example.org"])
    assert "amina@example.org" not in sent.body


def test_a_member_downloads_their_data_and_deletes_the_account(
    desktop_page, live_server, amina, snap
):
    page = desktop_page
    log_in(page, live_server, "amina@example.org")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert data["roster"]["roster_id"] == amina.participant_id

    page.get_by_role("link", name="Delete my account").click()
    page.get_by_label("Your password").fill("wrong password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("This is not your password")).to_be_visible()
    snap(page, "member-delete-account")
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account and your profile are deleted")).to_be_visible()
    amina.refresh_from_db()
    assert amina.user is None and amina.deleted_at is not None
