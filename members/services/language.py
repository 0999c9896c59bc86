"""The member's language: the language of their pages and of every mail Norec sends them."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from members.models import Participant


@transaction.atomic
def participant_set_language(*, participant: Participant, language: str) -> Participant:
    """Set the person's language (the footer's switcher, the invitation's page when they accept).
    Their pages follow it once they log in, and every mail to them from then on."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(f"The portal does not offer the language {language!r}.")
    if participant.preferred_language != language:
        participant.preferred_language = language
        participant.save(update_fields=["preferred_language", "updated_at"])
    return participant
