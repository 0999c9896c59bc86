"""Every CSV download of personal data (the roster, resource persons, an activity's registrations)
is written and recorded one way: streamed, opened correctly by Excel, no cell a formula, and an
entry in the audit log saying who exported what and how many."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from collections.abc import Iterator

from django.http import StreamingHttpResponse

from core.stored_text import Sentence
from members import audit
from members.audit import record_staff_action

# Excel reads a UTF-8 file as such only when it starts with a byte order mark.
UTF8_BOM = "\ufeff"
# A cell starting with one of these runs as a formula when the file is opened in a spreadsheet
# (CSV injection); a tab or carriage return first is skipped by Excel before it looks.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """The cell as text that a spreadsheet shows and never runs: a leading quote when it could
    be read as a formula. Every cell, addresses and phone numbers too (`=x@example.org` and
    `+254…` are both addresses a member can have)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The file line by line, BOM first; `rows` is read lazily, so memory stays flat."""
    writer = csv.writer(_Echo())
    yield UTF8_BOM + writer.writerow([spreadsheet_safe(value) for value in header])
    for row in rows:
        yield writer.writerow([spreadsheet_safe(value) for value in row])


def csv_download(
    *,
    actor,
    filename: str,
    header: Iterable,
    rows: Iterable[Iterable],
    summary: Sentence,
    affected_count: int,
    target_url: str = "",
) -> StreamingHttpResponse:
    """Record the export in the audit log, then stream the file as an attachment."""
    record_staff_action(
        actor=actor,
        kind=audit.CSV_EXPORT,
        summary=summary,
        affected_count=affected_count,
        target_url=target_url,
    )
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
