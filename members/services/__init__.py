"""Every change to the people data goes through a function here (other apps call these too)."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.mail import outgoing_mails_erase
from core.mail import outgoing_mails_export
from core.mail import send_later
from core.ratelimit import RateLimit
from core.refusals import Refused
from members import audit
from members.audit import record_staff_action
from members.extensions import address_change_reactions
from members.models import ContactMessage
from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from members.models import StaffAction
from members.models import User


class ParticipantRefused(Refused):
    """members' "no": an address correction, a contact message, an account or a roster file
    that cannot be made (see `core.refusals`)."""


# `ParticipantRefused.code` of the refusals a caller may treat apart.
ADDRESS_TAKEN = "address_taken"
CONTACT_RATE_LIMITED = "contact_rate_limited"
CONTACT_UNDELIVERABLE = "contact_undeliverable"


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


def _is_current_address(participant: Participant, address: str | None) -> bool:
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


def _record_address_change(
    *, participant: Participant, before: dict, actor, summary: str, extra: dict | None = None
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
        summary=f"Address of {participant.full_name} ({participant.participant_id}) corrected: "
        f"{before['email'] or '(none)'} → {participant.email or '(none)'}",
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
        summary=f"Address of {participant.full_name} ({participant.participant_id}) put back: "
        f"{before['email'] or '(none)'} → {participant.email or '(none)'}",
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
    if not _is_current_address(participant, address):
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


# --- profile (members) ---------------------------------------------------------------------

# The profile fields a member edits on their own page (names live on the participant).
PROFILE_FIELDS = [
    "first_name",
    "last_name",
    "phone",
    "residence_country",
    "city",
    "organisation",
    "position",
    "bio",
    "linkedin_url",
    "time_zone",
    "preferred_language",
    "newsletter_subscribed",
    "directory_visibility",
    "resource_person",
]


def fold_for_search(text: str) -> str:
    """Lower case without accents, for the stored search text and the words searched alike, so
    that "jose" finds "José" and "cote d'ivoire" finds "Côte d'Ivoire" (members type on phones
    and keyboards without those letters)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _search_text(participant: Participant) -> str:
    expertise = [field.name for field in participant.expertise.all() if field.is_approved]
    parts = [
        participant.first_name,
        participant.last_name,
        participant.organisation,
        participant.position,
        *expertise,
        participant.bio,
    ]
    return fold_for_search(" ".join(part for part in parts if part))


def participant_refresh_search_text(*, participant: Participant) -> Participant:
    """Recompute what the directory's free-text search reads (see `Participant.search_text`)."""
    text = _search_text(participant)
    if text != participant.search_text:
        participant.search_text = text
        Participant.objects.filter(pk=participant.pk).update(search_text=text)
    return participant


@transaction.atomic
def expertise_suggest(*, name: str) -> ExpertiseField:
    """A member's new field of expertise: unapproved (hidden from the directory and the list
    others pick from) until staff approve it in the admin. An existing name is reused."""
    name = " ".join(name.split())[:100]
    existing = ExpertiseField.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    return ExpertiseField.objects.create(name=name, is_approved=False)


