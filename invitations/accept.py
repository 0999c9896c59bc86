"""The participant's side of an invitation: following its link, accepting it, declining it.

Every state change here is a service (keyword-only, atomic, locks what it must); views, forms and
the admin call these and never re-implement a rule. Asking for an invitation is in
`invitations/requests.py`, the adviser's answer to a request in `invitations/triage.py`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from invitations import services as sending
from invitations.models import Invitation
from invitations.services import InvitationRefused
from members import services as member_services
from members.models import Participant
from members.models import User


class InvitationProblem:
    """Why a link cannot be used (the `code` of the `InvitationRefused` that says so); each has
    its own kind explanation on the page."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    ADDRESS_TAKEN = "address_taken"


PROBLEM_MESSAGES = {
    InvitationProblem.UNKNOWN: _lazy("This invitation link is not known."),
    InvitationProblem.EXPIRED: _lazy("This invitation has expired."),
    InvitationProblem.REVOKED: _lazy("This invitation can no longer be used."),
    InvitationProblem.USED: _lazy("This invitation has already been used to create an account."),
    InvitationProblem.ADDRESS_TAKEN: _lazy("An account already logs in with this address."),
}


def _unusable(problem: str) -> InvitationRefused:
    return InvitationRefused(PROBLEM_MESSAGES[problem], code=problem)


def invitation_problem(*, invitation: Invitation | None) -> str | None:
    """None when the invitation can be accepted now, else an `InvitationProblem`. The rule
    itself is the model's (`Invitation.can_be_accepted`); this names why it fails."""
    if invitation is None:
        return InvitationProblem.UNKNOWN
    if invitation.status == Invitation.Status.ACCEPTED or invitation.participant.user_id:
        return InvitationProblem.USED
    if invitation.can_be_accepted:
        return None
    if invitation.is_expired:
        return InvitationProblem.EXPIRED
    # Revoked, declined, or a message that never reached the person (bounced, failed, unsent).
    return InvitationProblem.REVOKED


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, password: str, language: str | None = None
) -> User:
    """Create the invited person's account, with the invited address verified (the link proved
    it), link it to their roster row, record their consent and close the invitation.
    `language`: the language the invitation's page was shown in when they accepted, which
    becomes the member's language (their pages and their mails).

    The invitation row is locked, so two submissions of the same link create one account.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("participant")
        .get(pk=invitation.pk)
    )
    problem = invitation_problem(invitation=invitation)
    if problem:
        raise _unusable(problem)
    try:
        # members owns the logins: the account, its allauth address, the link to the roster row.
        user = member_services.participant_create_account(
            participant=invitation.participant, email=invitation.email, password=password
        )
    except member_services.ParticipantRefused as error:
        if error.code == member_services.ADDRESS_TAKEN:
            # Someone (a staff account, another member) already logs in with this address.
            raise _unusable(InvitationProblem.ADDRESS_TAKEN) from None
        raise
    member_services.participant_record_consent(participant=user.participant)
    if language:
        member_services.participant_set_language(participant=user.participant, language=language)
    now = timezone.now()
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = now
    invitation.save(update_fields=["status", "accepted_at", "updated_at"])
    return user


@transaction.atomic
def invitation_decline(*, invitation: Invitation) -> Participant:
    """The person asked not to be invited again: record it and close their open invitations.

    The declined invitation keeps its link (status revoked), so opening it again says "you
    told us already" rather than "unknown link"; any other open one is revoked for good.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("participant")
        .get(pk=invitation.pk)
    )
    participant = member_services.participant_decline_invitations(
        participant=invitation.participant
    )
    now = timezone.now()
    fields = ["updated_at"]
    if invitation.declined_at is None:
        invitation.declined_at = now
        fields.append("declined_at")
    if invitation.status in Invitation.OPEN_STATUSES:
        invitation.status = Invitation.Status.REVOKED
        invitation.revoked_at = now
        fields += ["status", "revoked_at"]
    invitation.save(update_fields=fields)
    for other in Invitation.objects.filter(
        participant=participant, status__in=Invitation.OPEN_STATUSES
    ).exclude(pk=invitation.pk):
        sending.invitation_revoke(invitation=other)
    return participant
