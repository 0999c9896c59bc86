"""Roster import: read a spreadsheet export of the roster, validate it, and apply it in bulk.

One service, `roster_import()`, serves both `manage.py import_participants FILE [--dry-run]` and
the admin upload page; both show the `ImportReport` it returns.

The file has a header row and one row per exchange; rows sharing `participant_id` are one person
with several exchanges. Rules, in the order they apply:

- Encoding: UTF-8 with or without a byte order mark, UTF-16 with one (Excel's "Unicode text");
  anything else is read as Windows-1252 (Excel on Windows), or Latin-1 failing that, with a note.
- Delimiter: comma, semicolon or tab, whichever the header line uses most.
- Headers in any case and order with surrounding spaces; unknown columns are ignored (and named in
  the report, so that a misspelt header does not silently lose a column). Missing required
  columns stop the import with one error naming them all.
- Blank lines are skipped; cells are trimmed and inner runs of spaces collapsed.
- A row is rejected (with its line number and every reason) when it has no roster id, no first
  name, a malformed email address, an unknown country, a year that is not a year or lies outside
  1963..next year, or a value longer than its field. Good rows are imported all the same, in one
  transaction.
- Rows of one roster id must agree on the person's details (a blank cell agrees with anything);
  if they disagree, every row of that id is rejected: we cannot know which one is right.
- Two people may not share an address: a person whose address already belongs to someone else, or
  the same address given for several roster ids, is rejected and reported, never merged.
- Re-importing a file changes nothing. A changed row updates the person's names, phone, home
  country and roster address; a blank cell never erases what we have. An address set by the member
  themselves or fixed by the adviser (`email_source` member/adviser, or any registered member) is
  never overwritten by the roster: the adviser's fix is newer knowledge than an old spreadsheet.
  A new roster address starts with status "unknown" again.
- Exchanges are only ever added (matched on year, host country, partner organisation and
  programme); an exchange an adviser added by hand, or one only an older file listed, stays.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db import transaction
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from django_countries.data import COUNTRIES as ISO_COUNTRY_NAMES

from members import audit
from members.audit import record_staff_action
from members.models import Exchange
from members.models import Participant
from members.services import ParticipantRefused
from members.services import participant_refresh_search_text

logger = logging.getLogger(__name__)

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
}
FIRST_EXCHANGE_YEAR = 1963
MAX_FILE_BYTES = 20 * 1024 * 1024
QUERY_CHUNK = 2000
# Other names a roster uses for a country, beyond ISO's and django-countries' own.
COUNTRY_ALIASES = {
    "Ivory Coast": "CI",
    "Lao PDR": "LA",
    "Lao": "LA",
    "DR Congo": "CD",
    "DRC": "CD",
    "Congo-Kinshasa": "CD",
    "Congo Kinshasa": "CD",
    "Zaire": "CD",
    "Congo-Brazzaville": "CG",
    "Congo Brazzaville": "CG",
    "Republic of the Congo": "CG",
    "Burma": "MM",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "UK": "GB",
    "Great Britain": "GB",
    "England": "GB",
    "USA": "US",
    "United States": "US",
    "Norge": "NO",
    "Holland": "NL",
    "Bosnia": "BA",
    "Tanzania, United Republic of": "TZ",
}

_EXCEL_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")
_INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0+$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


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


# --- reading the file -------------------------------------------------------------------------


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


def _fold_name(text: str) -> str:
    """A country name folded for matching: no accents, case, apostrophes, "the" or spaces."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text.replace("&", " and "))
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word and word != "the"]
    return "".join(words)


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded English country name -> ISO alpha-2 code (ISO, common, old names and aliases)."""
    exact: dict[str, str] = {}
    derived: dict[str, set[str]] = defaultdict(set)

    def add_name(name: str, code: str) -> None:
        exact.setdefault(_fold_name(name), code)
        # "Bolivia (Plurinational State of)" -> "Bolivia" and "Plurinational State of Bolivia";
        # "Tanzania, the United Republic of" -> "United Republic of Tanzania".
        match = re.match(r"^(.*?)\s*(?:\((.*)\)|,\s*(.*))$", name)
        if match:
            head, tail = match.group(1), match.group(2) or match.group(3)
            derived[_fold_name(head)].add(code)
            derived[_fold_name(f"{tail} {head}")].add(code)

    with translation.override("en"):
        for code, name in ISO_COUNTRY_NAMES.items():
            add_name(str(name), code)
        for code, name in countries:
            add_name(str(name), code)
        for code, name in countries.COMMON_NAMES.items():
            add_name(str(name), code)
        for code, names in countries.OLD_NAMES.items():
            for name in names:
                add_name(str(name), code)
    for name, code in COUNTRY_ALIASES.items():
        exact[_fold_name(name)] = code
    for key, codes in derived.items():
        # A shortened name that could mean two countries ("Korea") is left out.
        if key and key not in exact and len(codes) == 1:
            exact[key] = next(iter(codes))
    return exact


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """The ISO alpha-2 code for an alpha-2/alpha-3 code or an English name, or None."""
    text = value.strip()
    if text.isalpha() and len(text) in (2, 3):
        code = countries.alpha2(text)
        if code:
            return code
    return _country_index().get(_fold_name(text))


# --- validating rows --------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    participant_id: str
    person: dict[str, str]
    exchange: tuple | None


@dataclass
class _Person:
    participant_id: str
    rows: list[_Row] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    value_lines: dict[str, int] = field(default_factory=dict)
    exchanges: list[tuple] = field(default_factory=list)

    @property
    def lines(self) -> list[int]:
        return [row.line for row in self.rows]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "home_country")
MAX_LENGTHS = {
    "participant_id": Participant._meta.get_field("participant_id").max_length,
    "first_name": Participant._meta.get_field("first_name").max_length,
    "last_name": Participant._meta.get_field("last_name").max_length,
    "email": Participant._meta.get_field("email").max_length,
    "partner_organisation": Exchange._meta.get_field("partner_organisation").max_length,
    "programme": Exchange._meta.get_field("programme").max_length,
}


def _field_labels() -> dict[str, str]:
    return {
        "participant_id": _("roster id"),
        "first_name": _("first name"),
        "last_name": _("last name"),
        "email": _("email address"),
        "phone": _("phone"),
        "home_country": _("home country"),
        "partner_organisation": _("partner organisation"),
        "programme": _("programme"),
    }


def _parse_row(
    line: int, cells: dict[str, str], report: ImportReport
) -> tuple[_Row | None, list[str]]:
    reasons: list[str] = []
    participant_id = cells.get("participant_id", "")
    if _INTEGRAL_FLOAT.match(participant_id):
        participant_id = participant_id.split(".")[0]
    if not participant_id:
        reasons.append(_("no roster id (participant_id)"))
    for name, limit in MAX_LENGTHS.items():
        if len(cells.get(name, "")) > limit:
            reasons.append(
                _("%(field)s is longer than %(limit)d characters")
                % {"field": _field_labels()[name], "limit": limit}
            )

    email = cells.get("email", "")
    if email.lower().startswith("mailto:"):
        email = email[7:].strip()
    email = email.lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            reasons.append(_("malformed email address “%(email)s”") % {"email": email})

    home_country = ""
    if cells.get("home_country"):
        home_country = country_code(cells["home_country"]) or ""
        if not home_country:
            reasons.append(
                _("unknown home country “%(country)s”") % {"country": cells["home_country"]}
            )

    year: int | None = None
    raw_year = cells.get("exchange_year", "")
    if raw_year:
        match = _YEAR.match(raw_year)
        last_year = timezone.localdate().year + 1
        if not match:
            reasons.append(_("exchange year “%(year)s” is not a year") % {"year": raw_year})
        else:
            year = int(match.group(1))
            if not FIRST_EXCHANGE_YEAR <= year <= last_year:
                reasons.append(
                    _("exchange year %(year)d is outside %(first)d to %(last)d")
                    % {"year": year, "first": FIRST_EXCHANGE_YEAR, "last": last_year}
                )

    host_country = ""
    if cells.get("host_country"):
        host_country = country_code(cells["host_country"]) or ""
        if not host_country:
            reasons.append(
                _("unknown host country “%(country)s”") % {"country": cells["host_country"]}
            )

    phone = ""
    raw_phone = cells.get("phone", "")
    if raw_phone and not reasons:
        phone = _parse_phone(raw_phone, home_country)
        if not phone:
            report.warnings.append(
                RowProblem(
                    line,
                    participant_id,
                    _("phone number “%(phone)s” not recognised; left out") % {"phone": raw_phone},
                )
            )

    if reasons:
        return None, reasons
    partner = cells.get("partner_organisation", "")
    programme = cells.get("programme", "")
    exchange = (year, host_country, partner, programme)
    return (
        _Row(
            line=line,
            participant_id=participant_id,
            person={
                "first_name": cells.get("first_name", ""),
                "last_name": cells.get("last_name", ""),
                "email": email,
                "phone": phone,
                "home_country": home_country,
            },
            exchange=exchange if any(exchange) else None,
        ),
        [],
    )


def _parse_phone(raw: str, region: str) -> str:
    raw = raw[:-2] if raw.endswith(".0") else raw
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_roster(data: bytes, report: ImportReport) -> list[_Row]:
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
    rows: list[_Row] = []
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
            row, reasons = _parse_row(line, values, report)
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


def _group_people(rows: list[_Row], report: ImportReport) -> dict[str, _Person]:
    """One person per roster id; rows that disagree on a person's details reject that person."""
    people: dict[str, _Person] = {}
    for row in rows:
        person = people.setdefault(row.participant_id, _Person(row.participant_id))
        person.rows.append(row)
    labels = _field_labels()
    accepted: dict[str, _Person] = {}
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


