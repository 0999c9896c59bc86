"""The import itself: read, group, check addresses, then write every good row in one transaction."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import connection
from django.db import transaction
from django.utils import timezone

from members import audit
from members.audit import record_staff_action
from members.languages import language_for_country
from members.models import Exchange
from members.models import Participant
from members.roster_import.decoding import read_roster
from members.roster_import.grouping import Person
from members.roster_import.grouping import group_people
from members.roster_import.report import ImportReport
from members.roster_import.shared_addresses import address_is_protected
from members.roster_import.shared_addresses import chunks
from members.roster_import.shared_addresses import reject_shared_addresses
from members.services import participant_refresh_search_text

logger = logging.getLogger(__name__)


def _lock_roster_import() -> None:
    """Two imports at once would race on new roster ids: the second waits for the first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x4E6F726563])  # "Norec"


@transaction.atomic
def roster_import(
    *, data: bytes, dry_run: bool = False, actor=None, source: str = ""
) -> ImportReport:
    """Import a roster file (bytes). Raises ParticipantRefused when the file as a whole is unusable.

    Every good row is applied in this one transaction; with `dry_run` nothing is written and the
    report is the same.
    """
    report = ImportReport(dry_run=dry_run, source=source)
    rows = read_roster(data, report)
    people = group_people(rows, report)

    if not dry_run:
        _lock_roster_import()
    existing: dict[str, Participant] = {}
    roster_ids = sorted(people)
    for chunk in chunks(roster_ids):
        queryset = Participant.objects.filter(participant_id__in=chunk).only(
            "id",
            "participant_id",
            "first_name",
            "last_name",
            "email",
            "email_source",
            "email_status",
            "phone",
            "home_country",
            "preferred_language",
            "user_id",
        )
        if not dry_run:
            queryset = queryset.select_for_update()
        existing.update({participant.participant_id: participant for participant in queryset})

    report.people_in_file = len(
        {row.participant_id for row in rows}
        | {problem.participant_id for problem in report.errors if problem.participant_id}
    )
    reject_shared_addresses(people, existing, report)

    known_exchanges: dict[int, set[tuple]] = defaultdict(set)
    existing_pks = [participant.pk for participant in existing.values()]
    for chunk in chunks(existing_pks):
        for pk, *key in Exchange.objects.filter(participant_id__in=chunk).values_list(
            "participant_id", "year", "host_country", "partner_organisation", "programme"
        ):
            known_exchanges[pk].add(tuple(key))

    now = timezone.now()
    to_create: list[Participant] = []
    to_update: list[Participant] = []
    new_exchanges: list[tuple[str, tuple]] = []
    for participant_id, person in people.items():
        participant = existing.get(participant_id)
        if participant is None:
            to_create.append(
                Participant(
                    participant_id=participant_id,
                    first_name=person.get("first_name"),
                    last_name=person.get("last_name"),
                    email=person.get("email"),
                    phone=person.get("phone"),
                    home_country=person.get("home_country"),
                    preferred_language=person.get("preferred_language")
                    or language_for_country(person.get("home_country")),
                )
            )
            new_exchanges.extend((participant_id, key) for key in person.exchanges)
            report.created += 1
            continue
        changed = _apply_changes(participant, person, report)
        added = [key for key in person.exchanges if key not in known_exchanges[participant.pk]]
        new_exchanges.extend((participant_id, key) for key in added)
        if changed:
            participant.updated_at = now
            to_update.append(participant)
        if changed or added:
            report.updated += 1
        else:
            report.unchanged += 1
    report.exchanges_added = len(new_exchanges)
    report.errors.sort(key=lambda problem: problem.line)
    report.warnings.sort(key=lambda problem: problem.line)

    if not dry_run:
        Participant.objects.bulk_create(to_create, batch_size=1000)
        Participant.objects.bulk_update(
            to_update,
            [
                "first_name",
                "last_name",
                "email",
                "email_status",
                "phone",
                "home_country",
                "preferred_language",
                "updated_at",
            ],
            batch_size=500,
        )
        # A renamed member stays findable under the new name in the directory.
        for participant in to_update:
            if participant.user_id is not None:
                participant_refresh_search_text(participant=participant)
        pks = {participant.participant_id: participant.pk for participant in existing.values()}
        pks.update({participant.participant_id: participant.pk for participant in to_create})
        Exchange.objects.bulk_create(
            [
                Exchange(
                    participant_id=pks[roster_id],
                    year=year,
                    host_country=host,
                    partner_organisation=partner,
                    programme=programme,
                )
                for roster_id, (year, host, partner, programme) in new_exchanges
            ],
            batch_size=1000,
        )
    if not dry_run:
        record_staff_action(
            actor=actor,
            kind=audit.ROSTER_IMPORT,
            summary=report.audit_summary(),
            affected_count=report.created + report.updated,
        )
    logger.info(
        "Roster import%s by %s from %r: %s",
        " (dry run)" if dry_run else "",
        getattr(actor, "email", None) or "command line",
        source,
        report.summary(),
    )
    return report


def _apply_changes(participant: Participant, person: Person, report: ImportReport) -> bool:
    """Copy the file's values onto an existing participant; True when anything changed."""
    changed = False
    for name in ("first_name", "last_name"):
        value = person.get(name)
        if value and value != getattr(participant, name):
            setattr(participant, name, value)
            changed = True
    home_country = person.get("home_country")
    if home_country and home_country != (participant.home_country.code or ""):
        participant.home_country = home_country
        changed = True
    phone = person.get("phone")
    current_phone = participant.phone.as_e164 if participant.phone else ""
    if phone and phone != current_phone:
        participant.phone = phone
        changed = True
    # Only the file's own column changes a known participant's language (an adviser's edit stays
    # when the file has none), and never a member's: they chose it in their profile.
    language = person.get("preferred_language")
    if language and participant.user_id is None and language != participant.preferred_language:
        participant.preferred_language = language
        changed = True
    email = person.get("email")
    if email and email != participant.email.lower():
        if address_is_protected(participant):
            report.addresses_kept += 1
        else:
            participant.email = email
            participant.email_status = Participant.EmailStatus.UNKNOWN
            changed = True
    return changed
