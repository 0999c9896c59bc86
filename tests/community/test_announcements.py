"""Branch announcements: written by the branch's committee (or staff), previewed with the number
of recipients, confirmed, queued on the bulk sender as the `branch_announcement` stream and sent
(eagerly here) in each recipient's language, from "Norec Network <branch>", with one-click
unsubscribe from announcements alone; the audit log records who sent what to how many."""

import pytest
from django.test import Client
from django.urls import reverse

from community import announcements
from community.models import Announcement
from community.models import AnnouncementMessage
from community.models import CommunityMember
from core import outbound
from core.outbound_model import OutboundStatus
from members import services as member_services
from members.models import Participant
from members.models import StaffAction
from tests.community.factories import branch
from tests.community.factories import regular_member
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db

SUBJECT = "Meeting at Tom's & <friends>"
BODY = "Dear all,\n\nWe meet on Friday at 5 & bring 'snacks' <please>.\n\nOkello"


@pytest.fixture
def uganda(network):
    return branch("Uganda", ["UG"])


@pytest.fixture
def okello(uganda):
    member = regular_member(first_name="Okello", home_country="UG")
    uganda.committee.add(member)
    return member


@pytest.fixture
def branch_members(uganda, okello):
    """Who gets it (Okello, Grace in French) and who does not (Kenya, unregistered, a bounced
    address, someone who left announcements)."""
    grace = MemberFactory(first_name="Grace", home_country="UG", preferred_language="fr")
    MemberFactory(first_name="Kamau", home_country="KE")
    ParticipantFactory(first_name="Roster", home_country="UG")  # never registered
    MemberFactory(first_name="Bounced", home_country="UG", email_status="bounced")
    left = MemberFactory(first_name="Left", home_country="UG")
    announcements.announcements_unsubscribe(participant_pk=left.pk)
    return {"okello": okello, "grace": grace}


def text(response) -> str:
    return response.content.decode()


def url(branch_):
    return reverse("community:announcement_create", args=[branch_.slug])


def test_the_recipients_are_the_branchs_registered_members_with_a_working_address(
    uganda, branch_members
):
    names = set(announcements.branch_recipients(uganda).values_list("first_name", flat=True))
    assert names == {"Okello", "Grace"}


def test_preview_shows_the_count_and_the_sender_then_confirm_sends(
    client, uganda, branch_members, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(branch_members["okello"].user)
    assert client.get(url(uganda)).status_code == 200

    preview = client.post(url(uganda), {"step": "preview", "subject": SUBJECT, "body": BODY})

    page = text(preview)
    assert "Send to 2 members" in page
    assert "Norec Network Uganda" in page
    assert not Announcement.objects.exists()  # a preview sends nothing

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url(uganda), {"step": "send", "subject": SUBJECT, "body": BODY})

    assert sent.status_code == 302
    announcement = Announcement.objects.get()
    assert announcement.recipient_count == 2
    assert announcement.status == Announcement.Status.SENT
    assert set(announcement.messages.values_list("status", flat=True)) == {OutboundStatus.SENT}
    assert len(mailoutbox) == 2
    by_address = {message.to[0]: message for message in mailoutbox}
    to_grace = by_address[branch_members["grace"].address_of_record]
    assert to_grace.from_email == "Norec Network Uganda <network@norec.no>"
    assert to_grace.subject == SUBJECT  # not HTML-escaped
    assert BODY in to_grace.body  # the text as written
    assert "Bonjour Grace," in to_grace.body  # the frame in her language
    assert "Hello Okello," in by_address[branch_members["okello"].address_of_record].body
    html = to_grace.alternatives[0][0]
    assert "5 &amp; bring" in html and "<please>" not in html
    unsubscribe = to_grace.extra_headers["List-Unsubscribe"]
    assert (
        unsubscribe.startswith("<http") and "/community/announcements/unsubscribe/" in unsubscribe
    )
    assert to_grace.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    entry = StaffAction.objects.get(kind=announcements.AUDIT_ANNOUNCEMENT)
    assert entry.actor == branch_members["okello"].user
    assert entry.affected_count == 2
    assert "Meeting at Tom's" in entry.summary_shown