@transaction.atomic
def participant_update_profile(
    *,
    participant: Participant,
    data: dict,
    expertise: list[ExpertiseField] | None = None,
    languages: list[Language] | None = None,
    suggested_expertise: str = "",
    consent: bool = False,
) -> Participant:
    """Save what the member typed on their profile page.

    `data` holds `PROFILE_FIELDS` values (others are ignored, so a form cannot reach roster-only
    columns). Answering the visibility question records when it was answered; ticking the privacy
    notice records consent with the notice's version.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    was_subscribed = participant.newsletter_subscribed
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(participant, field, data[field])
    if participant.newsletter_subscribed != was_subscribed:
        _note_newsletter_choice(participant, source=NEWSLETTER_SOURCE_PROFILE)
    if "directory_visibility" in data and participant.visibility_chosen_at is None:
        participant.visibility_chosen_at = timezone.now()
    if consent:
        participant.privacy_consent_at = timezone.now()
        participant.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    participant.save()
    if expertise is not None:
        chosen = list(expertise)
        # Unapproved suggestions the member made earlier stay on their profile until staff decide.
        chosen += list(participant.expertise.filter(is_approved=False))
        if suggested_expertise.strip():
            chosen.append(expertise_suggest(name=suggested_expertise))
        participant.expertise.set(chosen)
    if languages is not None:
        participant.languages.set(languages)
    participant_refresh_search_text(participant=participant)
    return participant


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


# --- contact relay (members) ---------------------------------------------------------------

# Per sender (a logged-in member, so not per client address); every message counts.
CONTACT_LIMITS = (
    RateLimit(scope="members:contact-hour", amount=5, period=60 * 60),
    RateLimit(scope="members:contact-day", amount=20, period=24 * 60 * 60),
)


@transaction.atomic
def contact_message_send(
    *, sender: Participant, recipient: Participant, subject: str, body: str
) -> ContactMessage:
    """Relay a message from one member to another (see `ContactMessage` for what is revealed)."""
    if sender.pk == recipient.pk:
        raise ValueError("A member cannot write to themselves.")
    if not recipient.mailable_address:
        # Their address bounced or was complained about: the message could not arrive.
        raise ParticipantRefused(
            _(
                "Messages to this member cannot be delivered at the moment: their email "
                "address does not work. Please try another way."
            ),
            code=CONTACT_UNDELIVERABLE,
        )
    if any(limit.hit(str(sender.pk)) for limit in CONTACT_LIMITS):
        raise ParticipantRefused(
            _("You have sent many messages in a short time. Please wait an hour and try again."),
            code=CONTACT_RATE_LIMITED,
        )
    message = ContactMessage.objects.create(
        sender=sender, recipient=recipient, subject=subject.strip(), body=body.strip()
    )
    # The mail refers to the message; its text is read from there when the mail is rendered, so
    # the mail's row holds none of it.
    context = {
        "message": message,
        "sender_name": sender.full_name,
        "recipient_name": recipient.first_name,
        "reply_url": settings.SITE_URL + reverse("members:message", args=[message.pk]),
    }
    send_later(
        template="emails/members/contact_message",
        context=context,
        to=recipient.mailable_address,
        participant_id=recipient.pk,
        language=recipient.preferred_language,
    )
    return message


@transaction.atomic
def contact_message_reply(*, message: ContactMessage, body: str) -> ContactMessage:
    """The recipient answers: the sender gets the reply with the recipient's address as Reply-To
    (answering is the recipient's choice to be in touch)."""
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    message.reply_body = body.strip()
    message.replied_at = timezone.now()
    message.save(update_fields=["reply_body", "replied_at"])
    recipient, sender = message.recipient, message.sender
    context = {
        "message": message,
        "replier_name": recipient.full_name,
        "replier_email": recipient.address_of_record,
        "sender_name": sender.first_name,
    }
    if not sender.mailable_address:
        # The sender's address no longer works: the reply is recorded, no mail is attempted.
        return message
    send_later(
        template="emails/members/contact_reply",
        context=context,
        to=sender.mailable_address,
        participant_id=sender.pk,
        language=sender.preferred_language,
        reply_to=[recipient.address_of_record],
    )
    return message


# --- privacy: download and delete (members) -------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def participant_export_data(*, participant: Participant) -> dict:
    """Everything the portal holds about the member, for "Download my data" (JSON-serialisable).
    The other apps add theirs through `members.extensions.register_personal_data_source`."""
    from allauth.account.models import EmailAddress

    from members.extensions import personal_data_sources

    user = participant.user
    data = {
        "notice": "Everything Norec Network holds about you, as of the date below.",
        "exported_at": _iso(timezone.now()),
        "roster": {
            "roster_id": participant.participant_id,
            "first_name": participant.first_name,
            "last_name": participant.last_name,
            "email": participant.email,
            "email_status": participant.email_status,
            "phone": str(participant.phone) if participant.phone else "",
            "home_country": str(participant.home_country),
            "declined_invitations": participant.declined_invitations,
        },
        "profile": {
            "residence_country": str(participant.residence_country),
            "city": participant.city,
            "organisation": participant.organisation,
            "position": participant.position,
            "fields_of_expertise": [field.name for field in participant.expertise.all()],
            "languages": [language.name for language in participant.languages.all()],
            "bio": participant.bio,
            "linkedin_url": participant.linkedin_url,
            "time_zone": participant.time_zone,
            "preferred_language": participant.preferred_language,
            "newsletter_subscribed": participant.newsletter_subscribed,
            "newsletter_unsubscribed_at": _iso(participant.newsletter_unsubscribed_at),
            "newsletter_unsubscribed_through": participant.newsletter_unsubscribe_source,
            "directory_visibility": participant.directory_visibility,
            "resource_person": participant.resource_person,
            "privacy_consent_at": _iso(participant.privacy_consent_at),
            "privacy_notice_version": participant.privacy_notice_version,
        },
        "account": {
            "login_email": user.email if user else "",
            "joined_at": _iso(user.date_joined) if user else None,
            "last_login": _iso(user.last_login) if user else None,
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user)
            ]
            if user
            else [],
        },
        "exchanges": [
            {
                "year": exchange.year,
                "host_country": str(exchange.host_country),
                "partner_organisation": exchange.partner_organisation,
                "programme": exchange.programme,
            }
            for exchange in participant.exchanges.all()
        ],
        "messages_sent": [
            {
                "to": m.recipient.full_name,
                "subject": m.subject,
                "body": m.body,
                "sent_at": _iso(m.created_at),
                "reply": m.reply_body,
            }
            for m in participant.contact_messages_sent.select_related("recipient")
        ],
        "messages_received": [
            {
                "from": m.sender.full_name,
                "subject": m.subject,
                "body": m.body,
                "sent_at": _iso(m.created_at),
                "reply": m.reply_body,
            }
            for m in participant.contact_messages_received.select_related("sender")
        ],
        "mails_sent_to_you": outgoing_mails_export(participant_id=participant.pk),
    }
    for source in personal_data_sources():
        data[source.name] = source.export(participant)
    return data


