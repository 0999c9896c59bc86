"""Invitations and their reminders plugged into the shared sender (`core.outbound`).

Two streams: "invitation" (one row per invitation) and "invitation_reminder" (the one reminder).
A wave is their campaign: its pace, batch size and sending window apply to both; a direct
invitation (no wave) has no campaign and goes out at once, at any hour.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import outbound
from core.mail import render_email
from invitations import services
from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.models import Wave
from invitations.tokens import invitation_token
from members.models import BAD_ADDRESS
from members.models import DECLINED
from members.models import NO_ADDRESS
from members.models import REGISTERED
from members.models import Exchange

DIRECT = outbound.Campaign(id=None, rate_per_hour=0, batch_size=50)
# The waves whose invitations, and whose reminders, may go out: a paused or cancelled wave sends
# nothing, and reminders come days after the wave finished sending. Read when batches are
# claimed and again before each message (`campaign_sends`), so the two never disagree.
INVITING_WAVES = [Wave.Status.SENDING]
REMINDING_WAVES = [Wave.Status.SENDING, Wave.Status.COMPLETED]


def wave_campaign(wave: Wave) -> outbound.Campaign:
    return outbound.Campaign(
        id=wave.pk,
        rate_per_hour=wave.rate_per_hour,
        batch_size=wave.batch_size,
        window=outbound.SendingWindow(
            start=wave.window_start,
            end=wave.window_end,
            weekdays=frozenset(int(day) for day in wave.window_weekdays),
        ),
    )


def start_due_waves(now: datetime) -> None:
    services.wave_start_due(now=now)


def active_invitation_campaigns(now: datetime) -> list[outbound.Campaign]:
    waves = Wave.objects.filter(status__in=INVITING_WAVES, starts_at__lte=now)
    campaigns = [wave_campaign(wave) for wave in waves]
    if Invitation.objects.filter(wave__isnull=True, status=Invitation.Status.PENDING).exists():
        campaigns.append(DIRECT)
    return campaigns


def active_reminder_campaigns(now: datetime) -> list[outbound.Campaign]:
    waves = Wave.objects.filter(
        status__in=REMINDING_WAVES, reminders__status=outbound.OutboundStatus.PENDING
    ).distinct()
    campaigns = [wave_campaign(wave) for wave in waves]
    pending = InvitationReminder.objects.filter(
        wave__isnull=True, status=outbound.OutboundStatus.PENDING
    )
    if pending.exists():
        campaigns.append(DIRECT)
    return campaigns


def _link(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"token": token})


def _latest_exchange(participant) -> Exchange | None:
    exchanges = list(participant.exchanges.all())
    dated = [exchange for exchange in exchanges if exchange.year]
    return max(dated, key=lambda exchange: exchange.year) if dated else next(iter(exchanges), None)


def invitation_context(invitation: Invitation, *, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    participant = invitation.participant
    token = invitation_token(invitation)
    wave = invitation.wave
    return {
        "invitation": invitation,
        "participant": participant,
        "first_name": participant.first_name,
        "exchange": _latest_exchange(participant),
        "accept_url": _link("invitations:accept", token),
        "decline_url": _link("invitations:decline", token),
        "request_url": settings.SITE_URL + reverse("invitations:request"),
        "expires_at": invitation.expires_at or now + timedelta(days=invitation.valid_days),
        "reply_to": wave.reply_to_address if wave else settings.NETWORK_ADVISER_EMAIL,
        "site_url": settings.SITE_URL,
    }


def _message(prefix: str, invitation: Invitation):
    context = invitation_context(invitation)
    return render_email(
        prefix,
        context,
        to=[invitation.email],
        language=invitation.participant.preferred_language,
        reply_to=[context["reply_to"]],
    )


def build_invitation_message(invitation: Invitation):
    return _message("invitations/email/invitation", invitation)


def build_reminder_message(reminder: InvitationReminder):
    return _message("invitations/email/reminder", reminder.invitation)


def invitation_sent_fields(invitation: Invitation, now: datetime) -> dict:
    # The link is valid for its days from the moment it went out, however slow the wave.
    return {"expires_at": now + timedelta(days=invitation.valid_days)}


def _exchanges():
    return Prefetch("participant__exchanges", queryset=Exchange.objects.order_by("year", "id"))


def prepare_invitations(rows):
    return rows.select_related("participant", "wave").prefetch_related(_exchanges())


def prepare_reminders(rows):
    return rows.select_related(
        "invitation", "invitation__participant", "invitation__wave"
    ).prefetch_related(
        Prefetch(
            "invitation__participant__exchanges",
            queryset=Exchange.objects.order_by("year", "id"),
        )
    )


# Kept on the skipped row for staff (`last_error`), per `members.models.invitation_exclusions`.
SKIP_REASONS = {
    REGISTERED: "registered meanwhile",
    DECLINED: "asked not to be invited",
    NO_ADDRESS: "address changed since the invitation was made",
    BAD_ADDRESS: "address bounced or complained meanwhile",
}


def _participant_skip_reason(participant, email: str) -> str | None:
    obstacle = participant.invitation_obstacle
    if obstacle is not None:
        return SKIP_REASONS[obstacle]
    if participant.email.lower() != (email or "").lower():
        return "address changed since the invitation was made"
    return None


def invitation_skip_reason(invitation: Invitation) -> str | None:
    """Checked right before sending: a wave takes days, and people change meanwhile."""
    return _participant_skip_reason(invitation.participant, invitation.email)


def reminder_skip_reason(reminder: InvitationReminder) -> str | None:
    invitation = reminder.invitation
    if invitation.status != Invitation.Status.SENT or invitation.is_expired:
        return "the invitation is no longer open"
    return _participant_skip_reason(invitation.participant, reminder.email)


def reminder_event(reminder: InvitationReminder, event_type: str) -> None:
    """A reminder that bounced means the invitation's address is bad too."""
    if event_type in ("bounced", "rejected"):
        Invitation.objects.filter(pk=reminder.invitation_id, status=Invitation.Status.SENT).update(
            status=Invitation.Status.BOUNCED, bounced_at=timezone.now()
        )


