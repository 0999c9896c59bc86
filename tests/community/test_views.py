"""The community's member pages: who may open them, what each reader sees (held and hidden posts,
links to profiles), following, posting, editing, deleting, pagination and fixed query counts."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from community import services
from community.models import Post
from community.models import RoomFollow
from community.models import Tag
from community.models import Topic
from members import services as member_services
from members.models import Participant
from tests.community.factories import branch
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def make_visible(participant):
    member_services.participant_update_profile(
        participant=participant, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )


def page_text(response) -> str:
    return response.content.decode()


# --- who may open the pages ---------------------------------------------------------------------


@pytest.fixture
def urls(amina, network):
    conversation = topic(amina)
    post = conversation.posts.get()
    return [
        reverse("community:rooms"),
        reverse("community:search") + "?q=x",
        reverse("community:room", args=[network.slug]),
        reverse("community:topic_create", args=[network.slug]),
        reverse("community:topic", args=[conversation.pk]),
        reverse("community:post_edit", args=[post.pk]),
        reverse("community:post_delete", args=[post.pk]),
    ]


def test_anonymous_visitors_are_sent_to_the_login(client, urls, network):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
    follows = RoomFollow.objects.count()
    response = client.post(reverse("community:leave", args=[network.slug]))
    assert response.status_code == 302
    assert RoomFollow.objects.count() == follows


def test_a_staff_account_without_a_participant_reads_but_does_not_post(client, amina, network):
    conversation = topic(amina, title="Readable by staff")
    client.force_login(StaffUserFactory())
    rooms = client.get(reverse("community:rooms"))
    assert rooms.status_code == 200
    assert "Following rooms and posting need a member's account" in page_text(rooms)
    page = client.get(reverse("community:topic", args=[conversation.pk]))
    assert page.status_code == 200 and "Readable by staff" in page_text(page)
    assert 'name="text"' not in page_text(page)
    assert (
        client.post(reverse("community:topic", args=[conversation.pk]), {"text": "x"}).status_code
        == 404
    )
    assert client.get(reverse("community:topic_create", args=[network.slug])).status_code == 404
    assert client.post(reverse("community:follow", args=[network.slug])).status_code == 404


# --- rooms and following ------------------------------------------------------------------------


def test_the_room_list_shows_followed_rooms_first_and_follows_by_post(client, amina, network):
    uganda = branch("Uganda", ["UG"])
    client.force_login(amina.user)
    text = page_text(client.get(reverse("community:rooms")))
    assert text.index("Rooms you follow") < text.index("Ask and share") < text.index("Other rooms")
    assert text.index("Other rooms") < text.index("Uganda")

    assert client.get(reverse("community:follow", args=[uganda.room.slug])).status_code == 405
    response = client.post(reverse("community:follow", args=[uganda.room.slug]))
    assert response.status_code == 302
    assert RoomFollow.objects.filter(participant=amina, room=uganda.room).exists()

    client.post(reverse("community:leave", args=[uganda.room.slug]), {"next": "room"})
    assert not RoomFollow.objects.filter(participant=amina, room=uganda.room).exists()


def test_following_needs_the_csrf_token(amina, network):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(amina.user)
    RoomFollow.objects.filter(participant=amina).delete()
    response = client.post(reverse("community:follow", args=[network.slug]))
    assert response.status_code == 403
    assert not RoomFollow.objects.filter(participant=amina).exists()


def test_an_empty_room_says_so(client, amina, network):
    client.force_login(amina.user)
    response = client.get(reverse("community:room", args=[network.slug]))
    assert "No topics here yet" in page_text(response)


def test_a_room_lists_pinned_topics_first_then_newest_activity(client, amina, tendai, network):
    old = topic(amina, title="Old but pinned")
    Topic.objects.filter(pk=old.pk).update(pinned=True)
    quiet = topic(amina, title="Quiet topic")
    busy = topic(amina, title="Busy topic")
    reply(tendai, quiet)  # now the newest activity
    client.force_login(tendai.user)
    text = page_text(client.get(reverse("community:room", args=[network.slug])))
    assert text.index("Old but pinned") < text.index("Quiet topic") < text.index(busy.title)


def test_a_room_is_paginated_by_twenty(client, amina, network, settings):
    for n in range(21):
        Topic.objects.create(room=network, title=f"Topic {n:02d}", author=amina)
    client.force_login(amina.user)
    first = page_text(client.get(reverse("community:room", args=[network.slug])))
    second = page_text(client.get(reverse("community:room", args=[network.slug]) + "?page=2"))
    assert first.count('class="card topic-card"') == 20
    assert second.count('class="card topic-card"') == 1
    assert "Page 1 of 2" in first


def test_room_and_topic_pages_use_a_fixed_number_of_queries(
    client, amina, tendai, network, django_assert_max_num_queries, unlimited
):
    make_visible(tendai)
    conversations = [topic(amina, title=f"Topic {n}") for n in range(3)]
    for conversation in conversations:
        reply(tendai, conversation)
    client.force_login(amina.user)
    room_url = reverse("community:room", args=[network.slug])
    topic_url = reverse("community:topic", args=[conversations[0].pk])
    # 8: the session, the user, the member (members.language, the view reuses it), the page's own
    # reads (a list page reads its count, its page's keys, then those rows:
    # selectors.KeysFirstPaginator).
    with django_assert_max_num_queries(8) as few:
        client.get(room_url)
    # 9 on the topic page: the same, and the reply form's name picker lists the topic's people.
    with django_assert_max_num_queries(9) as few_posts:
        client.get(topic_url)
    for n in range(25):
        Topic.objects.create(room=network, title=f"More {n}", author=tendai)
        reply(tendai, conversations[0], text=f"More {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(room_url)
    with django_assert_max_num_queries(len(few_posts.captured_queries)):
        client.get(topic_url)


# --- topics and posts ---------------------------------------------------------------------------


def test_a_member_starts_a_topic_with_a_tag(client, amina, network):
    health = Tag.objects.create(name="Health", slug="health")
    client.force_login(amina.user)
    form = client.get(reverse("community:topic_create", args=[network.slug]))
    assert "code of conduct" not in page_text(form)
    response = client.post(
        reverse("community:topic_create", args=[network.slug]),
        {"title": "Clinics in Kisumu", "text": "Who knows **one**?", "tag": health.pk},
    )
    created = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("community:topic", args=[created.pk])
    page = page_text(client.get(response["Location"]))
    assert "Clinics in Kisumu" in page and "<strong>one</strong>" in page and "Health" in page


def test_the_first_post_asks_for_the_code_of_conduct_and_keeps_the_text(client, newcomer, network):
    client.force_login(newcomer.user)
    url = reverse("community:topic_create", args=[network.slug])
    assert "Our code of conduct" in page_text(client.get(url))
    response = client.post(url, {"title": "Hello all", "text": "My long first message"})
    assert response.status_code == 200
    assert not Topic.objects.exists()
    text = page_text(response)
    assert "Please accept the code of conduct to post." in text
    assert "My long first message" in text and 'value="Hello all"' in text

    response = client.post(
        url, {"title": "Hello all", "text": "My long first message", "accept_conduct": "on"}
    )
    assert response.status_code == 302
    assert "wait for a moderator" in page_text(client.get(response["Location"]))


def test_a_reply_lands_on_the_last_page_of_the_topic(client, amina, tendai, unlimited):
    conversation = topic(amina)
    for n in range(30):
        reply(amina, conversation, text=f"Reply {n}")
    client.force_login(tendai.user)
    response = client.post(
        reverse("community:topic", args=[conversation.pk]), {"text": "The thirty-second post"}
    )
    post = Post.objects.get(text="The thirty-second post")
    assert response["Location"].endswith(f"?page=2#post-{post.pk}")
    second = page_text(client.get(response["Location"]))
    assert "The thirty-second post" in second and "Reply 29" in second
    assert "Reply 28" not in second
    first = page_text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert first.count('class="card post') == 30


def test_the_rate_limit_answers_429_and_keeps_the_text(client, newcomer, amina):
    conversation = topic(amina)
    client.force_login(newcomer.user)
    url = reverse("community:topic", args=[conversation.pk])
    for n in range(services.NEW_MEMBER_POST_LIMITS[0].amount):
        client.post(url, {"text": f"Post {n}", "accept_conduct": "on"})
    response = client.post(url, {"text": "Kept words"})
    assert response.status_code == 429
    assert "Kept words" in page_text(response)


def test_held_posts_show_only_to_their_author(client, newcomer, amina, tendai):
    conversation = topic(amina)
    reply(newcomer, conversation, text="Waiting reply")
    held_topic = topic(newcomer, title="Waiting topic")
    url = reverse("community:topic", args=[conversation.pk])

    client.force_login(tendai.user)
    assert "Waiting reply" not in page_text(client.get(url))
    assert client.get(reverse("community:topic", args=[held_topic.pk])).status_code == 404
    room = page_text(client.get(reverse("community:room", args=[conversation.room.slug])))
    assert "Waiting topic" not in room

    client.force_login(newcomer.user)
    own = page_text(client.get(url))
    assert "Waiting reply" in own and "only you see this" in own
    assert "Waiting topic" in page_text(
        client.get(reverse("community:room", args=[conversation.room.slug]))
    )


def test_hidden_posts_and_topics_show_to_nobody(client, amina, tendai):
    conversation = topic(amina, title="Stays")
    hidden_reply = reply(tendai, conversation, text="Rude words")
    services.post_set_hidden(post=hidden_reply, hidden=True, moderator=None)
    gone = topic(tendai, title="Gone topic")
    services.post_set_hidden(post=gone.posts.get(), hidden=True, moderator=None)
    for viewer in (amina, tendai):
        client.force_login(viewer.user)
        assert "Rude words" not in page_text(
            client.get(reverse("community:topic", args=[conversation.pk]))
        )
        assert client.get(reverse("community:topic", args=[gone.pk])).status_code == 404
        room = page_text(client.get(reverse("community:room", args=[conversation.room.slug])))
        assert "Gone topic" not in room
    # Nor can its author still edit, delete or see the image of a hidden post.
    assert client.get(reverse("community:post_edit", args=[hidden_reply.pk])).status_code == 404


def test_an_author_links_to_their_profile_only_when_the_directory_shows_them(client, amina, tendai):
    conversation = topic(amina)
    reply(tendai, conversation)
    amina_link = reverse("members:directory_profile", args=[amina.pk])
    tendai_link = reverse("members:directory_profile", args=[tendai.pk])
    make_visible(tendai)
    client.force_login(amina.user)
    text = page_text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert f'href="{tendai_link}"' in text
    # Amina is hidden from the directory: her name shows, unlinked, to others...
    assert "Amina Otieno" in text
    client.force_login(tendai.user)
    text = page_text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert "Amina Otieno" in text and f'href="{amina_link}"' not in text


def test_a_former_members_post_shows_no_name(client, amina, tendai):
    conversation = topic(tendai)
    reply(amina, conversation, text="Words of a leaver")
    member_services.participant_delete_account(participant=amina)
    client.force_login(tendai.user)
    text = page_text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert "Words of a leaver" in text and "a former member" in text
    assert "Amina" not in text


# --- editing and deleting -----------------------------------------------------------------------


def test_the_author_edits_their_post_within_the_window(client, amina):
    conversation = topic(amina, title="Title", text="First words")
    post = conversation.posts.get()
    client.force_login(amina.user)
    assert 'href="{}"'.format(reverse("community:post_edit", args=[post.pk])) in page_text(
        client.get(reverse("community:topic", args=[conversation.pk]))
    )
    response = client.post(
        reverse("community:post_edit", args=[post.pk]),
        {"title": "Better title", "text": "Better words"},
    )
    assert response.status_code == 302
    text = page_text(client.get(reverse("community:topic", args=[conversation.pk])))
    assert "Better title" in text and "Better words" in text and "edited" in text


def test_another_member_cannot_edit_or_delete_my_post(client, amina, tendai):
    post = topic(amina, text="Mine").posts.get()
    client.force_login(tendai.user)
    assert client.get(reverse("community:post_edit", args=[post.pk])).status_code == 404
    edit = client.post(reverse("community:post_edit", args=[post.pk]), {"text": "Theirs"})
    assert edit.status_code == 404
    delete = client.post(reverse("community:post_delete", args=[post.pk]))
    assert delete.status_code == 404
    assert Post.objects.get(pk=post.pk).text == "Mine"


def test_editing_after_the_window_is_refused(client, amina):
    post = topic(amina, text="Settled").posts.get()
    Post.objects.filter(pk=post.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=services.EDIT_MINUTES + 1)
    )
    client.force_login(amina.user)
    page = client.get(reverse("community:post_edit", args=[post.pk]))
    assert "can be changed for 30 minutes" in page_text(page)
    response = client.post(reverse("community:post_edit", args=[post.pk]), {"text": "Changed"})
    assert response.status_code == 403
    assert Post.objects.get(pk=post.pk).text == "Settled"


def test_deleting_the_first_post_asks_first_then_hides_the_topic(client, amina, tendai):
    conversation = topic(amina, title="Regretted")
    reply(tendai, conversation)
    post = conversation.posts.get(is_opening=True)
    client.force_login(amina.user)
    confirm = client.get(reverse("community:post_delete", args=[post.pk]))
    assert "removes the whole topic" in page_text(confirm)
    assert Post.objects.filter(pk=post.pk).exists()
    response = client.post(reverse("community:post_delete", args=[post.pk]))
    assert response["Location"] == reverse("community:room", args=[conversation.room.slug])
    client.force_login(tendai.user)
    assert client.get(reverse("community:topic", args=[conversation.pk])).status_code == 404


def test_deleting_a_reply(client, amina, tendai):
    conversation = topic(amina)
    answer = reply(tendai, conversation, text="Second thoughts")
    client.force_login(tendai.user)
    response = client.post(reverse("community:post_delete", args=[answer.pk]))
    assert response["Location"] == reverse("community:topic", args=[conversation.pk])
    assert "Second thoughts" not in page_text(client.get(response["Location"]))


# --- search -------------------------------------------------------------------------------------


def test_search_is_accent_insensitive_and_finds_titles_and_replies(client, amina, tendai):
    conversation = topic(amina, title="Santé publique à Abidjan", text="Bonjour")
    reply(tendai, conversation, text="Le programme de Gestión ambiental")
    client.force_login(tendai.user)
    for words, expected in (("sante", "Santé publique"), ("GESTION ambiental", "Gestión")):
        response = client.get(reverse("community:search"), {"q": words})
        assert expected in page_text(response), words
        assert "1 post found" in page_text(response)


def test_search_leaves_out_hidden_and_held_posts(client, amina, tendai, newcomer):
    conversation = topic(amina, title="Water")
    reply(newcomer, conversation, text="zebra held")
    hidden = reply(tendai, conversation, text="zebra hidden")
    services.post_set_hidden(post=hidden, hidden=True, moderator=None)
    gone = topic(tendai, title="Gone", text="zebra in a hidden topic")
    services.post_set_hidden(post=gone.posts.get(), hidden=True, moderator=None)
    reply(amina, gone, text="zebra reply in a hidden topic")
    reply(tendai, conversation, text="zebra shown")
    # Not even their author finds a held post in search (search shows what everyone reads).
    client.force_login(newcomer.user)
    text = page_text(client.get(reverse("community:search"), {"q": "zebra"}))
    assert "1 post found" in text
    assert re.findall(r"zebra \w+", text) == ["zebra shown"]


def test_search_links_authors_only_when_the_directory_shows_them(client, amina, tendai):
    topic(amina, title="Findme one")
    topic(tendai, title="Findme two")
    make_visible(tendai)
    client.force_login(amina.user)
    text = page_text(client.get(reverse("community:search"), {"q": "findme"}))
    assert f'href="{reverse("members:directory_profile", args=[tendai.pk])}"' in text
    client.force_login(tendai.user)
    text = page_text(client.get(reverse("community:search"), {"q": "findme"}))
    assert f'href="{reverse("members:directory_profile", args=[amina.pk])}"' not in text


def test_search_is_paginated_and_keeps_the_words(client, amina, unlimited):
    conversation = topic(amina, title="Pagination")
    for n in range(21):
        reply(amina, conversation, text=f"needle {n}")
    client.force_login(amina.user)
    text = page_text(client.get(reverse("community:search"), {"q": "needle"}))
    assert "21 posts found" in text and "?q=needle&amp;page=2" in text


# --- the member's home page and the navigation --------------------------------------------------


def test_the_home_page_shows_the_latest_topics_of_followed_rooms(client, amina, tendai):
    uganda = branch("Uganda", ["UG"])
    topic(tendai, title="In the network room")
    topic(tendai, room=uganda.room, title="In a room Amina does not follow")
    client.force_login(amina.user)
    text = page_text(client.get(reverse("members:home")))
    assert "In the rooms you follow" in text
    assert "In the network room" in text
    assert "In a room Amina does not follow" not in text
    assert f'href="{reverse("community:rooms")}"' in text


def test_the_navigation_links_the_community_for_logged_in_people_only(client, amina):
    assert reverse("community:rooms") not in page_text(client.get(reverse("home")))
    client.force_login(amina.user)
    assert reverse("community:rooms") in page_text(client.get(reverse("home")))


def test_member_pages_stay_small(client, amina, tendai, unlimited):
    conversation = topic(amina, text="A question of a few words. " * 10)
    for n in range(29):
        reply(tendai, conversation, text=f"An answer of a few words, number {n}. " * 5)
    client.force_login(amina.user)
    response = client.get(reverse("community:topic", args=[conversation.pk]))
    # A full page of 30 posts stays near the portal's 5 to 15 KB member pages (uncompressed).
    assert len(response.content) < 20_000
