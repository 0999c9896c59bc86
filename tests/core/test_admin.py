"""The log of one-off mails in the back office: staff see what went to whom, when, and what
became of it, on its own page and on the person's page; never a contact message's text, nor a
reset link."""

import pytest
from allauth.account.adapter import get_adapter
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import OutgoingMail
from members import services as member_services
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.support.roles import staff_group

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:core_outgoingmail_changelist"
SECRET_BODY = "My private telephone is 555-0199, call after six."
SECRET_LINK = "https://network.example/accounts/password/reset/key/7-secret-token/"


@pytest.fixture
def adviser_client(client):
    adviser = StaffUserFactory()
    adviser.groups.add(staff_group("Network advisers"))
    client.force_login(adviser)
    return client


@pytest.fixture
def contact(django_capture_on_commit_callbacks):
    """A contact message relayed (and sent) to Kofi."""
    reader = MemberFactory(first_name="Kofi", email="kofi@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        member_services.contact_message_send(
            sender=MemberFactory(), recipient=reader, subject="Call me", body=SECRET_BODY
        )
    row = OutgoingMail.objects.get(template="emails/members/contact_message")
    assert row.status == "sent"
    return row


@pytest.fixture
def reset(rf):
    """A password reset not yet sent: its row still holds the link."""
    member = MemberFactory(email="amina@example.org")
    get_adapter(rf.get("/")).send_mail(
        "account/email/password_reset_key",
        "amina@example.org",
        {"user": member.user, "password_reset_url": SECRET_LINK},
    )
    return OutgoingMail.objects.get(template="account/email/password_reset_key")


def test_the_log_lists_each_mail_with_what_when_and_status(adviser_client, contact, reset):
    response = adviser_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    page = response.content.decode()
    assert "members/contact_message" in page and "password_reset_key" in page
    assert "kofi@example.org" in page and "amina@example.org" in page
    assert set(response.context["cl"].result_list) == {contact, reset}


def test_the_log_filters_by_status_and_template_and_finds_an_address(
    adviser_client, contact, reset
):
    def listed(query: dict) -> set:
        response = adviser_client.get(reverse(CHANGELIST), query)
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert listed({"status__exact": "sent"}) == {contact}
    assert listed({"status__exact": "pending"}) == {reset}
    assert listed({"template": "account/email/password_reset_key"}) == {reset}
    assert listed({"q": "kofi@"}) == {contact}


def test_neither_the_log_nor_a_mail_shows_a_contact_message_or_a_reset_link(
    adviser_client, contact, reset
):
    pages = [
        adviser_client.get(reverse(CHANGELIST)),
        adviser_client.get(reverse("admin:core_outgoingmail_change", args=[contact.pk])),
        adviser_client.get(reverse("admin:core_outgoingmail_change", args=[reset.pk])),
    ]

    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert "555-0199" not in page and "Call me" not in page
        assert "7-secret-token" not in page


def test_the_persons_page_lists_their_mails_without_a_contact_messages_text(
    adviser_client, contact
):
    response = adviser_client.get(
        reverse("admin:members_participant_change", args=[contact.participant_id])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Mails sent to this person" in page
    assert "members/contact_message" in page
    assert "555-0199" not in page and "Call me" not in page


def test_staff_without_the_mail_log_do_not_see_it_on_the_persons_page(client, contact):
    staff = StaffUserFactory()
    staff.user_permissions.add(
        *staff_group("Network advisers").permissions.exclude(codename="view_outgoingmail")
    )
    client.force_login(staff)

    response = client.get(
        reverse("admin:members_participant_change", args=[contact.participant_id])
    )

    assert response.status_code == 200
    assert "Mails sent to this person" not in response.content.decode()
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_the_log_is_read_only(adviser_client, contact):
    response = adviser_client.post(
        reverse("admin:core_outgoingmail_change", args=[contact.pk]), {"status": "pending"}
    )

    assert response.status_code == 403
    assert OutgoingMail.objects.get(pk=contact.pk).status == "sent"
    assert adviser_client.get(reverse("admin:core_outgoingmail_add")).status_code == 403


def test_the_log_reads_a_fixed_number_of_queries_whatever_the_page_size(
    adviser_client, django_capture_on_commit_callbacks
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert adviser_client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    with django_capture_on_commit_callbacks(execute=True):
        member_services.contact_message_send(
            sender=MemberFactory(), recipient=MemberFactory(), subject="A", body="a"
        )
    few = queries()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(12):
            member_services.contact_message_send(
                sender=MemberFactory(), recipient=MemberFactory(), subject="B", body="b"
            )

    assert queries() == few
