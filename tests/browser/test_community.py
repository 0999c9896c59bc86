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


# --- a committee moderates its branch's room; a digest arrives and is unsubscribed ----------------


@pytest.fixture
def branch_people(transactional_db):
    """The Uganda branch: Okello on its committee, Nakato new (her first posts wait for
    approval), Rehema who reads the weekly digest."""
    from tests.community.factories import branch
    from tests.community.factories import regular_member

    services.network_room()
    uganda = branch("Uganda", ["UG"])
    okello = regular_member(
        first_name="Okello", last_name="Ssempijja", email="okello@example.org", home_country="UG"
    )
    nakato = MemberFactory(
        first_name="Nakato", last_name="Namutebi", email="nakato@example.org", home_country="UG"
    )
    rehema = regular_member(
        first_name="Rehema", last_name="Kato", email="rehema@example.org", home_country="UG"
    )
    uganda.committee.add(okello)
    for member in (okello, nakato, rehema):
        services.follows_ensure_defaults(participant=member)
    meeting = services.topic_create(
        participant=okello,
        room=uganda.room,
        title="Branch meeting in Kampala",
        text="Which month suits you for our first meeting?",
        accept_conduct=True,
    )
    held = services.post_reply(
        participant=nakato,
        topic=meeting,
        text="March, after the rains, would suit those of us from Gulu.",
        accept_conduct=True,
    )
    assert held.status == Post.Status.HELD
    return uganda, okello, rehema, meeting, held


def test_a_committee_member_approves_and_pins_then_a_digest_is_unsubscribed_in_one_click(
    phone_page, live_server, branch_people, snap, settings, mailoutbox
):
    import datetime

    from django.utils import timezone

    from community import digests
    from community import sending
    from community.models import Topic
    from core import outbound

    uganda, okello, rehema, meeting, held = branch_people
    page = phone_page
    log_in(page, live_server, "okello@example.org")
    page.goto(live_server.url + reverse("community:room", args=[uganda.room.slug]))
    page.get_by_role("link", name="Moderation queue").click()
    queued = page.locator(f"#queue-{held.pk}")
    expect(queued.get_by_text("Waiting for approval")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    snap(page, "community-moderation-queue")
    queued.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Nothing waits for you")).to_be_visible()
    held.refresh_from_db()
    assert held.status == Post.Status.VISIBLE and held.moderated_by == okello.user

    page.goto(live_server.url + reverse("community:topic", args=[meeting.pk]))
    expect(page.locator(".post", has_text="March, after the rains")).to_be_visible()
    page.get_by_role("button", name="Pin the topic").click()
    expect(page.get_by_role("button", name="Unpin the topic")).to_be_visible()
    assert Topic.objects.get(pk=meeting.pk).pinned
    # Enter in the name picker's field posts the reply (the form's default button), not "Find".
    page.get_by_label("Your reply").fill("March it is: I will book the hall.")
    page.get_by_label("Find a member by name").fill("Rehema")
    page.get_by_label("Find a member by name").press("Enter")
    expect(page.locator(".post", has_text="March it is: I will book the hall.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    snap(page, "community-topic-moderated")
    page.goto(live_server.url + reverse("community:room", args=[uganda.room.slug]))
    expect(
        page.locator("li", has_text="Branch meeting in Kampala").get_by_text("Pinned")
    ).to_be_visible()
    snap(page, "community-room-pinned")
    page.get_by_role("button", name="Log out").click()

    # The weekly digest, built and sent in this process (the bulk sender's own path), with
    # links to this live server; Django's test outbox captures it.
    settings.SITE_URL = live_server.url
    today = digests.today_local(timezone.now())
    monday = today + datetime.timedelta(days=7 - today.weekday())
    mailoutbox.clear()
    sending._rendered.clear()
    # The run starts sending itself (start_campaign; tasks run eagerly here); a batch more, as
    # the next tick would send, finds nothing left.
    assert digests.digest_start(frequency="weekly", day=monday) >= 1
    outbound.send_batch(stream_name=sending.STREAM, campaign_id=None)
    (digest,) = [m for m in mailoutbox if m.to == ["rehema@example.org"]]
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Branch meeting in Kampala" in digest.body
    link = re.search(r"Stop the digest with one click: (\S+)", digest.body).group(1)
    assert link.startswith(live_server.url)
    assert digest.extra_headers["List-Unsubscribe"] == f"<{link}>"

    member_page = page.context.new_page()
    member_page.set_content(digest.alternatives[0][0])
    expect(member_page.get_by_text("Branch meeting in Kampala").first).to_be_visible()
    assert member_page.evaluate("document.documentElement.scrollWidth") <= 360
    snap(member_page, "community-digest-mail", sizes=("phone",))
    member_page.goto(link)
    expect(member_page.get_by_role("heading", name="Stop the community digest")).to_be_visible()
    snap(member_page, "community-digest-unsubscribe-confirm")
    assert CommunityMember.objects.get(participant=rehema).digest == "weekly"  # opening: nothing
    member_page.get_by_role("button", name="Stop the digest").click()
    expect(member_page.get_by_role("heading", name="The digest is stopped")).to_be_visible()
    assert member_page.evaluate("document.documentElement.scrollWidth") <= 360
    snap(member_page, "community-digest-unsubscribe-done")
    assert CommunityMember.objects.get(participant=rehema).digest == CommunityMember.Digest.NEVER
