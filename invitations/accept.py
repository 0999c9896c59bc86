"""The participant's side of invitations: accepting, declining, asking for one.

Every state change here is a service (keyword-only, atomic, locks what it must); views, forms and
the admin call these and never re-implement a rule.
"""

from __future__ import annotations

import hashlib

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.models import new_token_nonce
from members import services as member_services
from members.models import Participant
from members.models import User
from norec_network.mail import render_email
from norec_network.mail import send_later


class InvitationProblem:
    """Why a link cannot be used; each has its own kind explanation on the page."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    ADDRESS_TAKEN = "address_taken"


class InvitationNotUsable(Exception):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


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
        raise InvitationNotUsable(problem)
    email = invitation.email.strip().lower()
    if get_user_model().objects.filter(email__iexact=email).exists():
        # Someone (a staff account, another member) already logs in with this address.
        raise InvitationNotUsable(InvitationProblem.ADDRESS_TAKEN)
    user = get_user_model().objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    participant = member_services.participant_link_user(
        participant=invitation.participant, user=user
    )
    member_services.participant_record_consent(participant=participant)
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
    others = (
        Invitation.objects.select_for_update()
        .filter(participant=participant, status__in=Invitation.OPEN_STATUSES)
        .exclude(pk=invitation.pk)
    )
    for other in others:
        other.status = Invitation.Status.REVOKED
        other.revoked_at = now
        other.token_nonce = new_token_nonce()
        other.save(update_fields=["status", "revoked_at", "token_nonce", "updated_at"])
    return participant


def rate_limit_exceeded(*, scope: str, key: str, limit: int, period: int) -> bool:
    """Count one attempt for (scope, key) in the cache; True once more than `limit` attempts
    fall in `period` seconds. The key is hashed so addresses never sit in the cache in clear."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"invitations:rl:{scope}:{digest}"
    cache.add(cache_key, 0, period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, period)
        count = 1
    return count > limit


def rate_limit_reached(*, scope: str, key: str, limit: int) -> bool:
    """Whether (scope, key) is already over its limit, without counting an attempt."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    return (cache.get(f"invitations:rl:{scope}:{digest}") or 0) > limit


def client_ip(request) -> str:
    # allauth's view of the client address, so our limits and its limits agree behind a proxy.
    return get_adapter(request).get_client_ip(request)


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
    send_later(
        render_email(
            "emails/invitations/request_received",
            {"request": request_row, "site_url": settings.SITE_URL},
            to=[request_row.email],
            language=language,
            reply_to=[settings.NETWORK_ADVISER_EMAIL],
        )
    )
    return request_row
