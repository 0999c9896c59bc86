"""Moderation from the member pages: a branch's committee moderates its own room (pin, hide,
restore, approve), staff every room; each action records the moderator and an audit entry. The
queue lists held and reported posts of the reader's rooms. Negative tests for every other reader."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from community import moderation
from community.models import Post
from community.models import Topic
from members.models import StaffAction
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def uganda(network):
    return branch("Uganda", ["UG"])


@pytest.fixture
def kenya(network):
    return branch("Kenya", ["KE"])


@pytest.fixture
def okello(uganda):
    """A member of Uganda's committee."""
    member = regular_member(first_name="Okello", last_name="Opio", home_country="UG")
    uganda.committee.add(member)
    return member


@pytest.fixture
def plain(uganda):
    """A member of the Uganda branch, not on its committee."""
    return regular_member(first_name="Grace", last_name="Nakato", home_country="UG")


@pytest.fixture
def rooms(uganda, kenya, network, amina, plain):
    """A topic with a reply in each room."""
    made = {}
    for name, room in (("uganda", uganda.room), ("kenya", kenya.room), ("network", network)):
        conversation = topic(amina, room=room, title=f"About {name}")
        made[name] = (conversation, reply(plain, conversation, text=f"A reply in {name}"))
    return made


def text(response) -> str:
    return response.content.decode()


def moderate(client, post, action, **extra):
    return client.post(
        reverse("community:post_moderate", args=[post.pk]), {"action": action, **extra}
    )


# --- the rule -----------------------------------------------------------------------------------


def test_the_committee_moderates_its_own_branch_room_only(okello, plain, uganda, kenya, network):
    assert moderation.may_moderate(user=okello.user, room=uganda.room)
    assert not moderation.may_moderate(user=okello.user, room=kenya.room)
    assert not moderation.may_moderate(user=okello.user, room=network)
    assert not moderation.may_moderate(user=plain.user, room=uganda.room)


def test_staff_who_may_change_posts_moderate_every_room_and_other_staff_none(uganda, network):
    allowed = StaffUserFactory()
    allowed.user_permissions.add(Permission.objects.get(codename="change_post"))
    other_staff = StaffUserFactory()
    for room in (uganda.room, network):
        assert moderation.may_moderate(user=allowed, room=room)
        assert not moderation.may_moderate(user=other_staff, room=room)


def test_a_committee_member_whose_account_was_deleted_moderates_nothing(okello, uganda):
    okello.deleted_at = "2026-01-01T00:00:00Z"
    okello.save(update_fields=["deleted_at"])
    assert not moderation.may_moderate(user=okello.user, room=uganda.room)


# --- the buttons on the topic page --------------------------------------------------------------


def test_the_buttons_show_only_to_the_rooms_moderators(client, rooms, okello, plain, admin_user):
    uganda_topic, _ = rooms["uganda"]
    kenya_topic, _ = rooms["kenya"]
    client.force_login(okello.user)
    assert "Pin the topic" in text(client.get(reverse("community:topic", args=[uganda_topic.pk])))
    assert "Hide this post" in text(client.get(reverse("community:topic", args=[uganda_topic.pk])))
    page = text(client.get(reverse("community:topic", args=[kenya_topic.pk])))
    assert "Pin the topic" not in page and "Hide this post" not in page
    client.force_login(plain.user)
    page = text(client.get(reverse("community:topic", args=[uganda_topic.pk])))
    assert "Pin the topic" not in page and "Hide this post" not in page
    client.force_login(admin_user)
    assert "Pin the topic" in text(client.get(reverse("community:topic", args=[kenya_topic.pk])))


# --- pin, hide, restore, approve ----------------------------------------------------------------


