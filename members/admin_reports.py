"""Read-only roster reports for the adviser: the CSV exports' rows and the counts by country."""

from collections.abc import Iterable
from collections.abc import Iterator

from django.db.models import Count
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_countries import countries

from members.extensions import ever_invited_condition
from members.models import Exchange
from members.models import Participant
from members.models import bad_address_q

EXPORT_CHUNK_SIZE = 2000


def _yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def participant_export_header() -> list[str]:
    return [
        _("roster id"),
        _("first name"),
        _("last name"),
        _("email address"),
        _("email status"),
        _("email set by"),
        _("phone"),
        _("home country"),
        _("preferred language"),
        _("registered"),
        _("declined invitations"),
        _("resource person"),
        _("directory visibility"),
        _("number of exchanges"),
        _("exchanges"),
    ]


def _exchange_summary(exchange: Exchange) -> str:
    parts = [
        str(exchange.year or "?"),
        exchange.host_country.name if exchange.host_country else "",
        exchange.programme,
        exchange.partner_organisation,
    ]
    return " / ".join(part for part in parts if part)


def participant_export_row(participant: Participant) -> list[str]:
    exchanges = list(participant.exchanges.all())
    return [
        participant.participant_id,
        participant.first_name,
        participant.last_name,
        participant.address_of_record,
        participant.get_email_status_display(),
        participant.get_email_source_display(),
        str(participant.phone) if participant.phone else "",
        participant.home_country.name if participant.home_country else "",
        participant.get_preferred_language_display(),
        _yes_no(participant.is_registered),
        _yes_no(participant.declined_invitations),
        _yes_no(participant.resource_person),
        participant.get_directory_visibility_display(),
        str(len(exchanges)),
        "; ".join(_exchange_summary(exchange) for exchange in exchanges),
    ]


def participant_export_rows(queryset: QuerySet) -> Iterator[list[str]]:
    """A row for every participant the queryset selects, read in chunks.

    The queryset is iterated with a server-side cursor and its exchanges prefetched per chunk, so
    memory stays flat however many rows the filters select.
    """
    rows: Iterable[Participant] = (
        queryset.select_related("user")
        .prefetch_related(Prefetch("exchanges", queryset=Exchange.objects.order_by("year", "id")))
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    for participant in rows:
        yield participant_export_row(participant)


def participant_counts_by_country() -> list[dict]:
    """Per home country: participants, registered, with a bad address, and never invited (when
    the invitations app says who was; see `members.extensions.register_ever_invited`).

    One aggregate query, largest country first.
    """
    figures = {
        "participants": Count("id"),
        "registered": Count("id", filter=Q(user__isnull=False)),
        "bad_address": Count("id", filter=bad_address_q()),
    }
    ever_invited = ever_invited_condition()
    if ever_invited is not None:
        figures["never_invited"] = Count("id", filter=~ever_invited)
    rows = Participant.objects.order_by().values("home_country").annotate(**figures)
    result = [
        {
            "code": row["home_country"],
            "name": countries.name(row["home_country"]) if row["home_country"] else "",
            **{key: row[key] for key in figures},
        }
        for row in rows
    ]
    result.sort(key=lambda row: (-row["participants"], row["name"]))
    return result


def resource_person_export_header() -> list[str]:
    return [
        _("roster id"),
        _("first name"),
        _("last name"),
        _("email address"),
        _("phone"),
        _("country of residence"),
        _("city"),
        _("home country"),
        _("organisation"),
        _("position"),
        _("fields of expertise"),
        _("languages"),
        _("LinkedIn profile"),
        _("time zone"),
    ]


def resource_person_export_rows(queryset: QuerySet) -> Iterator[list[str]]:
    """A row for each resource person the admin's filters select (read as above)."""
    rows: Iterable[Participant] = (
        queryset.select_related("user")
        .prefetch_related("expertise", "languages")
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    for person in rows:
        yield [
            person.participant_id,
            person.first_name,
            person.last_name,
            person.address_of_record,
            str(person.phone) if person.phone else "",
            person.residence_country.name if person.residence_country else "",
            person.city,
            person.home_country.name if person.home_country else "",
            person.organisation,
            person.position,
            "; ".join(field.name for field in person.expertise.all()),
            "; ".join(language.name for language in person.languages.all()),
            person.linkedin_url,
            person.time_zone,
        ]
