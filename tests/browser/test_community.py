"""A member on a phone (360 px, no help from JavaScript needed) finds the community, starts a
topic in the network room (accepting the code of conduct at their first post), and a colleague
replies."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from community import services
from community.models import CommunityMember
from community.models import Post
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory


@pytest.fixture
def people(transactional_db):
    services.network_room()
    amina = MemberFactory(first_name="Amina", last_name="Otieno", email="amina@example.org")
    tendai = MemberFactory(first_name="Tendai", last_name="Moyo", email="tendai@example.org")
    # Both have posted before: their posts are not held for approval.
    for member in (amina, tendai):
        CommunityMember.objects.update_or_create(
            participant=member, defaults={"posts_approved": services.NEW_MEMBER_HELD_POSTS}
        )
    return amina, tendai


def log_in(page, live_server, email):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + reverse("members:home"))


def test_a_member_on_a_phone_starts_a_topic_and_a_colleague_replies(
    phone_page, live_server, people, snap
):
    page = phone_page
    log_in(page, live_server, "amina@example.org")
    page.get_by_role("link", name="Community", exact=True).click()
    expect(page.get_by_role("heading", name="Rooms you follow")).to_be_visible()
    snap(page, "community-rooms")

    page.get_by_role("link", name="Ask and share").click()
    expect(page.get_by_text("No topics here yet")).to_be_visible()
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Title").fill("Clean water projects in Kisumu")
    page.get_by_label("Your message").fill("Who works on **water** in western Kenya?")
    page.get_by_role("button", name="Post topic").click()
    # The first post asks for the code of conduct, and keeps what was typed.
    expect(page.get_by_text("Please accept the code of conduct to post.").first).to_be_visible()
    expect(page.get_by_label("Your message")).to_have_value(
        "Who works on **water** in western Kenya?"
    )
    snap(page, "community-new-topic-conduct")
    page.get_by_label("I have read the code of conduct and I accept it.").check()
    page.get_by_role("button", name="Post topic").click()
    expect(page.get_by_role("heading", name="Clean water projects in Kisumu")).to_be_visible()
    expect(page.locator(".post strong", has_text="water")).to_be_visible()

    # The page fits the phone: nothing wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    page.get_by_role("link", name="Ask and share").click()
    expect(page.get_by_role("link", name="Clean water projects in Kisumu")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    snap(page, "community-room")

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "tendai@example.org")
    expect(page.get_by_role("link", name="Clean water projects in Kisumu")).to_be_visible()
    page.get_by_role("link", name="Clean water projects in Kisumu").click()
    page.get_by_label("Your reply").fill("We do, in Kisumu and Siaya. Write to me!")
    # Tendai's first post too: the code of conduct is on the form from the start.
    page.get_by_label("I have read the code of conduct and I accept it.").check()
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post", has_text="We do, in Kisumu and Siaya.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/community/topics/\d+/#post-\d+$"))
    snap(page, "community-topic-with-reply")

    assert Post.objects.filter(status=Post.Status.VISIBLE).count() == 2
