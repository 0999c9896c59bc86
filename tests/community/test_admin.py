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
from tests.support.preparing import prepare_all

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


# --- the moderation queue (reports), announcements and digest deliveries ------------------------


def _staff_with(*codenames):
    from django.contrib.auth.models import Permission

    from tests.members.factories import StaffUserFactory

    user = StaffUserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="community", codename__in=codenames)
    )
    return user


@pytest.fixture
def reported(amina, tendai):
    from community import moderation

    conversation = topic(amina, title="Reported topic")
    post = reply(amina, conversation, text="Something rude")
    moderation.report_create(post=post, participant=tendai, reason="Rude words")
    return post


def test_the_report_queue_filters_by_state_room_and_post_status(
    admin_client, admin_user, reported, amina, tendai
):
    from community import moderation
    from community.models import Report
    from tests.community.factories import branch

    uganda = branch("Uganda", ["UG"])
    elsewhere = reply(amina, topic(amina, room=uganda.room, title="Kampala"), text="Elsewhere")
    settled = moderation.report_create(post=elsewhere, participant=tendai, reason="Off topic")
    moderation.reports_dismiss(post=elsewhere, user=admin_user)
    settled.refresh_from_db()
    assert settled.settled_at is not None
    url = reverse("admin:community_report_changelist")

    page = admin_client.get(url, {"state": "open"}).content.decode()
    assert "Rude words" in page and "Off topic" not in page
    page = admin_client.get(url, {"post__topic__room__id__exact": uganda.room.pk}).content.decode()
    assert f"#post-{elsewhere.pk}" in page and f"#post-{reported.pk}" not in page
    page = admin_client.get(url, {"post__status__exact": "hidden"}).content.decode()
    assert "Rude words" not in page
    assert Report.objects.count() == 2


def test_staff_hide_restore_and_dismiss_from_the_report_queue(admin_client, admin_user, reported):
    from community.models import Report
    from members.models import StaffAction

    url = reverse("admin:community_report_changelist")
    report = Report.objects.get(post=reported)

    response = admin_client.post(
        url, {"action": "hide_posts", "_selected_action": [report.pk]}, follow=True
    )
    assert "1 post hidden." in response.content.decode()
    reported.refresh_from_db()
    report.refresh_from_db()
    assert reported.status == Post.Status.HIDDEN and reported.moderated_by == admin_user
    # The moderation service settled the report and wrote the audit log.
    assert report.settled_by == admin_user
    assert StaffAction.objects.filter(actor=admin_user, kind="community_moderation").count() == 1

    admin_client.post(url, {"action": "restore_posts", "_selected_action": [report.pk]})
    assert Post.objects.get(pk=reported.pk).status == Post.Status.VISIBLE

    Report.objects.filter(pk=report.pk).update(settled_at=None, settled_by=None)
    response = admin_client.post(
        url, {"action": "dismiss_reports", "_selected_action": [report.pk]}, follow=True
    )
    assert "Reports on 1 post dismissed." in response.content.decode()
    report.refresh_from_db()
    assert report.settled_by == admin_user
    assert Post.objects.get(pk=reported.pk).status == Post.Status.VISIBLE


def test_staff_without_the_post_permission_cannot_hide_from_the_report_queue(client, reported):
    from community.models import Report

    reader = _staff_with("view_report", "change_report")
    client.force_login(reader)
    url = reverse("admin:community_report_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="hide_posts"' not in page.content.decode()
    assert 'value="dismiss_reports"' in page.content.decode()

    report = Report.objects.get(post=reported)
    client.post(url, {"action": "hide_posts", "_selected_action": [report.pk]})
    assert Post.objects.get(pk=reported.pk).status == Post.Status.VISIBLE
    report.refresh_from_db()
    assert report.settled_at is None


def test_staff_who_may_only_read_reports_cannot_dismiss_them(client, reported):
    from community.models import Report

    client.force_login(_staff_with("view_report"))
    url = reverse("admin:community_report_changelist")
    report = Report.objects.get(post=reported)
    client.post(url, {"action": "dismiss_reports", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.settled_at is None


def test_a_member_gets_no_report_queue_in_the_admin(client, reported):
    from tests.members.factories import MemberFactory

    client.force_login(MemberFactory().user)
    for name in ("report", "announcement", "digestdelivery"):
        response = client.get(reverse(f"admin:community_{name}_changelist"), follow=True)
        assert response.status_code == 403
        assert "Rude words" not in response.content.decode()


def test_announcements_and_digest_deliveries_are_read_only_with_progress(
    admin_client, admin_user, amina
):
    from community import announcements
    from community.models import Announcement
    from community.models import AnnouncementMessage
    from community.models import DigestDelivery
    from tests.community.factories import branch

    uganda = branch("Uganda", ["UG"])
    from tests.community.factories import regular_member

    regular_member(home_country="UG")
    regular_member(home_country="UG")
    announcement = announcements.announcement_send(
        branch=uganda, subject="Meeting in Kampala", body="Come!", user=admin_user
    )
    prepare_all(announcements.STREAM, announcement.pk)  # what the worker does next
    assert announcement.messages.count() == 2
    AnnouncementMessage.objects.filter(pk=announcement.messages.first().pk).update(status="sent")

    page = admin_client.get(
        reverse("admin:community_announcement_change", args=[announcement.pk])
    ).content.decode()
    assert "Meeting in Kampala" in page
    assert "waiting to be sent: 1 · sent: 1" in page
    assert 'name="subject"' not in page  # read-only
    assert admin_client.get(reverse("admin:community_announcement_add")).status_code == 403
    assert Announcement.objects.count() == 1

    now = "2026-03-02T00:00:00Z"
    DigestDelivery.objects.create(
        participant=amina, frequency="weekly", since=now, until=now, status="bounced"
    )
    url = reverse("admin:community_digestdelivery_changelist")
    assert f">{amina}<" in admin_client.get(url, {"status__exact": "bounced"}).content.decode()
    assert f">{amina}<" not in admin_client.get(url, {"status__exact": "sent"}).content.decode()
