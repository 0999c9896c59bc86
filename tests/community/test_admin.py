"""The community in the back office: a branch's room comes with the branch, and the moderation
actions go through the services."""

import pytest
from django.urls import reverse

from community.models import Branch
from community.models import Post
from community.models import RoomFollow
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_creating_a_branch_in_the_admin_makes_its_room_followed_by_its_members(
    admin_client, network
):
    ugandan = MemberFactory(home_country="UG")
    committee = MemberFactory(home_country="UG")
    response = admin_client.post(
        reverse("admin:community_branch_add"),
        {"name": "Uganda", "slug": "uganda", "countries": ["UG"], "committee": [committee.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    branch = Branch.objects.get()
    assert list(branch.committee.all()) == [committee]
    assert RoomFollow.objects.filter(participant=ugandan, room=branch.room).exists()


def test_a_committee_is_made_of_members_only(admin_client, network):
    from tests.members.factories import ParticipantFactory

    not_registered = ParticipantFactory(home_country="UG")
    response = admin_client.post(
        reverse("admin:community_branch_add"),
        {"name": "Uganda", "slug": "uganda", "countries": ["UG"], "committee": [not_registered.pk]},
    )
    assert response.status_code == 200
    assert not Branch.objects.exists()


def test_the_admin_lists_open_for_staff(admin_client, amina):
    conversation = topic(amina)
    for name in ("branch", "room", "tag", "topic", "post"):
        assert admin_client.get(reverse(f"admin:community_{name}_changelist")).status_code == 200
    assert (
        admin_client.get(
            reverse("admin:community_post_changelist")
            + f"?topic__room__id__exact={conversation.room_id}&status__exact=visible"
        ).status_code
        == 200
    )


def test_approve_hide_and_restore_actions(admin_client, admin_user, amina, newcomer):
    conversation = topic(amina)
    held = reply(newcomer, conversation)
    url = reverse("admin:community_post_changelist")

    admin_client.post(url, {"action": "approve", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.status == Post.Status.VISIBLE and held.moderated_by == admin_user

    admin_client.post(url, {"action": "hide", "_selected_action": [held.pk]})
    assert Post.objects.get(pk=held.pk).status == Post.Status.HIDDEN
    conversation.refresh_from_db()
    assert conversation.reply_count == 0

    admin_client.post(url, {"action": "restore", "_selected_action": [held.pk]})
    assert Post.objects.get(pk=held.pk).status == Post.Status.VISIBLE
