"""One row of the file checked on its own: every reason it cannot be imported, or its values
cleaned (country codes, E.164 phone, lower-case address, the exchange's key)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from members.languages import language_code
from members.models import Exchange
from members.models import Participant
from members.roster_import.countries import country_code
from members.roster_import.report import ImportReport
from members.roster_import.report import RowProblem

FIRST_EXCHANGE_YEAR = 1963
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")
_INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0+$")


@dataclass
class Row:
    line: int
    participant_id: str
    person: dict[str, str]
    exchange: tuple | None


MAX_LENGTHS = {
    "participant_id": Participant._meta.get_field("participant_id").max_length,
    "first_name": Participant._meta.get_field("first_name").max_length,
    "last_name": Participant._meta.get_field("last_name").max_length,
    "email": Participant._meta.get_field("email").max_length,
    "partner_organisation": Exchange._meta.get_field("partner_organisation").max_length,
    "programme": Exchange._meta.get_field("programme").max_length,
}


def field_labels() -> dict[str, str]:
    return {
        "participant_id": _("roster id"),
        "first_name": _("first name"),
        "last_name": _("last name"),
        "email": _("email address"),
        "phone": _("phone"),
        "home_country": _("home country"),
        "partner_organisation": _("partner organisation"),
        "programme": _("programme"),
        "preferred_language": _("language"),
    }


def parse_row(
    line: int, cells: dict[str, str], report: ImportReport
) -> tuple[Row | None, list[str]]:
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
                % {"field": field_labels()[name], "limit": limit}
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

    language = ""
    raw_language = cells.get("language", "")
    if raw_language and not reasons:
        language = language_code(raw_language) or ""
        if not language:
            report.warnings.append(
                RowProblem(
                    line,
                    participant_id,
                    _(
                        "language “%(language)s” not recognised (English, French, Spanish or "
                        "Portuguese expected); a new participant gets their home country's language"
                    )
                    % {"language": raw_language},
                )
            )

    if reasons:
        return None, reasons
    partner = cells.get("partner_organisation", "")
    programme = cells.get("programme", "")
    exchange = (year, host_country, partner, programme)
    return (
        Row(
            line=line,
            participant_id=participant_id,
            person={
                "first_name": cells.get("first_name", ""),
                "last_name": cells.get("last_name", ""),
                "email": email,
                "phone": phone,
                "home_country": home_country,
                # Empty: not in the file, so guessed from the home country for new participants.
                "preferred_language": language,
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
