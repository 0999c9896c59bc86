"""What an import found and did: counts, problems by line, notes; the command prints its lines
and the admin page shows it."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.utils.translation import ngettext

from core.stored_text import Sentence


@dataclass(frozen=True)
class RowProblem:
    line: int
    participant_id: str
    reason: str


@dataclass
class ImportReport:
    dry_run: bool
    source: str = ""
    encoding: str = "utf-8"
    delimiter: str = ","
    rows_read: int = 0
    people_in_file: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    exchanges_added: int = 0
    addresses_kept: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len({problem.line for problem in self.errors})

    @property
    def delimiter_name(self) -> str:
        return {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}[self.delimiter]

    def summary(self) -> str:
        text = _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(exchanges)d exchanges added, %(rejected)d rows rejected."
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "exchanges": self.exchanges_added,
            "rejected": self.rows_rejected,
        }
        if self.dry_run:
            return _("Dry run, nothing was saved: %(summary)s") % {"summary": text}
        return text

    def audit_summary(self) -> Sentence:
        """The staff log's line for this import, in each reader's language."""
        return Sentence(
            gettext_noop(
                "%(source)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                "%(exchanges)s exchanges added, %(rejected)s rows rejected."
            )
            if self.source
            else gettext_noop(
                "Roster file: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                "%(exchanges)s exchanges added, %(rejected)s rows rejected."
            ),
            {
                "source": self.source,
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "exchanges": self.exchanges_added,
                "rejected": self.rows_rejected,
            },
        )

    def lines(self) -> list[str]:
        """The whole report as plain text lines (what the command prints)."""
        lines = [
            _("Roster import%(source)s") % {"source": f": {self.source}" if self.source else ""},
            _("Read %(rows)d rows (%(encoding)s, %(delimiter)s-separated) for %(people)d people.")
            % {
                "rows": self.rows_read,
                "encoding": self.encoding,
                "delimiter": self.delimiter_name,
                "people": self.people_in_file,
            },
            self.summary(),
        ]
        if self.addresses_kept:
            lines.append(
                ngettext(
                    "%(count)d address set by the member or the adviser was kept.",
                    "%(count)d addresses set by members or the adviser were kept.",
                    self.addresses_kept,
                )
                % {"count": self.addresses_kept}
            )
        lines.extend(_("Note: %(note)s") % {"note": note} for note in self.notes)
        if self.warnings:
            lines.append(_("Warnings (the row was imported):"))
            lines.extend(_format_problem(problem) for problem in self.warnings)
        if self.errors:
            lines.append(_("Rows not imported:"))
            lines.extend(_format_problem(problem) for problem in self.errors)
        return lines


def _format_problem(problem: RowProblem) -> str:
    roster_id = f" [{problem.participant_id}]" if problem.participant_id else ""
    return _("  line %(line)d%(id)s: %(reason)s") % {
        "line": problem.line,
        "id": roster_id,
        "reason": problem.reason,
    }
