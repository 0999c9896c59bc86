"""The community's rules, through its services: following, holding a new member's first posts,
the code of conduct, posting rates, editing and deleting one's own posts, moderation, the
counters of a topic, and what "Download my data" and account deletion do."""

import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from community import services
from community.models import Branch
from community.models import CommunityMember
from community.models import Post
from community.models import Room
from community.models import RoomFollow
from community.models import Topic
from members import services as member_services
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def follows(participant) -> set[str]:
    return set(
        RoomFollow.objects.filter(participant=participant).values_list("room__slug", flat=True)
    )


# --- rooms and following ------------------------------------------------------------------------


def test_there_is_one_network_room_only(network):
    assert services.network_room() == network
    with pytest.raises(IntegrityError):
        Room.objects.create(kind=Room.Kind.NETWORK, name="Another", slug="another")


def test_a_branch_room_needs_its_branch_and_the_network_room_none(network):
    with pytest.raises(IntegrityError):
        Room.objects.create(kind=Room.Kind.BRANCH, name="Orphan", slug="orphan")


def test_a_new_member_follows_the_network_room_and_their_home_branch(network):
    uganda = branch("Uganda", ["UG"])
    kenya_and_tanzania = branch("East", ["KE", "TZ"])
    participant = ParticipantFactory(home_country="TZ")

    member_services.participant_create_account(
        participant=participant, email="new@example.org", password=DEFAULT_PASSWORD
    )

    assert follows(participant) == {network.slug, kenya_and_tanzania.room.slug}
    assert uganda.room.slug not in follows(participant)


def test_a_new_branch_is_followed_by_the_members_of_its_countries(network):
    ugandan = MemberFactory(home_country="UG")
    kenyan = MemberFactory(home_country="KE")
    not_registered = ParticipantFactory(home_country="UG")

    uganda = branch("Uganda", ["UG"])

    assert uganda.room.slug in follows(ugandan)
    assert uganda.room.slug not in follows(kenyan)
    assert follows(not_registered) == set()


def test_adding_a_country_to_a_branch_adds_its_members_and_keeps_the_others(network):
    uganda = branch("Uganda", ["UG"])
    ugandan = MemberFactory(home_country="UG")
    kenyan = MemberFactory(home_country="KE")
    uganda.countries = ["UG", "KE"]
    uganda.save()

    room = services.branch_room_ensure(branch=uganda)

    assert room == uganda.room
    assert Room.objects.filter(branch=uganda).count() == 1
    assert room.slug in follows(ugandan) and room.slug in follows(kenyan)


def test_following_and_leaving_a_room(amina, network):
    uganda = branch("Uganda", ["UG"])
    assert services.room_follow(participant=amina, room=uganda.room)
    assert not services.room_follow(participant=amina, room=uganda.room)
    assert services.room_leave(participant=amina, room=uganda.room)
    assert not services.room_leave(participant=amina, room=uganda.room)
    assert uganda.room.slug not in follows(amina)


def test_a_branch_is_found_by_any_of_its_countries(network):
    east = branch("East", ["KE", "TZ"])
    assert services.branch_for_country("TZ") == east
    assert services.branch_for_country("KE") == east
    assert services.branch_for_country("UG") is None
    assert services.branch_for_country("") is None


# --- posting ------------------------------------------------------------------------------------


def test_a_new_members_first_posts_are_held_until_enough_are_approved(newcomer, amina):
    first = topic(newcomer, title="My first topic")
    assert first.held
    assert first.posts.get().status == Post.Status.HELD
    replies = [reply(newcomer, first, text=f"Reply {n}") for n in range(3)]
    assert {post.status for post in replies} == {Post.Status.HELD}

    for post in [first.posts.get(is_opening=True), *replies[:2]]:
        assert services.post_approve(post=post, moderator=None)

    assert CommunityMember.objects.get(participant=newcomer).posts_approved == 3
    assert reply(newcomer, first, text="Now I am trusted").status == Post.Status.VISIBLE


