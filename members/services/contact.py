"""The contact relay: one member writes to another without either seeing the other's address."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.mail import send_later
from core.ratelimit import RateLimit
from members.models import ContactMessage
from members.models import Participant
from members.services.refusals import CONTACT_RATE_LIMITED
from members.services.refusals import CONTACT_UNDELIVERABLE
from members.services.refusals import ParticipantRefused

# Per sender (a logged-in member, so not per client address); every message counts.
CONTACT_LIMITS = (
    RateLimit(scope="members:contact-hour", amount=5, period=60 * 60),
    RateLimit(scope="members:contact-day", amount=20, period=24 * 60 * 60),
)


@transaction.atomic
def contact_message_send(
    *, sender: Participant, recipient: Participant, subject: str, body: str
) -> ContactMessage:
    """Relay a message from one member to another (see `ContactMessage` for what is revealed)."""
    if sender.pk == recipient.pk:
        raise ValueError("A member cannot write to themselves.")
    if not recipient.mailable_address:
        # Their address bounced or was complained about: the message could not arrive.
        raise ParticipantRefused(
            _(
                "Messages to this member cannot be delivered at the moment: their email "
                "address does not work. Please try another way."
            ),
            code=CONTACT_UNDELIVERABLE,
        )
    if any(limit.hit(str(sender.pk)) for limit in CONTACT_LIMITS):
        raise ParticipantRefused(
            _("You have sent many messages in a short time. Please wait an hour and try again."),
            code=CONTACT_RATE_LIMITED,
        )
    message = ContactMessage.objects.create(
        sender=sender, recipient=recipient, subject=subject.strip(), body=body.strip()
    )
    # The mail refers to the message; its text is read from there when the mail is rendered, so
    # the mail's row holds none of it.
    context = {
        "message": message,
        "sender_name": sender.full_name,
        "recipient_name": recipient.first_name,
        "reply_url": settings.SITE_URL + reverse("members:message", args=[message.pk]),
    }
    send_later(
        template="emails/members/contact_message",
        context=context,
        to=recipient.mailable_address,
        participant_id=recipient.pk,
        language=recipient.preferred_language,
    )
    return message


@transaction.atomic
def contact_message_reply(*, message: ContactMessage, body: str) -> ContactMessage:
    """The recipient answers: the sender gets the reply with the recipient's address as Reply-To
    (answering is the recipient's choice to be in touch)."""
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    message.reply_body = body.strip()
    message.replied_at = timezone.now()
    message.save(update_fields=["reply_body", "replied_at"])
    recipient, sender = message.recipient, message.sender
    context = {
        "message": message,
        "replier_name": recipient.full_name,
        "replier_email": recipient.address_of_record,
        "sender_name": sender.first_name,
    }
    if not sender.mailable_address:
        # The sender's address no longer works: the reply is recorded, no mail is attempted.
        return message
    send_later(
        template="emails/members/contact_reply",
        context=context,
        to=sender.mailable_address,
        participant_id=sender.pk,
        language=sender.preferred_language,
        reply_to=[recipient.address_of_record],
    )
    return message
