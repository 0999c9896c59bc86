"""The audit log of staff actions that touch many people at once (see `StaffAction`).

Every app records through this one function: invitations when a wave is launched, newsletters
when one is sent, members for imports, CSV exports and an adviser's address corrections. Each app
registers the kinds it records (`members.extensions.register_audit_kind`, from `ready()`);
members' own are below.

A summary is a `core.stored_text.Sentence` (an English msgid marked with gettext_noop, and its
values), stored so that every staff member reads the log in their own language:
`StaffAction.summary_shown`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.stored_text import Sentence
from members.extensions import register_audit_kind
from members.extensions import validate_audit_kind
from members.models import StaffAction

ROSTER_IMPORT = "roster_import"
CSV_EXPORT = "csv_export"
ADDRESS_CHANGE = "address_change"
OTHER = "other"


def register_members_audit_kinds() -> None:
    register_audit_kind(ROSTER_IMPORT, _("roster import"))
    register_audit_kind(CSV_EXPORT, _("CSV export of personal data"))
    register_audit_kind(ADDRESS_CHANGE, _("address corrected"))
    register_audit_kind(OTHER, _("other"))


def record_staff_action(
    *,
    actor,
    kind: str,
    summary: Sentence | str,
    affected_count: int = 0,
    target_url: str = "",
    participant=None,
    details: dict | None = None,
) -> StaffAction:
    """`actor` is the staff User, or None for the command line (e.g. `import_participants`).
    `participant` and `details` only for an action on one person (see `StaffAction`). `kind`
    must be registered: a typo would otherwise file the action under no kind at all. A plain
    `summary` string is shown as it is, in every language: pass a Sentence."""
    validate_audit_kind(kind)
    max_length = StaffAction._meta.get_field("summary").max_length
    stored = summary.stored(max_length) if isinstance(summary, Sentence) else summary[:max_length]
    real_actor = actor if getattr(actor, "pk", None) else None
    return StaffAction.objects.create(
        actor=real_actor,
        actor_email=getattr(real_actor, "email", "") or "",
        kind=kind,
        summary=stored,
        affected_count=affected_count,
        target_url=target_url[:500],
        participant=participant,
        details=details or {},
    )
