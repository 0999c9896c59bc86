"""Reading the file: its encoding, its delimiter, its header, and each row handed to validation."""

from __future__ import annotations

import codecs
import csv
import io
import re

from django.utils.translation import gettext as _

from members.roster_import.report import ImportReport
from members.roster_import.report import RowProblem
from members.roster_import.validation import Row
from members.roster_import.validation import parse_row
from members.services import ParticipantRefused

COLUMNS = (
    "participant_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "home_country",
    "exchange_year",
    "host_country",
    "partner_organisation",
    "programme",
    # Optional: the invitation's language (see members/languages.py).
    "language",
)
REQUIRED_COLUMNS = ("participant_id", "first_name", "last_name", "email", "home_country")
# Header spellings seen in real spreadsheets, after folding (lower case, underscores).
COLUMN_ALIASES = {
    "id": "participant_id",
    "roster_id": "participant_id",
    "firstname": "first_name",
    "given_name": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "e_mail": "email",
    "email_address": "email",
    "phone_number": "phone",
    "mobile": "phone",
    "year": "exchange_year",
    "partner_organization": "partner_organisation",
    "partner": "partner_organisation",
    "program": "programme",
    "preferred_language": "language",
    "lang": "language",
    "langue": "language",
    "idioma": "language",
}
MAX_FILE_BYTES = 20 * 1024 * 1024

_EXCEL_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def decode_roster(data: bytes) -> tuple[str, str, str | None]:
    """The file's text, the encoding it was read with, and a note when that was a guess."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParticipantRefused(
            _("This is an Excel workbook, not a CSV file. In Excel, use Save As > CSV UTF-8.")
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16", None
        except UnicodeDecodeError as error:
            raise ParticipantRefused(_("The file is not valid UTF-16 text.")) from error
    try:
        return data.decode("utf-8-sig"), "UTF-8", None
    except UnicodeDecodeError:
        # A UTF-8 mark on a file whose text is not UTF-8 (pasted in from elsewhere): drop it.
        data = data.removeprefix(codecs.BOM_UTF8)
    note = _(
        "The file is not UTF-8; it was read as %(encoding)s (as Excel on Windows saves it). "
        "Check that accented names look right; saving as CSV UTF-8 avoids the guess."
    )
    try:
        return data.decode("cp1252"), "Windows-1252", note % {"encoding": "Windows-1252"}
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1", note % {"encoding": "Latin-1"}


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _fold_header(name: str) -> str:
    folded = re.sub(r"[\s\-./]+", "_", name.translate(_INVISIBLE).strip().lower()).strip("_")
    return COLUMN_ALIASES.get(folded, folded)


def _clean(value: str) -> str:
    """Trim, drop invisible characters, collapse inner whitespace (incl. Excel's non-breaking)."""
    value = " ".join(value.translate(_INVISIBLE).split())
    return _EXCEL_FORMULA_GUARD.sub("", value)


def read_roster(data: bytes, report: ImportReport) -> list[Row]:
    """Parse and validate every row; bad rows go to the report, good ones come back."""
    if len(data) > MAX_FILE_BYTES:
        raise ParticipantRefused(
            _("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // 2**20}
        )
    text, report.encoding, note = decode_roster(data)
    if note:
        report.notes.append(note)
    if "\x00" in text:
        raise ParticipantRefused(_("The file contains binary data; it is not a CSV text file."))

    header_line = next((line for line in text.splitlines() if line.strip()), "")
    if not header_line:
        raise ParticipantRefused(_("The file is empty."))
    report.delimiter = _sniff_delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter)

    header: list[str] | None = None
    rows: list[Row] = []
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            cells = [_clean(cell) for cell in record]
            if not any(cells):
                continue
            if header is None:
                header = _read_header(cells, report)
                continue
            report.rows_read += 1
            values = {
                name: cells[index]
                for index, name in enumerate(header)
                if name and index < len(cells)
            }
            row, reasons = parse_row(line, values, report)
            if row is None:
                report.errors.append(
                    RowProblem(line, values.get("participant_id", ""), "; ".join(reasons))
                )
            else:
                rows.append(row)
    except csv.Error as error:
        raise ParticipantRefused(
            _("Line %(line)d cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    if not report.rows_read:
        report.notes.append(_("The file has a header but no rows."))
    return rows


def _read_header(cells: list[str], report: ImportReport) -> list[str]:
    names = [_fold_header(cell) for cell in cells]
    seen: set[str] = set()
    header: list[str] = []
    ignored: list[str] = []
    for raw, name in zip(cells, names, strict=True):
        if name in COLUMNS and name not in seen:
            header.append(name)
            seen.add(name)
        elif name in seen:
            raise ParticipantRefused(_("The column “%(column)s” appears twice.") % {"column": name})
        else:
            header.append("")
            if raw:
                ignored.append(raw)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ParticipantRefused(
            _(
                "The file lacks the required columns: %(missing)s. Its first line must name the "
                "columns: %(columns)s (any case and order)."
            )
            % {"missing": ", ".join(missing), "columns": ", ".join(COLUMNS)}
        )
    if ignored:
        report.notes.append(
            _("These columns are not part of the roster format and were ignored: %(columns)s.")
            % {"columns": ", ".join(ignored)}
        )
    return header
