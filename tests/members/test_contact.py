"""The contact relay: addresses hidden until the recipient replies; rate limit; ownership."""

import pytest
from django.core import mail
from django.urls import reverse

from members import services
from members.models import ContactMessage
from members.models import Participant
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def visible_member(**fields):
    member = MemberFactory(**fields)
    services.participant_update_profile(
        participant=member, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    return member


@pytest.fixture
def sender(client):
    sender = MemberFactory(first_name="Sam", last_name="Sender", email="sam@example.org")
    client.force_login(sender.user)
    return sender


@pytest.fixture
def recipient():
    return visible_member(first_name="Rita", last_name="Recipient", email="rita@example.org")


def send(client, recipient, subject="Malaria project", body="Can we talk about your work?"):
    return client.post(
        reverse("members:directory_contact", args=[recipient.pk]),
        {"subject": subject, "body": body},
    )


def test_the_message_is_relayed_without_either_address(
    client, sender, recipient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, recipient)
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.sender, message.recipient) == (sender, recipient)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["rita@example.org"]
    assert "sam@example.org" not in sent.body + str(sent.reply_to) + sent.from_email
    assert "sam@example.org" not in sent.alternatives[0][0]
    assert "Can we talk about your work?" in sent.body
    assert reverse("members:message", args=[message.pk]) in sent.body
    # The sender's page never showed the recipient's address either.
    page = client.get(reverse("members:directory_profile", args=[recipient.pk]))
    assert "rita@example.org" not in page.content.decode()


def test_the_reply_reveals_the_replier_to_the_sender(
    client, sender, recipient, django_capture_on_commit_callbacks
):
    message = services.contact_message_send(
        sender=sender, recipient=recipient, subject="Hi", body="Hello"
    )
    client.force_login(recipient.user)
    page = client.get(reverse("members:message", args=[message.pk]))
    assert "Hello" in page.content.decode()
    assert "sam@example.org" not in page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("members:message", args=[message.pk]), {"body": "Yes, gladly."}
        )
    assert response.status_code == 302
    reply = mail.outbox[0]
    assert reply.to == ["sam@example.org"]
    assert reply.reply_to == ["rita@example.org"]
    assert "Yes, gladly." in reply.body
    page = client.get(reverse("members:message", args=[message.pk]))
    assert "sam@example.org" in page.content.decode()


def test_only_the_recipient_opens_a_message(client, sender, recipient):
    message = services.contact_message_send(
        sender=sender, recipient=recipient, subject="Hi", body="Hello"
    )
    # The sender, or anyone else, gets a 404 for the message id.
    assert client.get(reverse("members:message", args=[message.pk])).status_code == 404
    client.force_login(MemberFactory().user)
    assert client.get(reverse("members:message", args=[message.pk])).status_code == 404
    assert (
        client.post(reverse("members:message", args=[message.pk]), {"body": "x"}).status_code == 404
    )


def test_hidden_members_cannot_be_contacted(client, sender):
    hidden = MemberFactory()
    response = send(client, hidden)
    assert response.status_code == 404
    assert not ContactMessage.objects.exists()


def test_a_member_cannot_write_to_themselves(client, sender):
    services.participant_update_profile(
        participant=sender, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    assert send(client, sender).status_code == 404


def test_empty_message_says_what_is_missing_and_keeps_the_subject(client, sender, recipient):
    response = send(client, recipient, subject="Kept subject", body="")
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert 'value="Kept subject"' in response.content.decode()
    assert not ContactMessage.objects.exists()


def test_messages_are_rate_limited_per_sender(client, sender, recipient):
    limit = services.CONTACT_LIMITS[0].amount
    for _ in range(limit):
        assert send(client, recipient).status_code == 302
    response = send(client, recipient, body="One too many")
    assert response.status_code == 429
    assert "wait an hour" in response.content.decode()
    assert "One too many" in response.content.decode()
    assert ContactMessage.objects.count() == limit
    # Another sender is not held back by this one.
    client.force_login(MemberFactory().user)
    assert send(client, recipient).status_code == 302


def test_contact_needs_csrf(sender, recipient):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sender.user)
    assert send(client, recipient).status_code == 403


def test_anonymous_cannot_contact(client, recipient):
    response = send(client, recipient)
    assert response.status_code == 302
    assert not ContactMessage.objects.exists()


def test_plain_text_mail_is_not_html_escaped(
    client, sender, recipient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, recipient, subject="Rock & roll", body="It's <fine>")
    sent = mail.outbox[0]
    assert "Rock & roll" in sent.subject
    assert "It's <fine>" in sent.body
    assert "It&#x27;s &lt;fine&gt;" in sent.alternatives[0][0]


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_a_bad_address_is_not_mailed_and_the_sender_is_told(
    client, sender, recipient, status, django_capture_on_commit_callbacks
):
    Participant.objects.filter(pk=recipient.pk).update(email_status=status)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, recipient, subject="Keep this subject")

    assert response.status_code == 200
    assert "cannot be delivered" in response.content.decode()
    assert "Keep this subject" in response.content.decode()  # nothing typed is lost
    assert mail.outbox == []
    assert not ContactMessage.objects.exists()


def test_a_reply_to_a_sender_whose_address_went_bad_is_kept_but_not_mailed(
    sender, recipient, django_capture_on_commit_callbacks
):
    message = services.contact_message_send(
        sender=sender, recipient=recipient, subject="Hello", body="Hi"
    )
    Participant.objects.filter(pk=sender.pk).update(email_status="bounced")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.contact_message_reply(message=message, body="Thanks!")

    message.refresh_from_db()
    assert message.reply_body == "Thanks!"
    assert mail.outbox == []


def test_what_the_sender_is_promised_is_what_a_reply_does(
    client, sender, recipient, django_capture_on_commit_callbacks
):
    """The form says the address is not shown, and that a reply puts both in touch; the mails
    and pages do exactly that (issue 10, item 21: the old text promised the address stayed
    hidden, yet a reply showed it)."""
    page = client.get(reverse("members:directory_profile", args=[recipient.pk])).content.decode()
    assert "Your email address is not shown on the site or in the message." in page
    assert "If Rita replies, they see your address and you see theirs" in page
    assert "They can answer you through the portal" not in page

    # Not shown: the relayed message carries no trace of the sender's address...
    with django_capture_on_commit_callbacks(execute=True):
        send(client, recipient)
    relayed = mail.outbox[0]
    headers = relayed.message().as_string()
    assert "sam@example.org" not in headers
    # ...and tells the recipient, before they answer, what answering reveals.
    assert "If you reply, Sam Sender receives your address and you see theirs" in relayed.body
    assert "If you reply, Sam Sender receives your address" in relayed.alternatives[0][0]

    # When Rita replies: Sam gets her address as Reply-To, and she sees his on the page.
    message = ContactMessage.objects.get()
    client.force_login(recipient.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:message", args=[message.pk]), {"body": "Gladly."})
    reply = mail.outbox[-1]
    assert reply.to == ["sam@example.org"] and reply.reply_to == ["rita@example.org"]
    assert (
        "sam@example.org"
        in client.get(reverse("members:message", args=[message.pk])).content.decode()
    )
