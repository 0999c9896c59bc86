"""What the directory's free-text search reads, folded so that typing without accents finds."""

from __future__ import annotations

import unicodedata

from members.models import Participant


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
