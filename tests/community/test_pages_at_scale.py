"""The community's pages at any size (issue 13's benchmark, bench/bench_community.py): the same
number of queries with 3 or 30 rooms, topics, posts, authors and search hits; a deep page read by
its keys first; the reply form's name picker bounded; a search for a common word counted only so
far; rendered posts reused without ever showing stale or wrongly linked text."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community import mentions
from community import services
from community import views
from community.models import Topic
from members import services as member_services
from members.models import Participant
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic

pytestmark = pytest.mark.django_db


def visible(participant):
    member_services.participant_update_profile(
        participant=participant, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    return participant


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def authors(network):
    """30 members, one in three shown by the directory (their names link to their profiles)."""
    people = [regular_member(first_name=f"Author{n:02d}") for n in range(30)]
    for person in people[::3]:
        visible(person)
    return people


def test_the_room_list_costs_the_same_with_3_or_30_rooms(
    client, amina, network, django_assert_num_queries
):
    for n in range(2):
        branch(f"Branch {n}", ["KE"], slug=f"branch-{n}")
    client.force_login(amina.user)
    url = reverse("community:rooms")
    few = queries(client, url)
    for n in range(2, 29):
        branch(f"Branch {n}", ["KE"], slug=f"branch-{n}")
    with django_assert_num_queries(few):
        text = client.get(url).content.decode()
    assert text.count("room-card") == 30


def test_a_room_costs_the_same_with_3_or_30_topics_on_any_page(
    client, amina, authors, network, django_assert_num_queries, unlimited
):
    for n in range(3):
        topic(authors[n], title=f"Topic {n}")
    client.force_login(amina.user)
    url = reverse("community:room", args=[network.slug])
    few = queries(client, url)
    for n in range(3, 45):
        topic(authors[n % 30], title=f"Topic {n}")
    for page in ("", "?page=2", "?page=3"):
        with django_assert_num_queries(few):
            text = client.get(url + page).content.decode()
        assert text.count('class="card topic-card"') == (5 if page == "?page=3" else 20)
    # The keys-first page keeps the order: the newest activity first, page after page.
    last = client.get(url + "?page=3").content.decode()
    assert re.findall(r"Topic (\d+)</a>", last) == ["4", "3", "2", "1", "0"]


def test_a_topic_costs_the_same_with_3_or_30_posts_by_as_many_authors(
    client, amina, authors, django_assert_num_queries, unlimited
):
    conversation = topic(amina, title="Busy")
    for n in range(2):
        reply(authors[n], conversation, text=f"Reply {n}")
    client.force_login(amina.user)
    url = reverse("community:topic", args=[conversation.pk])
    few = queries(client, url)
    for n in range(2, 61):
        reply(authors[n % 30], conversation, text=f"Reply {n}")
    for page in ("", "?page=2", "?page=3"):
        with django_assert_num_queries(few):
            text = client.get(url + page).content.decode()
        assert text.count('class="card post') == (2 if page == "?page=3" else 30)
    # The last page holds the last reply, and page 2 the 30 before it, in order.
    assert "Reply 60" in text
    middle = client.get(url + "?page=2").content.decode()
    assert re.findall(r"<p>Reply (\d+)</p>", middle) == [str(n) for n in range(29, 59)]


def test_search_costs_the_same_with_3_or_30_hits(
    client, amina, authors, django_assert_num_queries, unlimited
):
    conversation = topic(amina, title="Wells")
    for n in range(3):
        reply(authors[n], conversation, text=f"borehole {n}")
    client.force_login(amina.user)
    url = reverse("community:search") + "?q=borehole"
    few = queries(client, url)
    for n in range(3, 30):
        reply(authors[n], conversation, text=f"borehole {n}")
    with django_assert_num_queries(few):
        text = client.get(url).content.decode()
    assert "30 posts found" in text and text.count("#post-") == 20


def test_a_search_for_a_common_word_counts_only_so_far(client, amina, monkeypatch, unlimited):
    monkeypatch.setattr(views, "SEARCH_RESULTS_COUNTED", 5)
    monkeypatch.setattr(views, "SEARCH_RESULTS_PER_PAGE", 2)
    conversation = topic(amina, title="Rain")
    for n in range(7):
        reply(amina, conversation, text=f"maize {n}")
    client.force_login(amina.user)
    text = client.get(reverse("community:search"), {"q": "maize"}).content.decode()
    assert "More than 5 posts found: add a word to find fewer." in text
    assert "Page 1 of 3" in text
    # Exactly as many as counted: the plain count.
    monkeypatch.setattr(views, "SEARCH_RESULTS_COUNTED", 7)
    text = client.get(reverse("community:search"), {"q": "maize"}).content.decode()
    assert "7 posts found" in text and "More than" not in text


def test_the_name_picker_offers_the_latest_people_yet_accepts_earlier_ones(
    client, amina, authors, monkeypatch, unlimited
):
    monkeypatch.setattr(mentions, "MAX_OFFERED", 5)
    conversation = topic(amina, title="Many people")
    for person in authors[:12]:
        reply(person, conversation, text=f"From {person.first_name}")
    client.force_login(amina.user)
    url = reverse("community:topic", args=[conversation.pk])
    page = client.get(url).content.decode()
    offered = re.findall(r'name="mention" value="(\d+)"', page)
    assert sorted(int(pk) for pk in offered) == sorted(person.pk for person in authors[7:12])
    # Someone who took part earlier is not listed but may still be ticked (a "Find" result).
    early = authors[1]  # not in the directory: only taking part makes them mentionable
    assert early.directory_visibility != Participant.Visibility.MEMBERS
    response = client.post(url, {"text": "Thanks to you", "mention": [str(early.pk)]})
    assert response.status_code == 302
    post = conversation.posts.get(text="Thanks to you")
    assert list(post.mentions.values_list("participant_id", flat=True)) == [early.pk]


def test_the_name_picker_keeps_a_ticked_name_ticked(client, amina, tendai):
    conversation = topic(amina)
    reply(tendai, conversation)
    client.force_login(amina.user)
    response = client.post(
        reverse("community:topic", args=[conversation.pk]),
        {"text": "Half", "mention": [str(tendai.pk)], "mention_search": "", "find_mentions": "1"},
    )
    page = response.content.decode()
    box = re.search(rf'<input type="checkbox" name="mention" value="{tendai.pk}"[^>]*>', page)
    assert box is not None and "checked" in box.group(0)
    box_id = re.search(r'id="(id_mention_\d+)"', box.group(0)).group(1)
    assert f'<label for="{box_id}">' in page


def test_a_rendered_post_never_shows_old_words_or_a_link_it_may_not_have(
    client, amina, newcomer, tendai
):
    text = "Read [the guide](https://example.org/guide)"
    conversation = topic(amina, title="Guides", text=text)
    reply(newcomer, conversation, text=text)  # held: a new member's links stay plain text
    client.force_login(newcomer.user)
    url = reverse("community:topic", args=[conversation.pk])
    page = client.get(url).content.decode()
    assert page.count('href="https://example.org/guide"') == 1
    assert page.count("the guide") == 2
    # Amina edits her post: the page shows the new words at once.
    opening = conversation.posts.get(is_opening=True)
    services.post_edit(participant=amina, post=opening, text="New words", title="Guides")
    page = client.get(url).content.decode()
    assert "New words" in page and page.count('href="https://example.org/guide"') == 0


def test_hidden_and_held_topics_are_left_out_of_the_count_and_pages(
    client, amina, newcomer, tendai, network
):
    topic(amina, title="Shown")
    topic(newcomer, title="Held")
    gone = topic(tendai, title="Gone")
    services.post_set_hidden(post=gone.posts.get(), hidden=True, moderator=None)
    assert Topic.objects.filter(room=network).count() == 3
    client.force_login(amina.user)
    text = client.get(reverse("community:room", args=[network.slug])).content.decode()
    assert re.findall(r'class="card topic-card">\s*<h2><a[^>]*>([^<]+)</a>', text) == ["Shown"]