def test_a_committee_member_pins_and_unpins_a_topic_with_an_audit_entry(client, rooms, okello):
    conversation, _ = rooms["uganda"]
    client.force_login(okello.user)
    url = reverse("community:topic_pin", args=[conversation.pk])
    assert client.get(url).status_code == 405  # a change is a POST

    response = client.post(url, {"pinned": "1"})

    assert response.status_code == 302
    assert Topic.objects.get(pk=conversation.pk).pinned
    entry = StaffAction.objects.get(kind=moderation.AUDIT_MODERATION)
    assert entry.actor == okello.user
    assert "About uganda" in entry.summary_shown
    client.post(url, {"pinned": "0"})
    assert not Topic.objects.get(pk=conversation.pk).pinned
    assert StaffAction.objects.filter(kind=moderation.AUDIT_MODERATION).count() == 2


def test_a_hidden_post_is_gone_for_everyone_and_the_moderator_is_recorded(
    client, rooms, okello, tendai
):
    conversation, post = rooms["uganda"]
    client.force_login(okello.user)

    response = moderate(client, post, "hide")

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.HIDDEN
    assert post.moderated_by == okello.user
    assert post.moderated_at is not None
    assert StaffAction.objects.filter(kind=moderation.AUDIT_MODERATION, actor=okello.user).exists()
    client.force_login(tendai.user)
    page = text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert "A reply in uganda" not in page
    search = text(client.get(reverse("community:search") + "?q=reply+in+uganda"))
    assert "A reply in uganda" not in search


def test_hiding_the_first_post_hides_the_topic_and_restoring_brings_it_back(client, rooms, okello):
    conversation, _ = rooms["uganda"]
    opening = conversation.posts.get(is_opening=True)
    client.force_login(okello.user)

    moderate(client, opening, "hide")
    assert Topic.objects.get(pk=conversation.pk).hidden
    queue = text(client.get(reverse("community:moderation") + "?show=hidden"))
    assert "About uganda" in queue

    moderate(client, opening, "restore", next="queue", show="hidden")
    opening.refresh_from_db()
    assert opening.status == Post.Status.VISIBLE
    assert not Topic.objects.get(pk=conversation.pk).hidden


def test_a_committee_member_approves_a_held_post_from_the_queue(client, uganda, okello, amina):
    newcomer = MemberFactory(first_name="Nia", home_country="UG")
    conversation = topic(amina, room=uganda.room)
    held = reply(newcomer, conversation, text="My very first words")
    assert held.status == Post.Status.HELD
    client.force_login(okello.user)
    queue = text(client.get(reverse("community:moderation")))
    assert "My very first words" in queue
    assert "Approve" in queue

    response = moderate(client, held, "approve", next="queue")

    assert response["Location"] == reverse("community:moderation")
    held.refresh_from_db()
    assert held.status == Post.Status.VISIBLE
    assert held.moderated_by == okello.user
    assert "My very first words" not in text(client.get(reverse("community:moderation")))


# --- who may not --------------------------------------------------------------------------------


@pytest.mark.parametrize("room", ["kenya", "network"])
def test_ugandas_committee_cannot_touch_another_room(client, rooms, okello, room):
    conversation, post = rooms[room]
    client.force_login(okello.user)
    for action in ("hide", "approve", "dismiss"):
        assert moderate(client, post, action).status_code == 404
    pin = client.post(reverse("community:topic_pin", args=[conversation.pk]), {"pinned": "1"})
    assert pin.status_code == 404
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE
    assert not Topic.objects.get(pk=conversation.pk).pinned
    assert not StaffAction.objects.filter(kind=moderation.AUDIT_MODERATION).exists()


def test_a_plain_member_cannot_moderate_even_their_own_branch(client, rooms, plain):
    conversation, post = rooms["uganda"]
    client.force_login(plain.user)
    assert moderate(client, post, "hide").status_code == 404
    pin = client.post(reverse("community:topic_pin", args=[conversation.pk]), {"pinned": "1"})
    assert pin.status_code == 404
    assert client.get(reverse("community:moderation")).status_code == 404
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE


def test_staff_without_the_post_permission_cannot_moderate(client, rooms):
    _, post = rooms["network"]
    client.force_login(StaffUserFactory())
    assert moderate(client, post, "hide").status_code == 404
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE


