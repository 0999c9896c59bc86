"""The participant's side of invitations: accepting, declining, asking for one.

Every state change here is a service (keyword-only, atomic, locks what it must); views, forms and
the admin call these and never re-implement a rule.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.mail import send_later
from invitations import services as sending
from invitations.models import Invitation
from invitations.models import InvitationRequest
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
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Create the invited person's account, with the invited address verified (the link proved
    it), link it to their roster row, record their consent and close the invitation.

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


@transaction.atomic
def invitation_request_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    home_country: str,
    exchange_year: int | None,
    partner_organisation: str,
    message: str,
    language: str | None = None,
) -> InvitationRequest:
    """Record a request and confirm it by mail.

    Deliberately does not look at the roster: the answer (page and mail) is the same whoever
    asks, and takes the same time, so it never tells whether someone is on the roster.
    """
    request_row = InvitationRequest.objects.create(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        home_country=home_country,
        exchange_year=exchange_year,
        partner_organisation=partner_organisation.strip(),
        message=message.strip(),
    )
    # No participant: the request is not matched against the roster, so nothing here depends on it.
    send_later(
        template="emails/invitations/request_received",
        context={"request": request_row, "site_url": settings.SITE_URL},
        to=request_row.email,
        language=language,
        reply_to=[settings.NETWORK_ADVISER_EMAIL],
    )
    return request_row


# --- the adviser's triage of requests -----------------------------------------------------------


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


# --- personal data and demo data (registered from the app config) -------------------------------


def _requests_of(participant: Participant):
    addresses = {
        address for address in (participant.email, participant.address_of_record) if address
    }
    return InvitationRequest.objects.filter(
        Q(matched_participant=participant) | Q(email__in=[a.lower() for a in addresses])
    ).order_by("created_at", "pk")


def invitation_requests_export(participant: Participant) -> list[dict]:
    """For "Download my data": the invitation requests this person sent."""
    return [
        {
            "received": row.created_at.isoformat(),
            "first_name": row.first_name,
            "last_name": row.last_name,
            "email": row.email,
            "home_country": str(row.home_country),
            "exchange_year": row.exchange_year,
            "partner_organisation": row.partner_organisation,
            "message": row.message,
            "status": row.status,
        }
        for row in _requests_of(participant)
    ]


def invitation_requests_erase(participant: Participant) -> None:
    """When the member deletes their account, their requests go too."""
    _requests_of(participant).delete()


DEMO_REQUEST_EMAILS = ("demo.request.moved@example.net", "demo.request.stranger@example.net")


@transaction.atomic
def invitation_requests_seed_demo() -> str:
    """Two open requests for the adviser to triage: a roster participant whose address changed,
    and someone the roster does not know. Safe to re-run."""
    if InvitationRequest.objects.filter(email__in=DEMO_REQUEST_EMAILS).exists():
        return "invitation requests: already there"
    moved = (
        Participant.objects.filter(user__isnull=True, participant_id__startswith="DEMO-")
        .exclude(home_country="")
        .order_by("participant_id")
        .first()
    )
    rows = []
    if moved is not None:
        exchange = moved.exchanges.order_by("year").first()
        rows.append(
            InvitationRequest(
                first_name=moved.first_name,
                last_name=moved.last_name,
                email=DEMO_REQUEST_EMAILS[0],
                home_country=moved.home_country,
                exchange_year=exchange.year if exchange else None,
                partner_organisation=exchange.partner_organisation if exchange else "",
                message="I have a new email address. The old one at work is closed.",
            )
        )
    rows.append(
        InvitationRequest(
            first_name="Grace",
            last_name="Nanyonjo",
            email=DEMO_REQUEST_EMAILS[1],
            home_country="UG",
            exchange_year=2016,
            partner_organisation="Mengo Hospital",
            message="I was on an exchange in Norway but never received an invitation.",
        )
    )
    InvitationRequest.objects.bulk_create(rows)
    return f"invitation requests: {len(rows)} open"