def test_approving_a_held_first_post_shows_its_topic(newcomer):
    held = topic(newcomer)
    assert services.post_approve(post=held.posts.get(), moderator=None)
    held.refresh_from_db()
    assert not held.held
    assert not services.post_approve(post=held.posts.get(), moderator=None)


def test_a_regular_members_posts_are_visible_at_once(amina):
    new = topic(amina)
    assert not new.held
    assert new.posts.get().status == Post.Status.VISIBLE


def test_the_first_post_needs_the_code_of_conduct_accepted(newcomer, network):
    with pytest.raises(services.CommunityRefused) as refused:
        services.topic_create(participant=newcomer, room=network, title="Hi", text="Hello")
    assert refused.value.code == services.CONDUCT_REQUIRED
    assert not Topic.objects.exists()

    services.topic_create(
        participant=newcomer, room=network, title="Hi", text="Hello", accept_conduct=True
    )
    assert CommunityMember.objects.get(participant=newcomer).accepted_conduct_at is not None
    assert not services.needs_conduct(participant=newcomer)
    # Asked once: later posts need no checkbox.
    services.post_reply(participant=newcomer, topic=Topic.objects.get(), text="Again")


def test_posting_is_rate_limited_per_member_and_stricter_for_new_members(newcomer, amina):
    conversation = topic(amina)
    new_limit = services.NEW_MEMBER_POST_LIMITS[0].amount
    for n in range(new_limit):
        reply(newcomer, conversation, text=f"{n}")
    with pytest.raises(services.CommunityRefused) as refused:
        reply(newcomer, conversation, text="one too many")
    assert refused.value.code == services.RATE_LIMITED
    # Another member is not affected, and a regular member may post more than a new one.
    for n in range(new_limit + 1):
        reply(amina, conversation, text=f"amina {n}")


def test_a_regular_member_is_limited_too(amina):
    conversation = topic(amina)
    for n in range(services.POST_LIMITS[0].amount - 1):
        reply(amina, conversation, text=f"{n}")
    with pytest.raises(services.CommunityRefused):
        reply(amina, conversation, text="too many")


def test_replies_count_and_move_the_topic_up(amina, tendai):
    older = topic(amina, title="Older")
    newer = topic(amina, title="Newer")
    reply(tendai, older)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.reply_count == 1
    assert older.last_activity_at > newer.last_activity_at


def test_a_held_reply_neither_counts_nor_moves_the_topic(amina, newcomer):
    conversation = topic(amina)
    before = conversation.last_activity_at
    reply(newcomer, conversation)
    conversation.refresh_from_db()
    assert conversation.reply_count == 0
    assert conversation.last_activity_at == before


# --- editing and deleting one's own posts -------------------------------------------------------


def test_the_author_edits_within_the_window(amina):
    conversation = topic(amina, title="Old title", text="Old text")
    opening = conversation.posts.get()
    services.post_edit(participant=amina, post=opening, text="Nouvelle santé", title="New title")
    opening.refresh_from_db()
    conversation.refresh_from_db()
    assert (conversation.title, opening.text) == ("New title", "Nouvelle santé")
    assert opening.edited_at is not None
    assert "new title" in opening.search_text and "sante" in opening.search_text


def test_nobody_else_edits_or_deletes_a_post(amina, tendai):
    opening = topic(amina).posts.get()
    with pytest.raises(services.CommunityRefused) as refused:
        services.post_edit(participant=tendai, post=opening, text="Mine now")
    assert refused.value.code == services.NOT_YOURS
    with pytest.raises(services.CommunityRefused):
        services.post_delete(participant=tendai, post=opening)
    assert Post.objects.get(pk=opening.pk).text == "What do you think?"


