"""Reports (once per member and post, rate limited, into the queue, dismissed or settled by
hiding) and links in a new member's posts (plain text until approved and no longer new)."""

import pytest
from django.urls import reverse

from community import moderation
from community.models import CommunityMember
from community.models import Post
from community.models import Report
from core.markdown import render_markdown
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def uganda(network):
    return branch("Uganda", ["UG"])


@pytest.fixture
def okello(uganda):
    member = regular_member(first_name="Okello", home_country="UG")
    uganda.committee.add(member)
    return member


@pytest.fixture
def conversation(uganda, amina, tendai):
    made = topic(amina, room=uganda.room, title="Water projects")
    return made, reply(tendai, made, text="Buy my pills now")


def text(response) -> str:
    return response.content.decode()


def report(client, post, reason=""):
    return client.post(reverse("community:post_report", args=[post.pk]), {"reason": reason})


# --- reports ------------------------------------------------------------------------------------


def test_every_post_but_ones_own_has_a_report_button(client, conversation, amina, tendai):
    made, post = conversation
    client.force_login(amina.user)
    page = text(client.get(reverse("community:topic", args=[made.pk])))
    assert reverse("community:post_report", args=[post.pk]) in page
    opening = made.posts.get(is_opening=True)
    assert reverse("community:post_report", args=[opening.pk]) not in page  # her own
    assert client.get(reverse("community:post_report", args=[opening.pk])).status_code == 404
    assert report(client, opening).status_code == 404
    assert not Report.objects.exists()


def test_a_report_with_its_reason_reaches_the_rooms_queue(client, conversation, amina, okello):
    made, post = conversation
    client.force_login(amina.user)
    form = client.get(reverse("community:post_report", args=[post.pk]))
    assert form.status_code == 200

    response = report(client, post, "Spam & <ads>")

    assert response["Location"] == reverse("community:topic", args=[made.pk])
    saved = Report.objects.get()
    assert (saved.post, saved.reporter, saved.reason) == (post, amina, "Spam & <ads>")
    page = text(client.get(reverse("community:topic", args=[made.pk])))
    assert "You reported this post." in page
    client.force_login(okello.user)
    queue = text(client.get(reverse("community:moderation")))
    assert "Buy my pills now" in queue
    assert "Spam &amp; &lt;ads&gt;" in queue  # the reason as typed, escaped
    assert "Dismiss the reports" in queue


def test_a_member_reports_a_post_once(client, conversation, amina):
    _, post = conversation
    client.force_login(amina.user)
    report(client, post)

    again = report(client, post, "still bad")

    assert again.status_code == 200
    assert "already reported" in text(again)
    assert "still bad" in text(again)  # what was typed is kept
    assert Report.objects.count() == 1


def test_reports_are_rate_limited(client, uganda, amina, tendai):
    made = topic(tendai, room=uganda.room)
    posts = [
        reply(tendai, made, text=f"post {n}") for n in range(moderation.REPORT_LIMITS[0].amount + 1)
    ]
    client.force_login(amina.user)
    for post in posts[:-1]:
        assert report(client, post).status_code == 302

    refused = report(client, posts[-1])

    assert refused.status_code == 429
    assert "many posts in a short time" in text(refused)
    assert Report.objects.count() == moderation.REPORT_LIMITS[0].amount


def test_a_member_cannot_report_what_they_cannot_read(client, uganda, amina, tendai):
    newcomer = MemberFactory(home_country="UG")
    held = reply(newcomer, topic(tendai, room=uganda.room), text="held")
    client.force_login(amina.user)
    assert report(client, held).status_code == 404
    assert not Report.objects.exists()


def test_dismissing_keeps_the_post_and_empties_the_queue(client, conversation, amina, okello):
    _, post = conversation
    moderation.report_create(post=post, participant=amina, reason="rude")
    client.force_login(okello.user)

    client.post(
        reverse("community:post_moderate", args=[post.pk]), {"action": "dismiss", "next": "queue"}
    )

    saved = Report.objects.get()
    assert saved.settled_by == okello.user
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE
    assert "Buy my pills now" not in text(client.get(reverse("community:moderation")))


def test_hiding_a_reported_post_settles_its_reports(conversation, amina, okello):
    _, post = conversation
    moderation.report_create(post=post, participant=amina)
    assert moderation.moderate_hide(post=post, user=okello.user)
    assert Report.objects.get().settled_at is not None
    post.refresh_from_db()
    assert post.status == Post.Status.HIDDEN  # what notifications and digests check


def test_another_branchs_committee_neither_sees_nor_dismisses_a_report(client, conversation, amina):
    kenya = branch("Kenya", ["KE"])
    other = regular_member(home_country="KE")
    kenya.committee.add(other)
    _, post = conversation
    moderation.report_create(post=post, participant=amina)
    client.force_login(other.user)
    assert "Buy my pills now" not in text(client.get(reverse("community:moderation")))
    response = client.post(
        reverse("community:post_moderate", args=[post.pk]), {"action": "dismiss"}
    )
    assert response.status_code == 404
    assert Report.objects.get().settled_at is None


# --- links in a new member's posts --------------------------------------------------------------


def test_markdown_without_links_keeps_their_text_only():
    html = str(
        render_markdown("see [the site](https://spam.example) or <https://x.example>", links=False)
    )
    assert "<a" not in html
    assert "the site" in html and "https://x.example" in html
    assert '<a href="https://spam.example"' in str(
        render_markdown("[the site](https://spam.example)")
    )


def test_links_are_plain_text_while_the_post_is_held_or_its_author_new(
    client, uganda, amina, okello
):
    made = topic(amina, room=uganda.room)
    newcomer = MemberFactory(home_country="UG")
    held = reply(newcomer, made, text="Visit [my shop](https://shop.example)")
    client.force_login(newcomer.user)
    page = text(client.get(reverse("community:topic", args=[made.pk])))
    assert "my shop" in page
    assert 'href="https://shop.example"' not in page

    moderation.moderate_approve(post=held, user=okello.user)
    # Approved, but its author is still new (one post approved of the three the hold asks).
    client.force_login(amina.user)
    page = text(client.get(reverse("community:topic", args=[made.pk])))
    assert "my shop" in page
    assert 'href="https://shop.example"' not in page

    CommunityMember.objects.filter(participant=newcomer).update(posts_approved=3)
    page = text(client.get(reverse("community:topic", args=[made.pk])))
    assert 'href="https://shop.example"' in page


def test_a_regular_members_links_are_clickable(client, uganda, amina, tendai):
    made = topic(amina, room=uganda.room, text="See [the report](https://norec.example/report)")
    client.force_login(tendai.user)
    page = text(client.get(reverse("community:topic", args=[made.pk])))
    assert 'href="https://norec.example/report"' in page
