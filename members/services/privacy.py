"""The member's rights over their data: consent to the privacy notice, "Download my data", and
deleting the account."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.mail import outgoing_mails_erase
from core.mail import outgoing_mails_export
from members.models import ContactMessage
from members.models import Participant


@transaction.atomic
def participant_record_consent(*, participant: Participant) -> Participant:
    """Record that the member accepted the current privacy notice."""
    participant.privacy_consent_at = timezone.now()
    participant.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    participant.save(update_fields=["privacy_consent_at", "privacy_notice_version", "updated_at"])
    return participant


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
def participant_delete_account(
    *, participant: Participant, choices: Mapping[str, str] | None = None
) -> Participant:
    """Erase the member's login and profile; keep only the roster's own columns.

    Kept: the roster id, names, address and home country as Norec's records hold them, and the
    exchanges, so that a re-import does not bring the person back as new; the
    declined-invitations flag is set so that no wave invites them again by mistake. `deleted_at`
    tells staff that it happened. Erased: the account (login, its addresses, authenticators,
    sessions), the phone number, every profile field, the messages they sent or received, the
    log of the mails sent to them, and whatever the other apps registered as personal data
    (invitations, registrations, deliveries). `choices`: the member's answers to the questions
    those apps ask at deletion (`DeletionChoice`), by source name; an unanswered one gets its
    default.
    """
    from members.extensions import personal_data_sources

    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    choices = choices or {}
    for source in personal_data_sources():
        question = source.deletion_choice
        if question is None:
            source.erase(participant)
            continue
        choice = choices.get(source.name, question.default)
        if choice not in question.values():
            raise ValueError(f"{source.name}: {choice!r} is not one of {question.values()}")
        source.erase(participant, choice=choice)
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
