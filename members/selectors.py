"""Reads for member pages (the directory with its visibility rule, profiles, completeness) and
for the adviser's bad-address page."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from members.models import ContactMessage
from members.models import Exchange
from members.models import ExpertiseField
from members.models import Participant
from members.models import User
from members.services import fold_for_search

# The longest search a member can type is cut to this many words (each is one indexed LIKE).
MAX_SEARCH_WORDS = 5


def directory_visible() -> QuerySet[Participant]:
    """The one rule of who ever appears to other members: registered, with an active login, and
    visible by their own choice. Lists, counts, search and profile URLs all start here."""
    # Deactivated logins are few: excluding them by a small subquery keeps the users table out
    # of the join that every count would otherwise pay for (the partial indexes match the rest).
    return Participant.objects.filter(
        directory_visibility=Participant.Visibility.MEMBERS,
        user__isnull=False,
        deleted_at__isnull=True,
    ).filter(~Exists(User.objects.filter(pk=OuterRef("user_id"), is_active=False)))


def directory_visible_condition(participant_field: str) -> Exists:
    """True where the participant that `participant_field` (a field of the outer query holding a
    participant's id, e.g. a post's "author_id") names appears in the directory: the same rule
    as `directory_visible`, for other apps' lists that link a name to its profile only when
    the reader may open it (one subquery, no query per row)."""
    return Exists(directory_visible().filter(pk=OuterRef(participant_field)))


def _approved_expertise() -> Prefetch:
    return Prefetch(
        "expertise",
        queryset=ExpertiseField.objects.filter(is_approved=True),
        to_attr="approved_expertise",
    )


def directory_list(
    *,
    text: str = "",
    expertise: ExpertiseField | None = None,
    language=None,
    home_country: str = "",
    residence_country: str = "",
    host_country: str = "",
    programme: str = "",
    year: int | None = None,
) -> QuerySet[Participant]:
    """The directory's results in name order, with what a result card shows prefetched.

    Free text matches each word anywhere in names, organisation, position, approved fields of
    expertise and bio (`Participant.search_text`, trigram-indexed). Exchange filters apply to one
    and the same exchange (host country, programme and year together).
    """
    queryset = directory_visible()
    for word in fold_for_search(text).split()[:MAX_SEARCH_WORDS]:
        queryset = queryset.filter(search_text__contains=word)
    if expertise is not None:
        queryset = queryset.filter(
            Exists(
                Participant.expertise.through.objects.filter(
                    participant_id=OuterRef("pk"), expertisefield_id=expertise.pk
                )
            )
        )
    if language is not None:
        queryset = queryset.filter(
            Exists(
                Participant.languages.through.objects.filter(
                    participant_id=OuterRef("pk"), language_id=language.pk
                )
            )
        )
    if home_country:
        queryset = queryset.filter(home_country=home_country)
    if residence_country:
        queryset = queryset.filter(residence_country=residence_country)
    exchange_filter = {}
    if host_country:
        exchange_filter["host_country"] = host_country
    if programme:
        exchange_filter["programme"] = programme
    if year:
        exchange_filter["year"] = year
    if exchange_filter:
        queryset = queryset.filter(
            Exists(Exchange.objects.filter(participant_id=OuterRef("pk"), **exchange_filter))
        )
    return (
        queryset.order_by("last_name", "first_name", "id")
        .only(
            "id",
            "first_name",
            "last_name",
            "organisation",
            "position",
            "city",
            "residence_country",
            "home_country",
        )
        .prefetch_related(_approved_expertise())
    )


def directory_programmes() -> list[str]:
    """The programmes to filter by. They change only with a roster import, so a distinct over
    every exchange is cached for a while rather than run on every directory page."""

    def compute() -> list[str]:
        return list(
            Exchange.objects.exclude(programme="")
            .order_by("programme")
            .values_list("programme", flat=True)
            .distinct()
        )

    return cache.get_or_set("members:directory:programmes", compute, timeout=600)


def directory_profile_get(*, viewer: Participant | None, pk: int) -> Participant:
    """A member's profile as another member sees it: 404 unless the directory shows them. A
    member always sees their own profile (to check what others see)."""
    queryset = Participant.objects.filter(user__isnull=False, deleted_at__isnull=True)
    if viewer is None or viewer.pk != pk:
        queryset = directory_visible()
    participant = (
        queryset.filter(pk=pk)
        .prefetch_related(_approved_expertise(), "languages", "exchanges")
        .first()
    )
    if participant is None:
        raise Http404
    return participant


def contact_message_get_for_recipient(*, recipient: Participant, pk: int) -> ContactMessage:
    """A relayed message, only for the member it was sent to (anyone else gets a 404)."""
    message = (
        ContactMessage.objects.filter(pk=pk, recipient=recipient).select_related("sender").first()
    )
    if message is None:
        raise Http404
    return message


@dataclass(frozen=True)
class Completeness:
    percent: int
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


def profile_completeness(participant: Participant) -> Completeness:
    """What the member has not told yet, in the order the profile form asks. `expertise` and
    `languages` should be prefetched when this runs on a list."""
    checks = [
        (bool(participant.phone), _("your phone number")),
        (bool(participant.residence_country), _("your country of residence")),
        (bool(participant.city), _("your city")),
        (bool(participant.organisation), _("your organisation")),
        (bool(participant.position), _("your position")),
        (bool(participant.expertise.all()), _("your fields of expertise")),
        (bool(participant.languages.all()), _("the languages you speak")),
        (bool(participant.bio), _("a short bio")),
        (bool(participant.time_zone), _("your time zone")),
        (participant.visibility_chosen_at is not None, _("whether other members may find you")),
        (bool(participant.privacy_consent_at), _("that you have read the privacy notice")),
    ]
    missing = [str(label) for done, label in checks if not done]
    percent = round(100 * (len(checks) - len(missing)) / len(checks))
    return Completeness(percent=percent, missing=missing)


def bad_addresses_by_country() -> list[dict]:
    """Participants whose address bounced or complained, counted per home country (not yet
    registered: a member's own address is theirs to fix)."""
    return list(
        Participant.objects.with_bad_address()
        .order_by()
        .values("home_country")
        .annotate(
            bounced=Count("pk", filter=Q(email_status=Participant.EmailStatus.BOUNCED)),
            complained=Count("pk", filter=Q(email_status=Participant.EmailStatus.COMPLAINED)),
            total=Count("pk"),
        )
        .order_by("-total", "home_country")
    )
