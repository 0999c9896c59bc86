"""A participant's address of record: set by the roster, corrected by an adviser (and put back),
changed by the member, and marked by what the ESP reports about it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import Sentence
from members import audit
from members.audit import record_staff_action
from members.extensions import address_change_reactions
from members.models import Participant
from members.models import StaffAction
from members.models import User
from members.services.refusals import ParticipantRefused


@transaction.atomic
def participant_set_email(
    *, participant: Participant, email: str, source: Participant.EmailSource
) -> Participant:
    """Set the address of record (an adviser's fix or a member's verified change).

    A new address is innocent until it bounces: its status starts again as unknown, so that the
    person can be invited or mailed again.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    participant.email = email.strip().lower()
    participant.email_source = source
    participant.email_status = (
        Participant.EmailStatus.OK
        if source == Participant.EmailSource.MEMBER
        else Participant.EmailStatus.UNKNOWN
    )
    participant.save(update_fields=["email", "email_source", "email_status", "updated_at"])
    return participant


def is_current_address(participant: Participant, address: str | None) -> bool:
    """News about `address` (an ESP's event) speaks for the participant only while it is still
    their address: once the adviser or the member corrected it, a late or retried event about the
    old one changes nothing. None means the caller's news is not about one address."""
    if address is None:
        return True
    current = {participant.email.lower(), participant.address_of_record.lower()} - {""}
    return address.strip().lower() in current


def _address_snapshot(participant: Participant) -> dict:
    return {
        "email": participant.email,
        "status": participant.email_status,
        "source": participant.email_source,
    }


def _check_address_change(participant: Participant, email: str) -> None:
    if participant.user_id is not None:
        raise ParticipantRefused(
            _(
                "%(name)s is registered: their address is the one they log in with, and they "
                "change it themselves on their account page."
            )
            % {"name": participant.full_name}
        )
    if not email:
        return
    try:
        validate_email(email)
    except ValidationError:
        raise ParticipantRefused(
            _("“%(email)s” is not a valid email address; nothing changed.") % {"email": email}
        ) from None
    holder = Participant.objects.filter(email__iexact=email).exclude(pk=participant.pk).first()
    if holder is not None:
        # Two people never share an address (the roster import refuses it too).
        raise ParticipantRefused(
            _("%(email)s is already the address of %(name)s (%(roster_id)s); nothing changed.")
            % {"email": email, "name": holder.full_name, "roster_id": holder.participant_id}
        )


def _address_sentence(msgid: str, participant: Participant, before: dict) -> Sentence:
    return Sentence(
        msgid,
        {
            "name": participant.full_name,
            "id": participant.participant_id,
            "old": before["email"] or "–",
            "new": participant.email or "–",
        },
    )


def _record_address_change(
    *, participant: Participant, before: dict, actor, summary: Sentence, extra: dict | None = None
) -> None:
    record_staff_action(
        actor=actor,
        kind=audit.ADDRESS_CHANGE,
        summary=summary,
        affected_count=1,
        target_url=reverse("admin:members_participant_change", args=[participant.pk]),
        participant=participant,
        details={"old": before, "new": _address_snapshot(participant), **(extra or {})},
    )
    for reaction in address_change_reactions():
        reaction.react(participant=participant, old_email=before["email"])


@transaction.atomic
def participant_correct_email(*, participant: Participant, email: str, actor) -> Participant:
    """An adviser corrects a participant's address: from the bounced-addresses page, the
    participant's admin page, or an invitation request. The one way staff change an address.

    It goes through `participant_set_email` with source adviser (so a roster import keeps it) and
    status unknown (innocent until it bounces), and is recorded in the audit log with the old and
    the new address, so that `participant_revert_email_change` can put it back. Refused for a
    registered member and for an address another participant already has.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    email = email.strip().lower()
    _check_address_change(participant, email)
    before = _address_snapshot(participant)
    participant = participant_set_email(
        participant=participant, email=email, source=Participant.EmailSource.ADVISER
    )
    _record_address_change(
        participant=participant,
        before=before,
        actor=actor,
        summary=_address_sentence(
            gettext_noop("Address of %(name)s (%(id)s) corrected: %(old)s → %(new)s"),
            participant,
            before,
        ),
    )
    return participant


@transaction.atomic
def participant_revert_email_change(*, action: StaffAction, actor) -> Participant:
    """Undo an address correction recorded in the audit log: the address it replaced comes back
    with its status and source (a bounced address stays bounced). Only while the participant
    still has the address that correction set; recorded like any correction."""
    action = StaffAction.objects.get(pk=action.pk)
    old, new = action.details.get("old"), action.details.get("new")
    if action.kind != audit.ADDRESS_CHANGE or action.participant_id is None or not old or not new:
        raise ParticipantRefused(_("This entry is not an address change that can be undone."))
    participant = Participant.objects.select_for_update().get(pk=action.participant_id)
    if participant.email != new["email"]:
        raise ParticipantRefused(
            _(
                "The address of %(name)s has changed again since (it is now %(email)s); "
                "nothing was put back."
            )
            % {"name": participant.full_name, "email": participant.email or "–"}
        )
    _check_address_change(participant, old["email"])
    before = _address_snapshot(participant)
    participant.email = old["email"]
    participant.email_status = old["status"]
    participant.email_source = old["source"]
    participant.save(update_fields=["email", "email_status", "email_source", "updated_at"])
    _record_address_change(
        participant=participant,
        before=before,
        actor=actor,
        summary=_address_sentence(
            gettext_noop("Address of %(name)s (%(id)s) put back: %(old)s → %(new)s"),
            participant,
            before,
        ),
        extra={"undoes": action.pk},
    )
    return participant


@transaction.atomic
def participant_mark_email_status(
    *, participant: Participant, status: Participant.EmailStatus, address: str | None = None
) -> Participant:
    """Record what the ESP told us about the address (delivered, bounced, complained).

    `address` is the address the ESP's news is about: when it is no longer the participant's (the
    address was corrected meanwhile), nothing changes, so a corrected address is never re-marked.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not is_current_address(participant, address):
        return participant
    # A complaint is final; a bounce does not undo a complaint, and a delivery does not undo either.
    order = [
        Participant.EmailStatus.UNKNOWN,
        Participant.EmailStatus.OK,
        Participant.EmailStatus.BOUNCED,
        Participant.EmailStatus.COMPLAINED,
    ]
    if order.index(status) > order.index(participant.email_status):
        participant.email_status = status
        participant.save(update_fields=["email_status", "updated_at"])
    return participant


def participant_apply_address_report(*, participant_id: int, address: str, status: str) -> None:
    """What an ESP reported about `address`, mailed to this participant: "ok" (delivered),
    "bounced" or "complained". The bulk sender's tracking calls it through the hook registered in
    `MembersConfig.ready()` (core imports no app)."""
    participant = Participant.objects.filter(pk=participant_id).first()
    if participant is not None:
        participant_mark_email_status(
            participant=participant, status=Participant.EmailStatus(status), address=address
        )


@transaction.atomic
def participant_apply_verified_email(*, user: User, email: str) -> Participant | None:
    """The member verified a new login address (allauth's change-email flow): it becomes the
    participant's address of record, so invitations, newsletters and activity mails go there, and
    the bad-address flag of the old one no longer applies."""
    participant = Participant.objects.filter(user=user).first()
    if participant is None:
        return None
    return participant_set_email(
        participant=participant, email=email, source=Participant.EmailSource.MEMBER
    )
