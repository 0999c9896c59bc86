"""A person on the roster and their login: adding someone the roster lacks, creating and linking
the account an invitation leads to, and whether they may be invited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import Sentence
from members import audit
from members.extensions import member_joined_reactions
from members.languages import COUNTRY_LANGUAGES
from members.languages import DEFAULT_LANGUAGE
from members.models import Participant
from members.models import User
from members.services.refusals import ADDRESS_TAKEN
from members.services.refusals import ParticipantRefused


def login_exists(*, email: str) -> bool:
    """Someone (a member, a staff account) already logs in with this address."""
    return User.objects.filter(email__iexact=email.strip()).exists()


@transaction.atomic
def participant_create_account(*, participant: Participant, email: str, password: str) -> User:
    """Create the login of an invited participant (the invitation's link proved the address):
    the account, its address verified and primary as allauth keeps it, tied to their roster row.
    Refused (code `ADDRESS_TAKEN`) when someone already logs in with that address."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    if login_exists(email=email):
        raise ParticipantRefused(
            _("An account already logs in with %(email)s.") % {"email": email},
            code=ADDRESS_TAKEN,
        )
    user = User.objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    participant_link_user(participant=participant, user=user)
    return user


@transaction.atomic
def participant_link_user(*, participant: Participant, user: User) -> Participant:
    """Tie a new account to its roster row (an accepted invitation creates the account)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.user_id is not None and participant.user_id != user.pk:
        raise ValueError(f"Participant {participant.pk} is already linked to another account.")
    participant.user = user
    # The account's address is the one the invitation went to (the roster's, or the adviser's
    # correction), so its source stays; only the member's own change makes it theirs (MEMBER).
    participant.email = user.email
    participant.email_status = Participant.EmailStatus.OK
    participant.save(update_fields=["user", "email", "email_status", "updated_at"])
    # Other apps' welcome (community: the rooms a new member follows).
    for reaction in member_joined_reactions():
        reaction.react(participant=participant)
    return participant


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


@transaction.atomic
def participant_decline_invitations(*, participant: Participant) -> Participant:
    """The person asked not to be invited again."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not participant.declined_invitations:
        participant.declined_invitations = True
        participant.save(update_fields=["declined_invitations", "updated_at"])
    return participant


@transaction.atomic
def participants_guess_language(*, dry_run: bool = False, actor=None) -> dict[str, int]:
    """Give people imported before the roster guessed languages the language of their home
    country: only those not registered whose language is still the default English, so a member's
    choice stays and so does any language other than English the adviser set. Returns how many
    get each language; with `dry_run` nothing changes."""
    by_language: dict[str, list[str]] = {}
    for country, language in COUNTRY_LANGUAGES.items():
        by_language.setdefault(language, []).append(country)
    counts: dict[str, int] = {}
    for language, countries in sorted(by_language.items()):
        people = Participant.objects.filter(
            user__isnull=True,
            deleted_at__isnull=True,
            preferred_language=DEFAULT_LANGUAGE,
            home_country__in=countries,
        )
        counts[language] = people.count() if dry_run else people.update(preferred_language=language)
    if not dry_run and any(counts.values()):
        audit.record_staff_action(
            actor=actor,
            kind=audit.OTHER,
            summary=Sentence(
                gettext_noop("Invitation language guessed from the home country: %(counts)s"),
                {"counts": ", ".join(f"{count} {code}" for code, count in counts.items())},
            ),
            affected_count=sum(counts.values()),
        )
    return counts