@transaction.atomic
def participant_delete_account(*, participant: Participant) -> Participant:
    """Erase the member's login and profile; keep only the roster's own columns.

    Kept: the roster id, names, address and home country as Norec's records hold them, and the
    exchanges, so that a re-import does not bring the person back as new; the
    declined-invitations flag is set so that no wave invites them again by mistake. `deleted_at`
    tells staff that it happened. Erased: the account (login, its addresses, authenticators,
    sessions), the phone number, every profile field, the messages they sent or received, the
    log of the mails sent to them, and whatever the other apps registered as personal data
    (invitations, registrations, deliveries).
    """
    from members.extensions import personal_data_sources

    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    for source in personal_data_sources():
        source.erase(participant)
    ContactMessage.objects.filter(sender=participant).delete()
    ContactMessage.objects.filter(recipient=participant).delete()
    outgoing_mails_erase(participant_id=participant.pk)
    participant.expertise.clear()
    participant.languages.clear()
    user = participant.user
    defaults = {
        "phone": "",
        "residence_country": "",
        "city": "",
        "organisation": "",
        "position": "",
        "bio": "",
        "linkedin_url": "",
        "time_zone": "",
        "preferred_language": "en",
        "directory_visibility": Participant.Visibility.HIDDEN,
        "newsletter_subscribed": False,
        # Their account's end, not an unsubscription: `deleted_at` says why no newsletter goes.
        "newsletter_unsubscribed_at": None,
        "newsletter_unsubscribe_source": "",
        "resource_person": False,
        "privacy_consent_at": None,
        "privacy_notice_version": "",
        "visibility_chosen_at": None,
        "search_text": "",
    }
    for field, value in defaults.items():
        setattr(participant, field, value)
    participant.user = None
    participant.declined_invitations = True
    if participant.email_source == Participant.EmailSource.MEMBER:
        # An address the member chose is not Norec's record: it goes with the account (the
        # declined flag, not the address, keeps them from being invited again).
        participant.email = ""
    participant.email_source = Participant.EmailSource.ROSTER
    participant.deleted_at = timezone.now()
    participant.save()
    if user is not None:
        # Its other sessions end with it: Django finds no user behind them any more.
        user.delete()
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


# How a member left the newsletter (`Participant.newsletter_unsubscribe_source`); an ESP's
# report is "esp:<anymail's name for it>", e.g. "esp:postmark".
NEWSLETTER_SOURCE_LINK = "unsubscribe link"
NEWSLETTER_SOURCE_PROFILE = "profile"


def _note_newsletter_choice(participant: Participant, *, source: str) -> list[str]:
    """Keep how and when an unsubscription came with it; subscribing again clears both."""
    if participant.newsletter_subscribed:
        participant.newsletter_unsubscribed_at = None
        participant.newsletter_unsubscribe_source = ""
    else:
        participant.newsletter_unsubscribed_at = timezone.now()
        participant.newsletter_unsubscribe_source = source[:40]
    return ["newsletter_unsubscribed_at", "newsletter_unsubscribe_source"]


@transaction.atomic
def participant_set_newsletter_subscription(
    *,
    participant: Participant,
    subscribed: bool,
    source: str = "",
    address: str | None = None,
) -> Participant:
    """Subscribe or unsubscribe: the newsletter's one-click link, the profile, or the member's mail
    provider as the ESP reports it (`source`, kept with the unsubscription). Takes effect at once:
    the newsletter's next batch reads this flag under its own lock.

    `address` is the address an ESP's report is about: it speaks for the participant only while
    that is still their address (as for bounces, see `participant_mark_email_status`)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not _is_current_address(participant, address):
        return participant
    if participant.newsletter_subscribed != subscribed:
        participant.newsletter_subscribed = subscribed
        changed = _note_newsletter_choice(participant, source=source)
        participant.save(update_fields=["newsletter_subscribed", *changed, "updated_at"])
    return participant


def participant_apply_esp_unsubscribe(*, participant_id: int, address: str, source: str) -> None:
    """The recipient of a message to `address` left through their mail provider or the ESP: they
    leave the newsletter. Called by the bulk sender's tracking through the hook registered in
    `MembersConfig.ready()`."""
    participant = Participant.objects.filter(pk=participant_id).first()
    if participant is not None:
        participant_set_newsletter_subscription(
            participant=participant, subscribed=False, source=source, address=address
        )