def test_anonymous_visitors_go_to_the_login_and_change_nothing(client, rooms):
    conversation, post = rooms["uganda"]
    for url in (
        reverse("community:post_moderate", args=[post.pk]),
        reverse("community:topic_pin", args=[conversation.pk]),
        reverse("community:moderation"),
    ):
        response = client.post(url, {"action": "hide", "pinned": "1"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE


def test_a_post_without_its_csrf_token_is_refused(rooms, okello):
    _, post = rooms["uganda"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(okello.user)
    assert moderate(client, post, "hide").status_code == 403
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE


def test_an_unknown_action_or_post_is_a_404(client, rooms, okello):
    _, post = rooms["uganda"]
    client.force_login(okello.user)
    assert moderate(client, post, "delete-everything").status_code == 404
    assert (
        client.post(
            reverse("community:post_moderate", args=[999999]), {"action": "hide"}
        ).status_code
        == 404
    )


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_the_committees_rooms_only_and_staff_see_all(
    client, uganda, kenya, okello, amina, admin_user
):
    ug_new = MemberFactory(home_country="UG")
    ke_new = MemberFactory(home_country="KE")
    reply(ug_new, topic(amina, room=uganda.room), text="Held in Uganda")
    reply(ke_new, topic(amina, room=kenya.room), text="Held in Kenya")
    client.force_login(okello.user)
    queue = text(client.get(reverse("community:moderation")))
    assert "Held in Uganda" in queue
    assert "Held in Kenya" not in queue
    client.force_login(admin_user)
    queue = text(client.get(reverse("community:moderation")))
    assert "Held in Uganda" in queue and "Held in Kenya" in queue


def test_the_queue_says_when_nothing_waits(client, okello):
    client.force_login(okello.user)
    response = client.get(reverse("community:moderation"))
    assert response.status_code == 200
    assert "Nothing waits for you" in text(response)


def test_the_queue_is_paginated_at_a_fixed_query_count(
    client, uganda, okello, amina, django_assert_max_num_queries
):
    conversation = topic(amina, room=uganda.room)
    newcomers = [MemberFactory(home_country="UG") for _ in range(3)]
    for newcomer in newcomers:
        reply(newcomer, conversation, text="held")
    client.force_login(okello.user)
    client.get(reverse("community:moderation"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("community:moderation"))
    for n in range(25):
        Post.objects.create(
            topic=conversation, author=newcomers[n % 3], text=f"held {n}", status="held"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(reverse("community:moderation"))
    assert "Page 1 of 2" in text(first)
    second = text(client.get(reverse("community:moderation") + "?page=2"))
    assert "Page 2 of 2" in second


def test_the_committee_approves_held_posts_on_the_topic_page(client, uganda, okello, amina, plain):
    newcomer = MemberFactory(first_name="Nia", home_country="UG")
    conversation = topic(amina, room=uganda.room)
    held = reply(newcomer, conversation, text="Held words")
    held_topic = topic(newcomer, room=uganda.room, title="A newcomer's question")
    assert held_topic.held
    client.force_login(plain.user)
    assert "Held words" not in text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert client.get(reverse("community:topic", args=[held_topic.pk])).status_code == 404
    client.force_login(okello.user)
    page = text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert "Held words" in page and "Approve" in page
    assert "only you see this" not in page

    response = moderate(client, held, "approve")

    assert response["Location"] == reverse("community:topic", args=[conversation.pk])
    held.refresh_from_db()
    assert held.status == Post.Status.VISIBLE
    opening = held_topic.posts.get()
    assert client.get(reverse("community:topic", args=[held_topic.pk])).status_code == 200
    moderate(client, opening, "approve")
    client.force_login(plain.user)
    assert client.get(reverse("community:topic", args=[held_topic.pk])).status_code == 200


def test_another_committee_cannot_open_a_held_topic(client, uganda, kenya):
    other = regular_member(home_country="KE")
    kenya.committee.add(other)
    held_topic = topic(MemberFactory(home_country="UG"), room=uganda.room)
    client.force_login(other.user)
    assert client.get(reverse("community:topic", args=[held_topic.pk])).status_code == 404
