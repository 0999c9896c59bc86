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

The package, in the order an import runs: `decoding` (encoding, delimiter, header), `validation`
(one row), `countries` (names and codes), `grouping` (one person's rows and exchanges),
`shared_addresses` (whose address is whose), `applying` (`roster_import()`, the writes) and
`report` (what the command and the page show).
"""

from members.roster_import.applying import roster_import
from members.roster_import.countries import country_code
from members.roster_import.decoding import COLUMNS
from members.roster_import.decoding import MAX_FILE_BYTES
from members.roster_import.decoding import REQUIRED_COLUMNS
from members.roster_import.decoding import decode_roster
from members.roster_import.decoding import read_roster
from members.roster_import.report import ImportReport
from members.roster_import.report import RowProblem

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "REQUIRED_COLUMNS",
    "ImportReport",
    "RowProblem",
    "country_code",
    "decode_roster",
    "read_roster",
    "roster_import",
]