def test_the_request_only_queues_the_worker_sends_within_the_streams_pace(
    uganda, branch_members, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks() as callbacks:
        announcement = announcements.announcement_send(
            branch=uganda, subject="Hi", body="Text", user=branch_members["okello"].user
        )
    assert len(callbacks) == 1  # the worker's preparation, after commit
    assert mailoutbox == []
    assert announcement.status == Announcement.Status.PREPARING
    assert announcement.recipient_count == 2
    assert not announcement.messages.exists()  # nothing the branch's size inside the request
    prepare_all(announcements.STREAM, announcement.pk)
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.SENDING
    assert announcement.messages.filter(status=OutboundStatus.PENDING).count() == 2
    (campaign,) = [
        c
        for c in outbound.get_stream(announcements.STREAM).active_campaigns(None)
        if c.id == announcement.pk
    ]
    assert campaign.rate_per_hour == announcements.RATE_PER_HOUR


def test_a_member_who_left_announcements_after_queueing_is_skipped(
    uganda, branch_members, mailoutbox
):
    announcement = announcements.announcement_send(
        branch=uganda, subject="Hi", body="Text", user=branch_members["okello"].user
    )
    prepare_all(announcements.STREAM, announcement.pk)
    announcements.announcements_unsubscribe(participant_pk=branch_members["grace"].pk)

    outbound.send_batch(stream_name=announcements.STREAM, campaign_id=announcement.pk)

    assert [message.to[0] for message in mailoutbox] == [branch_members["okello"].address_of_record]
    skipped = AnnouncementMessage.objects.get(participant=branch_members["grace"])
    assert skipped.status == OutboundStatus.SKIPPED


def test_bad_input_is_shown_next_to_its_field_and_kept(client, uganda, okello):
    client.force_login(okello.user)
    response = client.post(url(uganda), {"step": "preview", "subject": "", "body": "Kept text"})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert "Kept text" in text(response)
    assert not Announcement.objects.exists()


# --- who may not --------------------------------------------------------------------------------


def test_only_the_branchs_committee_and_staff_may_announce(client, uganda, okello, admin_user):
    kenya = branch("Kenya", ["KE"])
    plain = regular_member(home_country="UG")
    client.force_login(okello.user)
    assert client.get(url(kenya)).status_code == 404
    assert client.post(url(kenya), {"step": "send", "subject": "x", "body": "y"}).status_code == 404
    client.force_login(plain.user)
    assert client.get(url(uganda)).status_code == 404
    assert (
        client.post(url(uganda), {"step": "send", "subject": "x", "body": "y"}).status_code == 404
    )
    client.logout()
    assert (
        client.post(url(uganda), {"step": "send", "subject": "x", "body": "y"}).status_code == 302
    )
    assert not Announcement.objects.exists()
    client.force_login(admin_user)
    assert client.get(url(kenya)).status_code == 200
    with pytest.raises(PermissionError):
        announcements.announcement_send(branch=kenya, subject="x", body="y", user=okello.user)


# --- unsubscribe (RFC 8058) ---------------------------------------------------------------------


def test_one_click_unsubscribe_leaves_announcements_alone(uganda, branch_members):
    grace = branch_members["grace"]
    link = reverse(
        "community:announcements_unsubscribe", args=[announcements.unsubscribe_token(grace.pk)]
    )
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)  # a mail scanner's visit changes nothing
    assert page.status_code == 200
    assert not announcements.is_unsubscribed(participant_pk=grace.pk)

    response = browser.post(link, "List-Unsubscribe=One-Click", content_type="text/plain")

    assert response.status_code == 200
    assert announcements.is_unsubscribed(participant_pk=grace.pk)
    assert CommunityMember.objects.get(participant=grace).digest == CommunityMember.Digest.WEEKLY
    assert Participant.objects.get(pk=grace.pk).newsletter_subscribed
    assert "Grace" not in set(
        announcements.branch_recipients(uganda).values_list("first_name", flat=True)
    )


def test_a_forged_token_unsubscribes_nobody(client, uganda, branch_members):
    grace = branch_members["grace"]
    forged = f"{grace.pk}-{'0' * 32}"
    response = client.post(reverse("community:announcements_unsubscribe", args=[forged]))
    assert response.status_code == 404
    assert not announcements.is_unsubscribed(participant_pk=grace.pk)


def test_an_erased_member_is_not_mailed(uganda, branch_members, mailoutbox):
    announcement = announcements.announcement_send(
        branch=uganda, subject="Hi", body="Text", user=branch_members["okello"].user
    )
    prepare_all(announcements.STREAM, announcement.pk)
    member_services.participant_mark_email_status(
        participant=branch_members["grace"], status=Participant.EmailStatus.BOUNCED
    )
    outbound.send_batch(stream_name=announcements.STREAM, campaign_id=announcement.pk)
    assert len(mailoutbox) == 1
