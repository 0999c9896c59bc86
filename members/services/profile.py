"""What the member says about themselves: the profile page, fields of expertise, and whether they
receive the newsletter (from the profile, the newsletter's link or their mail provider)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from members.services.addresses import is_current_address
from members.services.search import participant_refresh_search_text

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

# How a member left the newsletter (`Participant.newsletter_unsubscribe_source`); an ESP's
# report is "esp:<anymail's name for it>", e.g. "esp:postmark".
NEWSLETTER_SOURCE_LINK = "unsubscribe link"
NEWSLETTER_SOURCE_PROFILE = "profile"
# Staff changed it on the participant's admin page (the member asked them to, say).
NEWSLETTER_SOURCE_STAFF = "staff"


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
    if not is_current_address(participant, address):
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
