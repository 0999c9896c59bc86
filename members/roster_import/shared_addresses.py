"""Two people never share an address, and an address the member or the adviser set is theirs:
the roster does not overwrite it."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from members.models import Participant
from members.roster_import.grouping import Person
from members.roster_import.report import ImportReport
from members.roster_import.report import RowProblem

QUERY_CHUNK = 2000


def chunks(values: list, size: int = QUERY_CHUNK):
    """A long list of ids or addresses in slices, so that no query's IN (...) grows unbounded."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def address_is_protected(participant: Participant) -> bool:
    """An address the member or the adviser set is newer knowledge than the roster's."""
    return (
        participant.user_id is not None
        or participant.email_source != Participant.EmailSource.ROSTER
    )


def _final_email(person: Person, existing: Participant | None) -> str:
    if existing is None:
        return person.get("email")
    if address_is_protected(existing) or not person.get("email"):
        return existing.email.lower()
    return person.get("email")


def reject_shared_addresses(
    people: dict[str, Person], existing: dict[str, Participant], report: ImportReport
) -> None:
    """Two people never share an address: reject whoever would take someone else's."""
    emails = sorted({_final_email(p, existing.get(pid)) for pid, p in people.items()} - {""})
    holders: dict[str, set[str]] = defaultdict(set)
    login_holders: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(emails):
        for roster_id, email in Participant.objects.filter(email__in=chunk).values_list(
            "participant_id", "email"
        ):
            holders[email.lower()].add(roster_id)
        for roster_id, email in Participant.objects.filter(user__email__in=chunk).values_list(
            "participant_id", "user__email"
        ):
            login_holders[email.lower()].add(roster_id)

    while True:
        claims: dict[str, list[str]] = defaultdict(list)
        for participant_id, person in people.items():
            email = _final_email(person, existing.get(participant_id))
            if email:
                claims[email].append(participant_id)
        rejected: dict[str, str] = {}
        for email, claimants in claims.items():
            keepers = {
                holder
                for holder in holders.get(email, ())
                if holder not in people
                or holder in login_holders.get(email, ())
                or _final_email(people[holder], existing.get(holder)) == email
            } | set(login_holders.get(email, ()))
            if keepers:
                keeper_list = ", ".join(sorted(keepers))
                for participant_id in claimants:
                    if participant_id not in keepers:
                        rejected[participant_id] = _(
                            "the address %(email)s already belongs to roster id %(other)s; two "
                            "people cannot share an address"
                        ) % {"email": email, "other": keeper_list}
            elif len(claimants) > 1:
                for participant_id in claimants:
                    others = [
                        f"{other} (" + _("line %(line)d") % {"line": people[other].lines[0]} + ")"
                        for other in claimants
                        if other != participant_id
                    ]
                    rejected[participant_id] = _(
                        "the address %(email)s is also given for roster id %(others)s; two "
                        "people cannot share an address"
                    ) % {"email": email, "others": ", ".join(others)}
        if not rejected:
            return
        for participant_id, reason in rejected.items():
            person = people.pop(participant_id)
            report.errors.extend(RowProblem(line, participant_id, reason) for line in person.lines)