# --- applying it ------------------------------------------------------------------------------


def _chunks(values: list, size: int = QUERY_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _address_is_protected(participant: Participant) -> bool:
    return (
        participant.user_id is not None
        or participant.email_source != Participant.EmailSource.ROSTER
    )


def _final_email(person: _Person, existing: Participant | None) -> str:
    if existing is None:
        return person.get("email")
    if _address_is_protected(existing) or not person.get("email"):
        return existing.email.lower()
    return person.get("email")


def _reject_shared_addresses(
    people: dict[str, _Person], existing: dict[str, Participant], report: ImportReport
) -> None:
    """Two people never share an address: reject whoever would take someone else's."""
    emails = sorted({_final_email(p, existing.get(pid)) for pid, p in people.items()} - {""})
    holders: dict[str, set[str]] = defaultdict(set)
    login_holders: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(emails):
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
    people = _group_people(rows, report)

    if not dry_run:
        _lock_roster_import()
    existing: dict[str, Participant] = {}
    roster_ids = sorted(people)
    for chunk in _chunks(roster_ids):
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
            "user_id",
        )
        if not dry_run:
            queryset = queryset.select_for_update()
        existing.update({participant.participant_id: participant for participant in queryset})

    report.people_in_file = len(
        {row.participant_id for row in rows}
        | {problem.participant_id for problem in report.errors if problem.participant_id}
    )
    _reject_shared_addresses(people, existing, report)

    known_exchanges: dict[int, set[tuple]] = defaultdict(set)
    existing_pks = [participant.pk for participant in existing.values()]
    for chunk in _chunks(existing_pks):
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
            summary=f"{source or 'roster file'}: {report.summary()}",
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


def _apply_changes(participant: Participant, person: _Person, report: ImportReport) -> bool:
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
    email = person.get("email")
    if email and email != participant.email.lower():
        if _address_is_protected(participant):
            report.addresses_kept += 1
        else:
            participant.email = email
            participant.email_status = Participant.EmailStatus.UNKNOWN
            changed = True
    return changed
