"""The rows of one roster id made into one person with their exchanges."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from django.utils.translation import gettext as _

from members.roster_import.report import ImportReport
from members.roster_import.report import RowProblem
from members.roster_import.validation import Row
from members.roster_import.validation import field_labels

PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "home_country", "preferred_language")


@dataclass
class Person:
    participant_id: str
    rows: list[Row] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    value_lines: dict[str, int] = field(default_factory=dict)
    exchanges: list[tuple] = field(default_factory=list)

    @property
    def lines(self) -> list[int]:
        return [row.line for row in self.rows]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def group_people(rows: list[Row], report: ImportReport) -> dict[str, Person]:
    """One person per roster id; rows that disagree on a person's details reject that person."""
    people: dict[str, Person] = {}
    for row in rows:
        person = people.setdefault(row.participant_id, Person(row.participant_id))
        person.rows.append(row)
    labels = field_labels()
    accepted: dict[str, Person] = {}
    for participant_id, person in people.items():
        conflicts: list[str] = []
        for row in person.rows:
            for name in PERSON_FIELDS:
                value = row.person[name]
                if not value:
                    continue
                known = person.values.get(name)
                if known is None:
                    person.values[name] = value
                    person.value_lines[name] = row.line
                elif known != value:
                    conflicts.append(
                        _("%(field)s “%(a)s” (line %(line_a)d) or “%(b)s” (line %(line_b)d)")
                        % {
                            "field": labels[name],
                            "a": known,
                            "line_a": person.value_lines[name],
                            "b": value,
                            "line_b": row.line,
                        }
                    )
            if row.exchange is not None and row.exchange not in person.exchanges:
                person.exchanges.append(row.exchange)
        if conflicts:
            reason = _("the rows of roster id %(id)s disagree: %(conflicts)s") % {
                "id": participant_id,
                "conflicts": "; ".join(conflicts),
            }
        elif not person.get("first_name"):
            reason = (
                _("no first name (only a last name)") if person.get("last_name") else _("no name")
            )
        else:
            accepted[participant_id] = person
            continue
        report.errors.extend(RowProblem(line, participant_id, reason) for line in person.lines)
    return accepted
