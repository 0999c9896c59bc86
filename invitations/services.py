"""Every state change of waves and invitations on the sending side.

The participant's side lives in `invitations.accept` (accepting, declining) and
`invitations.requests` (asking for an invitation); the adviser's answer to a request in
`invitations.triage`. The sending machinery is `core.outbound`; `invitations.sending` plugs
waves into it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import outbound
from core.refusals import Refused
from core.stored_text import Sentence
from core.tasks import outbound_prepare
from core.tasks import start_campaign
from core.zones import zone_for_participant
from invitations import selectors
from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.models import Wave
from invitations.models import new_token_nonce
from members.audit import record_staff_action
from members.models import Participant

INVITATION_STREAM = "invitation"
REMINDER_STREAM = "invitation_reminder"
# Reminders are queued this many per INSERT.
CREATE_CHUNK = 2000


class InvitationRefused(Refused):
    """invitations' "no" (see `core.refusals`): a wave action that does not fit the
    wave's state, an invitation or a request that cannot be handled, a link that cannot be used
    (`code` then says why, see `invitations.accept.InvitationProblem`)."""


# The kinds of staff action this app records in the audit log (registered in apps.py).
AUDIT_WAVE_LAUNCH = "wave_launch"
AUDIT_INVITATIONS_RESENT = "invitations_resent"

# `InvitationRefused.code` of the refusals a caller treats apart.
RESEND_COUNT_CHANGED = "resend_count_changed"


def _lock_wave(wave: Wave) -> Wave:
    return Wave.objects.select_for_update().get(pk=wave.pk)


# --- waves ------------------------------------------------------------------------------------


@transaction.atomic
def wave_launch(*, wave: Wave, actor, target_url: str = "") -> int:
    """Launch a draft: it becomes "preparing" and a worker creates one invitation per eligible
    participant, a chunk at a time (`wave_prepare_chunk`); then it sends (now, or at its start
    time). Nothing the size of the wave runs in the caller's request. Returns how many the launch
    counted (the preview's eligible number)."""
    wave = _lock_wave(wave)
    if wave.status != Wave.Status.DRAFT:
        raise InvitationRefused(
            _("Only a draft wave can be launched; this one is %(status)s.")
            % {"status": wave.get_status_display()}
        )
    total = _eligible(wave).count()
    wave.status = Wave.Status.PREPARING
    wave.launched_at = timezone.now()
    wave.paused_reason = ""
    wave.prepare_total = total
    wave.save(
        update_fields=["status", "launched_at", "paused_reason", "prepare_total", "updated_at"]
    )
    record_staff_action(
        actor=actor,
        kind=AUDIT_WAVE_LAUNCH,
        summary=Sentence(
            gettext_noop("Launched wave “%(wave)s” (%(countries)s): %(count)s invitations"),
            {
                "wave": wave.name,
                "countries": ", ".join(str(code) for code in wave.home_countries),
                "count": total,
            },
        ),
        affected_count=total,
        target_url=target_url,
    )
    outbound_prepare.delay_on_commit(INVITATION_STREAM, wave.pk)
    return total


def _eligible(wave: Wave):
    return selectors.wave_candidates(wave=wave).filter(exclusion=selectors.ELIGIBLE)


def _preparation_pending(wave: Wave) -> bool:
    """Its invitations (or its re-send) are not all made yet: it must prepare before it sends."""
    return wave.prepared_at is None or wave.resend_cutoff is not None


def wave_prepare_chunk(*, wave_id: int, after: int | None = None) -> outbound.PrepareResult:
    """One chunk of a preparing wave (see `core.outbound.preparing`): the invitations of the next
    PREPARE_CHUNK eligible participants above `after` (a launch), or the next invitations of a
    re-send made ready again. The last chunk starts the sending. Leaves at once when the wave is
    no longer preparing (paused, cancelled, done)."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().filter(pk=wave_id).first()
        if wave is None or wave.status != Wave.Status.PREPARING:
            return outbound.PrepareResult(rows=0, more=False)
        if wave.prepared_at is None:
            rows, last = _materialise_chunk(wave=wave, after=after)
        else:
            rows, last = _resend_chunk(wave=wave, after=after or 0)
        if last is None:
            _preparation_done(wave)
            return outbound.PrepareResult(rows=rows, more=False)
        wave.save(update_fields=["updated_at"])  # the sweep reads it as a heartbeat
        return outbound.PrepareResult(rows=rows, more=True, after=last)


def _materialise_chunk(*, wave: Wave, after: int | None) -> tuple[int, int | None]:
    """(rows written, the last participant id when more may follow)."""
    chunk = outbound.next_recipients(
        _eligible(wave),
        wave.invitations,
        after,
        outbound.PREPARE_CHUNK,
        "email",
        "time_zone",
        "home_country",
    )
    # A participant invited directly meanwhile holds an open invitation, and a chunk run twice
    # meets its own rows: the unique constraint skips them (ON CONFLICT DO NOTHING).
    Invitation.objects.bulk_create(
        [
            Invitation(
                wave=wave,
                participant_id=participant_id,
                email=email,
                time_zone=zone_for_participant(time_zone=time_zone, home_country=home_country),
                token_nonce=new_token_nonce(),
                valid_days=wave.expiry_days,
                reminder_days=wave.reminder_days,
                # The launch's actor is in the audit log; the wave's author stands for them.
                created_by_id=wave.created_by_id,
            )
            for participant_id, email, time_zone, home_country in chunk
        ],
        ignore_conflicts=True,
    )
    more = len(chunk) == outbound.PREPARE_CHUNK
    return len(chunk), chunk[-1][0] if more else None


def _resend_chunk(*, wave: Wave, after: int) -> tuple[int, int | None]:
    """The next invitations of a re-send back to pending: (how many, the last id when more may
    follow). A row made pending is no longer resendable, so a chunk run twice changes nothing."""
    ids = list(
        selectors.wave_resendable(wave=wave, cutoff=wave.resend_cutoff)
        .filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[: outbound.PREPARE_CHUNK]
    )
    count = Invitation.objects.filter(pk__in=ids).update(
        # To the address of record now: the adviser may have corrected it since.
        email=Subquery(
            Participant.objects.filter(pk=OuterRef("participant_id")).values("email")[:1]
        ),
        status=Invitation.Status.PENDING,
        claimed_at=None,
        sent_at=None,
        delivered_at=None,
        # The address may have been corrected since: old marks must not count against the wave.
        bounced_at=None,
        complained_at=None,
        expires_at=None,
        reminded_at=None,
        attempts=0,
        last_error="",
    )
    InvitationReminder.objects.filter(invitation_id__in=ids).delete()
    more = len(ids) == outbound.PREPARE_CHUNK
    return count, ids[-1] if more else None


def _preparation_done(wave: Wave) -> None:
    now = timezone.now()
    wave.prepared_at = wave.prepared_at or now
    wave.resend_cutoff = None
    wave.completed_at = None
    wave.status = Wave.Status.SENDING if wave.starts_at <= now else Wave.Status.SCHEDULED
    wave.save(
        update_fields=["prepared_at", "resend_cutoff", "completed_at", "status", "updated_at"]
    )
    if wave.status == Wave.Status.SENDING:
        start_campaign(INVITATION_STREAM, wave.pk)


def waves_preparation_stalled(before: datetime) -> list[int]:
    """Preparing waves no chunk touched since `before`: their chain of chunks was lost."""
    return list(
        Wave.objects.filter(status=Wave.Status.PREPARING, updated_at__lt=before).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def wave_pause(*, wave: Wave, reason: str = "") -> Wave:
    """Stop taking new messages (a batch in flight finishes its current message)."""
    wave = _lock_wave(wave)
    if wave.status not in (Wave.Status.PREPARING, Wave.Status.SCHEDULED, Wave.Status.SENDING):
        raise InvitationRefused(_("Only a scheduled or sending wave can be paused."))
    wave.status = Wave.Status.PAUSED
    wave.paused_reason = reason or Sentence(gettext_noop("Paused by staff.")).stored()
    wave.save(update_fields=["status", "paused_reason", "updated_at"])
    return wave


def wave_pause_for_reputation(*, wave_id: int, reason: str) -> None:
    """The sender's hook: the wave's bounce or complaint rate passed the limit. A completed wave
    pauses too, which holds back its reminders."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().filter(pk=wave_id).first()
        if wave is None or wave.status not in (
            Wave.Status.SCHEDULED,
            Wave.Status.SENDING,
            Wave.Status.COMPLETED,
        ):
            return
        wave.status = Wave.Status.PAUSED
        wave.paused_reason = reason
        wave.save(update_fields=["status", "paused_reason", "updated_at"])


@transaction.atomic
def wave_resume(*, wave: Wave) -> Wave:
    wave = _lock_wave(wave)
    if wave.status != Wave.Status.PAUSED:
        raise InvitationRefused(_("Only a paused wave can be resumed."))
    wave.paused_reason = ""
    if _preparation_pending(wave):
        # Paused while preparing: the preparation goes on where its rows stop, then it sends.
        wave.status = Wave.Status.PREPARING
        wave.save(update_fields=["status", "paused_reason", "updated_at"])
        outbound_prepare.delay_on_commit(INVITATION_STREAM, wave.pk)
        return wave
    wave.status = Wave.Status.SENDING if wave.starts_at <= timezone.now() else Wave.Status.SCHEDULED
    wave.save(update_fields=["status", "paused_reason", "updated_at"])
    if wave.status == Wave.Status.SENDING:
        start_campaign(INVITATION_STREAM, wave.pk)
    return wave


@transaction.atomic
def wave_cancel(*, wave: Wave) -> int:
    """Cancel a wave that has not completed: invitations not yet sent are revoked (nobody will get
    them); links already sent keep working until they expire. Returns how many were revoked.

    A preparing wave stops preparing: the lock waits for the chunk in flight, whose rows are
    revoked with the rest. Rows a batch has claimed (`sending`) are revoked too: the sender
    checks before each message and stops. A message in flight at that moment carries a link the
    new nonce has voided."""
    wave = _lock_wave(wave)
    if wave.status in (Wave.Status.COMPLETED, Wave.Status.CANCELLED):
        raise InvitationRefused(_("A completed or cancelled wave cannot be cancelled."))
    now = timezone.now()
    not_sent = [outbound.OutboundStatus.PENDING, outbound.OutboundStatus.SENDING]
    revoked = wave.invitations.filter(status__in=not_sent).update(
        status=Invitation.Status.REVOKED, revoked_at=now, token_nonce=new_token_nonce()
    )
    wave.reminders.filter(status__in=not_sent).update(
        status=outbound.OutboundStatus.FAILED, last_error="wave cancelled"
    )
    wave.status = Wave.Status.CANCELLED
    wave.resend_cutoff = None
    wave.save(update_fields=["status", "resend_cutoff", "updated_at"])
    return revoked


def wave_start_due(*, now: datetime | None = None) -> int:
    """Scheduled waves whose start time has come begin sending."""
    now = now or timezone.now()
    return Wave.objects.filter(status=Wave.Status.SCHEDULED, starts_at__lte=now).update(
        status=Wave.Status.SENDING, updated_at=now
    )


def wave_complete(*, wave_id: int) -> None:
    """The sender's hook: nothing of the wave is left to send."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().filter(pk=wave_id).first()
        if wave is None or wave.status != Wave.Status.SENDING:
            return
        if wave.invitations.filter(
            status__in=[Invitation.Status.PENDING, Invitation.Status.SENDING]
        ).exists():
            return
        wave.status = Wave.Status.COMPLETED
        wave.completed_at = timezone.now()
        wave.save(update_fields=["status", "completed_at", "updated_at"])


@transaction.atomic
def wave_resend(
    *, wave: Wave, actor, target_url: str = "", confirmed_count: int | None = None
) -> int:
    """Send the invitation again to everyone of the wave who has not accepted and still may be
    invited (not registered, not declined, address not bad, no other open invitation), except
    those mailed fewer than INVITATION_RESEND_MIN_DAYS days ago. Their old link keeps working;
    the new message restarts the expiry and the reminder. Returns how many.

    The invitations are made ready again by the worker, a chunk at a time, while the wave is
    "preparing" (a paused wave prepares when it is resumed); then it sends.

    `confirmed_count` is the number the adviser saw on the confirmation page: when it is given
    and no longer right (someone accepted, or more became due), nothing is sent."""
    wave = _lock_wave(wave)
    if wave.status in (Wave.Status.DRAFT, Wave.Status.CANCELLED):
        raise InvitationRefused(_("Only a launched wave can send its invitations again."))
    if _preparation_pending(wave):
        raise InvitationRefused(
            _("This wave is still being prepared: send it again once it has finished.")
        )
    cutoff = selectors.resend_cutoff()
    count = selectors.wave_resendable(wave=wave, cutoff=cutoff).count()
    if not count:
        counts = selectors.wave_resend_counts(wave=wave)
        if counts.too_recent:
            raise InvitationRefused(
                _(
                    "Nobody can be sent the invitation again yet: everyone who has not accepted "
                    "was mailed less than %(days)s days ago."
                )
                % {"days": counts.min_days}
            )
        raise InvitationRefused(_("Nobody of this wave can be sent the invitation again."))
    if confirmed_count is not None and count != confirmed_count:
        # Not the number the adviser confirmed.
        raise InvitationRefused(
            _("The number of people to send to has changed since you looked: check it again."),
            code=RESEND_COUNT_CHANGED,
        )
    wave.resend_cutoff = cutoff
    fields = ["resend_cutoff", "updated_at"]
    if wave.status != Wave.Status.PAUSED:
        wave.status = Wave.Status.PREPARING
        fields.append("status")
    wave.save(update_fields=fields)
    record_staff_action(
        actor=actor,
        kind=AUDIT_INVITATIONS_RESENT,
        summary=Sentence(
            gettext_noop("Re-sent wave “%(wave)s” to %(count)s people who have not accepted"),
            {"wave": wave.name, "count": count},
        ),
        affected_count=count,
        target_url=target_url,
    )
    if wave.status == Wave.Status.PREPARING:
        outbound_prepare.delay_on_commit(INVITATION_STREAM, wave.pk)
    return count


# --- single invitations -------------------------------------------------------------------------


@transaction.atomic
def invitation_send_direct(*, participant: Participant, actor) -> Invitation:
    """Invite one participant now, outside any wave (from the participant page)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    reason = selectors.participant_exclusion(participant=participant)
    if reason is not None:
        raise InvitationRefused(selectors.EXCLUSION_MESSAGES[reason])
    invitation = Invitation.objects.create(
        wave=None,
        participant=participant,
        email=participant.email,
        # A direct invitation goes out at once: the adviser chose the moment.
        time_zone="",
        valid_days=settings.INVITATION_VALID_DAYS,
        reminder_days=settings.INVITATION_REMINDER_DAYS,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    start_campaign(INVITATION_STREAM, None)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Close an open invitation; rotating the nonce kills every link sent for it."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status not in Invitation.OPEN_STATUSES:
        raise InvitationRefused(_("Only an open invitation can be revoked."))
    invitation.status = Invitation.Status.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.token_nonce = new_token_nonce()
    invitation.save(update_fields=["status", "revoked_at", "token_nonce", "updated_at"])
    return invitation


def invitations_follow_address_change(*, participant: Participant, old_email: str) -> int:
    """An adviser changed the person's address (members' hook): links already mailed to another
    address stop working, since that mailbox may be a stranger's (a wrong correction undone). A
    message still waiting is skipped by the sender and can be sent again to the new address.
    Returns how many were revoked."""
    revoked = 0
    for invitation in Invitation.objects.filter(
        participant=participant, status=Invitation.Status.SENT
    ).exclude(email__iexact=participant.email):
        invitation_revoke(invitation=invitation)
        revoked += 1
    return revoked


def invitation_expire_due(*, now: datetime | None = None) -> int:
    """Sent invitations past their expiry are closed (beat, hourly)."""
    now = now or timezone.now()
    return Invitation.objects.filter(status=Invitation.Status.SENT, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED, updated_at=now
    )


def invitation_remind_due(*, now: datetime | None = None) -> int:
    """Queue the one reminder of every sent invitation whose reminder day has come and that is
    neither accepted nor expiring within a day (beat, hourly). The reminders go out through the
    sender, at their wave's pace and in its window. Returns how many were queued."""
    now = now or timezone.now()
    created = 0
    due = selectors.invitations_due_for_reminder(now=now).values_list(
        "pk", "wave_id", "email", "time_zone"
    )
    for chunk in _chunks(due.iterator(chunk_size=CREATE_CHUNK), CREATE_CHUNK):
        with transaction.atomic():
            ids = [invitation_id for invitation_id, *_rest in chunk]
            InvitationReminder.objects.bulk_create(
                [
                    InvitationReminder(
                        invitation_id=invitation_id, wave_id=wave_id, email=email, time_zone=zone
                    )
                    for invitation_id, wave_id, email, zone in chunk
                ],
                ignore_conflicts=True,
            )
            created += Invitation.objects.filter(pk__in=ids, reminded_at__isnull=True).update(
                reminded_at=now
            )
    return created


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- personal data ------------------------------------------------------------------------------


def invitations_export(participant: Participant) -> list[dict]:
    """For "Download my data": the invitations sent to this person."""
    rows = Invitation.objects.filter(participant=participant).select_related("wave")
    return [
        {
            "wave": row.wave.name if row.wave else None,
            "sent_to": row.email,
            "status": row.status,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
            "accepted_at": row.accepted_at.isoformat() if row.accepted_at else None,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        }
        for row in rows.order_by("created_at", "pk")
    ]


def invitations_erase(participant: Participant) -> None:
    """When the member deletes their account, the record of their invitations goes too."""
    Invitation.objects.filter(participant=participant).delete()
