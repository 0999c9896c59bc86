"""Invitations and their reminders plugged into the shared sender (`core.outbound`).

Two streams: "invitation" (one row per invitation) and "invitation_reminder" (the one reminder).
A wave is their campaign: its pace, batch size and sending window apply to both; a direct
invitation (no wave) has no campaign and goes out at once, at any hour.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from datetime import date
from datetime import datetime
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.mail.message import EmailAlternative
from django.db.models import Prefetch
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.formats import date_format

from core import outbound
from core.mail import render_email
from core.outbound.templates import MessageTemplate
from core.outbound.templates import fill
from core.outbound.templates import placeholder
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


# Where `prepare_*` puts a participant's exchanges (a list: reading a prefetched related manager
# still builds a queryset per message, a fair share of a message's CPU in a wave).
_EXCHANGES = "exchanges_in_order"


def _latest_exchange(participant) -> Exchange | None:
    exchanges = getattr(participant, _EXCHANGES, None)
    if exchanges is None:
        exchanges = list(participant.exchanges.order_by("year", "id"))
    dated = [exchange for exchange in exchanges if exchange.year]
    return max(dated, key=lambda exchange: exchange.year) if dated else next(iter(exchanges), None)


# A wave's invitation (or reminder) is rendered once per language, reply-to address and kind of
# exchange line, then filled in per recipient (`core.outbound.templates`); kept per worker process.
_TEMPLATES_KEPT = 64
_templates: OrderedDict[tuple, MessageTemplate] = OrderedDict()
# Rendered where the expiry date goes, then replaced by its placeholder: the templates format the
# date themselves (`expires_at|date`), in the mail's language, which no placeholder survives.
_DATE_STAND_IN = date(2999, 12, 31)


@functools.lru_cache(maxsize=256)  # a wave's invitations share a few dates and languages
def _date_text(value: date, language: str) -> str:
    with translation.override(language):
        return date_format(value, "DATE_FORMAT")


def _expiry_text(expires_at: datetime, language: str) -> str:
    # As the templates' `date` filter shows it: in the current time zone.
    return _date_text(timezone.localtime(expires_at).date(), language)


def _render_template(
    prefix: str, key: tuple, *, language: str, reply_to: str, year: bool, organisation: bool
) -> MessageTemplate:
    token = placeholder("token")
    context = {
        "invitation": None,
        "participant": None,
        "first_name": placeholder("firstname"),
        # The exchange line's sentence depends on which of the two the person has: part of the key.
        "exchange": SimpleNamespace(
            year=placeholder("year") if year else None,
            partner_organisation=placeholder("organisation") if organisation else "",
        ),
        "accept_url": _link("invitations:accept", token),
        "decline_url": _link("invitations:decline", token),
        "request_url": settings.SITE_URL + reverse("invitations:request"),
        "expires_at": _DATE_STAND_IN,
        "reply_to": reply_to,
        "site_url": settings.SITE_URL,
    }
    message = render_email(prefix, context, to=[], language=language, reply_to=[reply_to])
    stand_in, expires = _date_text(_DATE_STAND_IN, language), placeholder("expires")
    message.subject = message.subject.replace(stand_in, expires)
    message.body = message.body.replace(stand_in, expires)
    message.alternatives = [
        EmailAlternative(content.replace(stand_in, expires), mimetype)
        for content, mimetype in message.alternatives
    ]
    fields = ["firstname", "token", "expires"]
    fields += ["year"] if year else []
    fields += ["organisation"] if organisation else []
    return MessageTemplate(key=key, message=message, fields=tuple(fields))


def _template(prefix: str, invitation: Invitation) -> tuple[MessageTemplate, dict[str, str]]:
    participant = invitation.participant
    wave = invitation.wave
    language = participant.preferred_language or settings.LANGUAGE_CODE
    exchange = _latest_exchange(participant)
    year = exchange.year if exchange is not None else None
    organisation = exchange.partner_organisation if exchange is not None else ""
    reply_to = wave.reply_to_address if wave else settings.NETWORK_ADVISER_EMAIL
    key = (
        prefix,
        invitation.wave_id,
        str(wave.launched_at) if wave else "",
        language,
        reply_to,
        bool(year),
        bool(organisation),
    )
    template = _templates.get(key)
    if template is None:
        template = _render_template(
            prefix,
            key,
            language=language,
            reply_to=reply_to,
            year=bool(year),
            organisation=bool(organisation),
        )
        _templates[key] = template
        while len(_templates) > _TEMPLATES_KEPT:
            _templates.popitem(last=False)
    expires_at = invitation.expires_at or timezone.now() + timedelta(days=invitation.valid_days)
    values = {
        "firstname": participant.first_name,
        "token": invitation_token(invitation),
        "expires": _expiry_text(expires_at, language),
        "year": str(year or ""),
        "organisation": organisation or "",
    }
    return template, values


def build_invitation_template(invitation: Invitation):
    return _template("invitations/email/invitation", invitation)


def build_reminder_template(reminder: InvitationReminder):
    return _template("invitations/email/reminder", reminder.invitation)


def build_invitation_message(invitation: Invitation):
    return fill(*build_invitation_template(invitation), to=[invitation.email])


def build_reminder_message(reminder: InvitationReminder):
    return fill(*build_reminder_template(reminder), to=[reminder.invitation.email])


def invitation_sent_fields(invitation: Invitation, now: datetime) -> dict:
    # The link is valid for its days from the moment it went out, however slow the wave.
    return {"expires_at": now + timedelta(days=invitation.valid_days)}


def _exchanges(path: str = "participant__exchanges") -> Prefetch:
    return Prefetch(path, queryset=Exchange.objects.order_by("year", "id"), to_attr=_EXCHANGES)


def prepare_invitations(rows):
    return rows.select_related("participant", "wave").prefetch_related(_exchanges())


def prepare_reminders(rows):
    return rows.select_related(
        "invitation", "invitation__participant", "invitation__wave"
    ).prefetch_related(_exchanges("invitation__participant__exchanges"))


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
            build_template=build_invitation_template,
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
            build_template=build_reminder_template,
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