def register() -> None:
    outbound.register_stream(
        outbound.OutboundStream(
            name=services.INVITATION_STREAM,
            model=Invitation,
            campaign_field="wave",
            active_campaigns=active_invitation_campaigns,
            advance_campaigns=start_due_waves,
            build_message=build_invitation_message,
            prepare=prepare_invitations,
            sent_fields=invitation_sent_fields,
            participant_path="participant",
            pause_campaign=lambda wave_id, reason: services.wave_pause_for_reputation(
                wave_id=wave_id, reason=reason
            ),
            campaign_finished=lambda wave_id: services.wave_complete(wave_id=wave_id),
            skip_reason=invitation_skip_reason,
            campaign_sends=Q(wave__isnull=True) | Q(wave__status__in=INVITING_WAVES),
        )
    )
    outbound.register_preparation(
        services.INVITATION_STREAM,
        outbound.Preparation(
            prepare_chunk=lambda wave_id, after: services.wave_prepare_chunk(
                wave_id=wave_id, after=after
            ),
            stalled_campaigns=services.waves_preparation_stalled,
        ),
    )
    outbound.register_stream(
        outbound.OutboundStream(
            name=services.REMINDER_STREAM,
            model=InvitationReminder,
            campaign_field="wave",
            active_campaigns=active_reminder_campaigns,
            build_message=build_reminder_message,
            prepare=prepare_reminders,
            participant_path="invitation__participant",
            pause_campaign=lambda wave_id, reason: services.wave_pause_for_reputation(
                wave_id=wave_id, reason=reason
            ),
            on_event=reminder_event,
            skip_reason=reminder_skip_reason,
            campaign_sends=Q(wave__isnull=True) | Q(wave__status__in=REMINDING_WAVES),
        )
    )
