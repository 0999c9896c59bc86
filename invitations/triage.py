"""The adviser's triage of invitation requests: invite the roster participant who asked (with
the address they gave), add someone the roster lacks and invite them, or dismiss the request.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invitations import services as sending
from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.services import InvitationRefused
from members import services as member_services
from members.models import Participant

# `InvitationRefused.code` when inviting would replace an address the adviser has not yet seen.
NEEDS_CONFIRMATION = "needs_confirmation"


def _lock_open_request(invitation_request: InvitationRequest) -> InvitationRequest:
    locked = InvitationRequest.objects.select_for_update().get(pk=invitation_request.pk)
    if locked.status != InvitationRequest.Status.OPEN:
        raise InvitationRefused(
            _("This request was already handled (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


def _refuse_taken_address(email: str) -> None:
    if member_services.login_exists(email=email):
        raise InvitationRefused(
            _(
                "An account already logs in with %(email)s. The person can log in, or set a new "
                "password from the login page; no invitation is needed."
            )
            % {"email": email}
        )


def _invite_now(*, participant: Participant, actor) -> Invitation:
    """Invite through the sending side's one direct-invitation path. The request is the person's
    own wish, so an old decline is lifted, and an open invitation to an old address is revoked
    (its links die) before the new one goes out."""
    participant = member_services.participant_allow_invitations(participant=participant)
    for open_invitation in Invitation.objects.filter(
        participant=participant, status__in=Invitation.OPEN_STATUSES
    ):
        sending.invitation_revoke(invitation=open_invitation)
    return sending.invitation_send_direct(participant=participant, actor=actor)


def _close_request(
    request_row: InvitationRequest, *, status: str, participant: Participant | None, actor
) -> None:
    request_row.status = status
    request_row.matched_participant = participant
    request_row.handled_by = actor
    request_row.handled_at = timezone.now()
    request_row.save(update_fields=["status", "matched_participant", "handled_by", "handled_at"])


@transaction.atomic
def invitation_request_invite_participant(
    *,
    invitation_request: InvitationRequest,
    participant: Participant,
    actor,
    replaces_email: str | None = None,
) -> Invitation:
    """The request is from this roster participant: give them the request's address (the
    adviser's correction) and invite them now.

    Changing the address takes the adviser's confirmation: `replaces_email` is the address they
    saw being replaced ("" for none). Without it, or when the address changed since, nothing
    happens and `InvitationRefused` is raised with code `NEEDS_CONFIRMATION`: the adviser must
    first see the old and the new address side by side (the message says why, when there is
    more than that). The change goes through `participant_correct_email`, which keeps the old
    address in the staff log for an undo.
    """
    request_row = _lock_open_request(invitation_request)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.user_id is not None:
        raise InvitationRefused(
            _(
                "%(name)s is already registered. They can log in, or set a new password from "
                "the login page."
            )
            % {"name": participant.full_name}
        )
    _refuse_taken_address(request_row.email)
    if participant.email != request_row.email:
        if replaces_email is None:
            raise InvitationRefused("", code=NEEDS_CONFIRMATION)
        if replaces_email.strip().lower() != participant.email:
            raise InvitationRefused(
                _(
                    "The address of %(name)s changed since you looked (it is now %(email)s). "
                    "Check again before you replace it."
                )
                % {"name": participant.full_name, "email": participant.email or "–"},
                code=NEEDS_CONFIRMATION,
            )
    if participant.email != request_row.email or participant.has_bad_address:
        # The same address that bounced: the person says it works, so it may be tried again.
        try:
            participant = member_services.participant_correct_email(
                participant=participant, email=request_row.email, actor=actor
            )
        except member_services.ParticipantRefused as error:
            raise InvitationRefused(error.message) from None
    invitation = _invite_now(participant=participant, actor=actor)
    _close_request(
        request_row, status=InvitationRequest.Status.INVITED, participant=participant, actor=actor
    )
    return invitation


@transaction.atomic
def invitation_request_create_participant(
    *, invitation_request: InvitationRequest, actor
) -> Invitation:
    """The person is not on the roster (the adviser checked): add them and invite them now."""
    request_row = _lock_open_request(invitation_request)
    _refuse_taken_address(request_row.email)
    participant = member_services.participant_create(
        # Requests get their own id space, so a later roster import cannot collide with it.
        participant_id=f"REQ-{request_row.pk}",
        first_name=request_row.first_name,
        last_name=request_row.last_name,
        email=request_row.email,
        home_country=str(request_row.home_country),
        exchange_year=request_row.exchange_year,
        partner_organisation=request_row.partner_organisation,
    )
    invitation = _invite_now(participant=participant, actor=actor)
    _close_request(
        request_row, status=InvitationRequest.Status.CREATED, participant=participant, actor=actor
    )
    return invitation


@transaction.atomic
def invitation_request_dismiss(
    *, invitation_request: InvitationRequest, actor
) -> InvitationRequest:
    """Nothing to do (spam, a duplicate, not a former participant)."""
    request_row = _lock_open_request(invitation_request)
    _close_request(
        request_row, status=InvitationRequest.Status.DISMISSED, participant=None, actor=actor
    )
    return request_row
