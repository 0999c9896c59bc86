"""Deleting an account: the member chooses whether their posts stay without their name or go,
and deleted posts vanish from lists, search and digests (the choice travels through the
members.extensions hook; members never imports community)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from community import digests
from community import selectors
from community import services
from community.models import Post
from community.models import Topic
from members import services as member_services
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _delete_through_the_page(client, member, **data):
    client.force_login(member.user)
    response = client.post(
        reverse("members:account_delete"), {"password": DEFAULT_PASSWORD, **data}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.deleted_at is not None


def _digest(room_ids):
    now = timezone.now()
    new, busy = digests.digest_items(
        room_ids=room_ids,
        since=now - datetime.timedelta(days=1),
        until=now + datetime.timedelta(minutes=1),
    )
    return [item.title for item in new], [item.title for item in busy]


def test_the_deletion_page_asks_what_becomes_of_the_posts(client, amina):
    client.force_login(amina.user)
    page = client.get(reverse("members:account_delete")).content.decode()
    assert "Your posts in the community" in page
    assert 'value="anonymise"' in page and 'value="delete"' in page
    # Keeping them is what the page proposes.
    assert re.search(r'<input[^>]*value="anonymise"[^>]*checked', page)


def test_keeping_the_posts_shows_them_as_a_former_members(client, amina, tendai, network):
    theirs = topic(tendai, title="Tendai asks")
    answer = reply(amina, theirs, text="Amina answers sante")
    _delete_through_the_page(client, amina, choice_community="anonymise")
    answer.refresh_from_db()
    assert answer.author is None
    assert list(selectors.post_list(topic=theirs, viewer=tendai)) == [
        theirs.posts.get(is_opening=True),
        answer,
    ]
    assert [post.pk for post in selectors.post_search(text="sante", viewer=tendai)] == [answer.pk]


def test_a_page_without_the_question_keeps_the_posts(client, amina, tendai):
    # A deletion page opened before the question existed posts no answer: today's behaviour.
    answer = reply(amina, topic(tendai))
    _delete_through_the_page(client, amina)
    answer.refresh_from_db()
    assert answer.author is None


def test_deleting_the_posts_removes_them_from_lists_search_and_digests(
    client, amina, tendai, network
):
    # A topic Amina started that nobody answered, one Tendai answered, and a reply of hers in
    # Tendai's topic.
    alone = topic(amina, title="Alone zebra", text="Nobody replied zebra")
    answered = topic(amina, title="Answered giraffe", text="Opening giraffe")
    others_reply = reply(tendai, answered, text="Tendai replies giraffe")
    theirs = topic(tendai, title="Tendai okapi", text="Question okapi")
    her_reply = reply(amina, theirs, text="Amina replies okapi")
    assert theirs.__class__.objects.get(pk=theirs.pk).reply_count == 1
    assert "Alone zebra" in _digest([network.pk])[0]

    _delete_through_the_page(client, amina, choice_community="delete")

    assert not Post.objects.filter(pk=her_reply.pk).exists()
    # Nobody else wrote in it: the topic is gone.
    assert not Topic.objects.filter(pk=alone.pk).exists()
    # Others replied: hidden, its title (her words) erased, their reply kept but out of sight.
    answered.refresh_from_db()
    assert answered.hidden and answered.author is None
    assert answered.title == services.DELETED_TOPIC_TITLE
    assert not answered.posts.filter(is_opening=True).exists()
    assert Post.objects.filter(pk=others_reply.pk).exists()
    # The topic she replied in counts one reply fewer.
    theirs.refresh_from_db()
    assert theirs.reply_count == 0
    assert list(selectors.post_list(topic=theirs, viewer=tendai)) == [
        theirs.posts.get(is_opening=True)
    ]
    # Lists, search, digests.
    assert list(selectors.topic_list(room=network, viewer=tendai)) == [theirs]
    for word in ("zebra", "giraffe", "okapi"):
        found = selectors.post_search(text=word, viewer=tendai)
        assert [post.pk for post in found] == (
            [theirs.posts.get(is_opening=True).pk] if word == "okapi" else []
        ), word
    new, busy = _digest([network.pk])
    assert new == ["Tendai okapi"] and busy == []
    client.force_login(tendai.user)
    room_page = client.get(reverse("community:room", args=[network.slug])).content.decode()
    assert "Tendai okapi" in room_page
    assert "giraffe" not in room_page.lower() and "zebra" not in room_page.lower()
    assert client.get(reverse("community:topic", args=[answered.pk])).status_code == 404


def test_deleted_posts_take_their_images_along(client, amina, settings):
    from tests.community.factories import image_upload

    conversation = topic(amina, image=image_upload(size=(40, 30)))
    stored = conversation.posts.get().image
    assert stored.storage.exists(stored.name)
    _delete_through_the_page(client, amina, choice_community="delete")
    assert not stored.storage.exists(stored.name)


def test_an_answer_that_is_not_offered_is_refused_and_nothing_is_deleted(client, amina):
    client.force_login(amina.user)
    response = client.post(
        reverse("members:account_delete"),
        {"password": DEFAULT_PASSWORD, "choice_community": "publish-everywhere"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    amina.refresh_from_db()
    assert amina.deleted_at is None and amina.user is not None


def test_the_service_refuses_an_unknown_choice(amina):
    with pytest.raises(ValueError):
        member_services.participant_delete_account(
            participant=amina, choices={"community": "sometimes"}
        )