def test_editing_after_the_window_is_refused(amina):
    opening = topic(amina).posts.get()
    Post.objects.filter(pk=opening.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=services.EDIT_MINUTES + 1)
    )
    opening.refresh_from_db()
    assert not services.may_edit(post=opening, participant=amina)
    with pytest.raises(services.CommunityRefused) as refused:
        services.post_edit(participant=amina, post=opening, text="Too late")
    assert refused.value.code == services.EDIT_TOO_LATE


def test_deleting_a_reply_removes_it_and_its_count(amina, tendai):
    conversation = topic(amina)
    answer = reply(tendai, conversation)
    services.post_delete(participant=tendai, post=answer)
    conversation.refresh_from_db()
    assert not Post.objects.filter(pk=answer.pk).exists()
    assert conversation.reply_count == 0 and not conversation.hidden


def test_deleting_the_first_post_hides_the_topic(amina, tendai):
    conversation = topic(amina)
    reply(tendai, conversation)
    services.post_delete(participant=amina, post=conversation.posts.get(is_opening=True))
    conversation.refresh_from_db()
    assert conversation.hidden


# --- moderation ---------------------------------------------------------------------------------


def test_hiding_and_restoring_a_reply_changes_the_count(amina, tendai):
    conversation = topic(amina)
    answer = reply(tendai, conversation)
    assert services.post_set_hidden(post=answer, hidden=True, moderator=None)
    conversation.refresh_from_db()
    assert conversation.reply_count == 0
    assert services.post_set_hidden(post=answer, hidden=False, moderator=None)
    conversation.refresh_from_db()
    assert conversation.reply_count == 1
    # Restoring is for hidden posts only: it never approves a held one.
    held = reply(MemberFactory(), conversation)
    assert not services.post_set_hidden(post=held, hidden=False, moderator=None)
    assert Post.objects.get(pk=held.pk).status == Post.Status.HELD


def test_hiding_a_first_post_hides_its_topic(amina):
    conversation = topic(amina)
    services.post_set_hidden(post=conversation.posts.get(), hidden=True, moderator=None)
    conversation.refresh_from_db()
    assert conversation.hidden


# --- an activity's topic ------------------------------------------------------------------------


def test_an_activity_topic_goes_to_the_branch_of_its_country_else_the_network(network):
    uganda = branch("Uganda", ["UG"])
    in_kampala = services.activity_topic_open(activity_id=7, title="Meeting", country="UG")
    online = services.activity_topic_open(activity_id=8, title="Webinar", country="")
    elsewhere = services.activity_topic_open(activity_id=9, title="In Oslo", country="NO")
    assert in_kampala.room == uganda.room
    assert online.room == network and elsewhere.room == network
    # Once per activity.
    assert services.activity_topic_open(activity_id=7, title="Again", country="UG") == in_kampala
    assert Topic.objects.filter(activity_id=7).count() == 1
    assert in_kampala.posts.get().author is None


# --- personal data ------------------------------------------------------------------------------


def test_download_my_data_holds_the_members_posts_and_rooms(amina, network):
    conversation = topic(amina, title="My topic", text="My words")
    data = services.member_data_export(amina)
    assert data["rooms_followed"] == [network.display_name]
    assert [post["text"] for post in data["posts"]] == ["My words"]
    assert data["posts"][0]["topic"] == conversation.title


def test_a_deleted_account_leaves_its_posts_without_a_name(amina, tendai):
    conversation = topic(amina)
    answer = reply(amina, topic(tendai))
    member_services.participant_delete_account(participant=amina)
    conversation.refresh_from_db()
    answer.refresh_from_db()
    assert conversation.author is None and answer.author is None
    assert not RoomFollow.objects.filter(participant=amina).exists()
    assert not CommunityMember.objects.filter(participant=amina).exists()


def test_a_committee_member_who_deletes_their_account_leaves_the_committee(network):
    member = regular_member(home_country="UG")
    uganda = branch("Uganda", ["UG"])
    uganda.committee.add(member)
    member_services.participant_delete_account(participant=member)
    assert not Branch.objects.get(pk=uganda.pk).committee.exists()
