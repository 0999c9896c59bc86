"""Every change to the people data goes through a function here (other apps call these too)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.models import Participant
from members.models import User


@transaction.atomic
def participant_link_user(*, participant: Participant, user: User) -> Participant:
    """Tie a new account to its roster row (an accepted invitation creates the account)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.user_id is not None and participant.user_id != user.pk:
        raise ValueError(f"Participant {participant.pk} is already linked to another account.")
    participant.user = user
    participant.email = user.email
    participant.email_source = Participant.EmailSource.MEMBER
    participant.email_status = Participant.EmailStatus.OK
    participant.save(update_fields=["user", "email", "email_source", "email_status", "updated_at"])
    return participant


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


@transaction.atomic
def participant_mark_email_status(
    *, participant: Participant, status: Participant.EmailStatus
) -> Participant:
    """Record what the ESP told us about the address (delivered, bounced, complained)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
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


@transaction.atomic
def participant_record_consent(*, participant: Participant) -> Participant:
    """Record that the member accepted the current privacy notice."""
    participant.privacy_consent_at = timezone.now()
    participant.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    participant.save(update_fields=["privacy_consent_at", "privacy_notice_version", "updated_at"])
    return participant


@transaction.atomic
def participant_decline_invitations(*, participant: Participant) -> Participant:
    """The person asked not to be invited again."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not participant.declined_invitations:
        participant.declined_invitations = True
        participant.save(update_fields=["declined_invitations", "updated_at"])
    return participant


# --- added for the invitations app (triage of "I was not invited" requests) --------------------


@transaction.atomic
def participant_create(
    *,
    participant_id: str,
    first_name: str,
    last_name: str,
    email: str,
    home_country: str,
    exchange_year: int | None = None,
    partner_organisation: str = "",
) -> Participant:
    """Add a person the roster lacks (an adviser confirmed a request), with their exchange when
    they gave one. The address was typed by the adviser's source, so it starts as unknown."""
    participant = Participant.objects.create(
        participant_id=participant_id,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        email_source=Participant.EmailSource.ADVISER,
        email_status=Participant.EmailStatus.UNKNOWN,
        home_country=home_country,
    )
    if exchange_year or partner_organisation:
        from members.models import Exchange

        Exchange.objects.create(
            participant=participant,
            year=exchange_year,
            partner_organisation=partner_organisation.strip(),
        )
    return participant


@transaction.atomic
def participant_allow_invitations(*, participant: Participant) -> Participant:
    """The person asked to be invited after all (an invitation request): undo their decline."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.declined_invitations:
        participant.declined_invitations = False
        participant.save(update_fields=["declined_invitations", "updated_at"])
    return participant


# --- for newsletters ----------------------------------------------------------------------------


@transaction.atomic
def participant_set_newsletter_subscription(
    *, participant: Participant, subscribed: bool
) -> Participant:
    """Subscribe or unsubscribe (the newsletter's one-click link, the profile). Takes effect at
    once: the newsletter's next batch reads this flag under its own lock."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.newsletter_subscribed != subscribed:
        participant.newsletter_subscribed = subscribed
        participant.save(update_fields=["newsletter_subscribed", "updated_at"])
    return participant
