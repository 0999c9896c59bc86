"""Activity mails: how they are built, on both mail paths.

- One-off mails to one member (confirmed, waitlisted, promoted, registration cancelled, the
  reminder) are `OutgoingMail` rows (`core.mail.send_later`) holding the participant and
  the activity by id; `build_activity_mail` renders them in the worker.
- A mail to everyone registered (the cancellation notice, a message from staff) is a `Broadcast`:
  the "activity_broadcast" stream of the shared bulk sender sends one `BroadcastMessage` per member.

Both render from the same context, in the member's language and time zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import translation

from activities import services
from activities.calendar import activity_ics
from activities.models import Activity
from activities.models import Broadcast
from activities.models import BroadcastMessage
from activities.timefmt import when
from activities.timefmt import zone_for
from core import outbound
from core.mail import MailBuilder
from core.mail import register_mail_builder
from core.mail import render_email
from core.mail import render_outgoing
from core.models import OutgoingMail
from members.models import Participant

TEMPLATES = "emails/activities/"
STREAM = services.BROADCAST_STREAM
BATCH_SIZE = 100


def mail_context(participant: Participant, activity: Activity) -> dict:
    with translation.override(participant.preferred_language):
        # Day and month names in the reader's language, the time in their zone.
        local_when = when(activity, zone_for(participant, activity))
    return {
        "participant": participant,
        "activity": activity,
        "when": local_when,
        "activity_url": f"{settings.SITE_URL}{activity.get_absolute_url()}",
        "site_url": settings.SITE_URL,
    }


# --- one-off mails ------------------------------------------------------------------------------


def build_activity_mail(mail: OutgoingMail, context: dict) -> EmailMultiAlternatives:
    """A stored activity mail: its context holds the participant, the activity, and small
    values (the waitlist position, whether the calendar file goes with it)."""
    participant, activity = context["participant"], context["activity"]
    message = render_outgoing(mail, {**context, **mail_context(participant, activity)})
    if context.get("attach_ics"):
        message.attach(
            f"norec-activity-{activity.pk}.ics",
            activity_ics(activity, with_online_link=True),
            "text/calendar",
        )
    return message


# --- broadcasts ---------------------------------------------------------------------------------


def active_broadcasts(now: datetime.datetime) -> Iterator[outbound.Campaign]:
    for pk in Broadcast.objects.filter(status=Broadcast.Status.SENDING).values_list(
        "pk", flat=True
    ):
        yield outbound.Campaign(id=pk, rate_per_hour=0, batch_size=BATCH_SIZE)


def build_broadcast_message(row: BroadcastMessage) -> EmailMultiAlternatives:
    broadcast, participant = row.broadcast, row.participant
    context = mail_context(participant, broadcast.activity)
    if broadcast.kind == Broadcast.Kind.CANCELLED:
        context["note"] = broadcast.body
    else:
        context.update(subject=broadcast.subject, body=broadcast.body)
    return render_email(
        f"{TEMPLATES}{broadcast.kind}",
        context,
        to=[row.email],
        language=participant.preferred_language,
        reply_to=[settings.NETWORK_ADVISER_EMAIL],
    )


def broadcast_skip_reason(row: BroadcastMessage) -> str | None:
    """Checked right before each message: whose data was erased, or whose address went bad since
    the mail was queued, is not mailed."""
    if row.participant is None:
        return "the member's data was erased"
    if row.participant.has_bad_address:
        return f"address {row.participant.email_status}"
    return None


def broadcast_finished(broadcast_id: int | None) -> None:
    if broadcast_id is not None:
        services.broadcast_mark_sent(broadcast_id=broadcast_id)


def register() -> None:
    register_mail_builder(MailBuilder(prefix=TEMPLATES, build=build_activity_mail))
    outbound.register_stream(
        outbound.OutboundStream(
            name=STREAM,
            model=BroadcastMessage,
            campaign_field="broadcast",
            active_campaigns=active_broadcasts,
            build_message=build_broadcast_message,
            prepare=lambda rows: rows.select_related("broadcast__activity", "participant__user"),
            skip_reason=broadcast_skip_reason,
            participant_path="participant",
            campaign_finished=broadcast_finished,
            campaign_sends=Q(broadcast__status=Broadcast.Status.SENDING),
        )
    )
