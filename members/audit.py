"""The audit log of staff actions that touch many people at once (see `StaffAction`).

Every app records through this one function: invitations when a wave is launched, newsletters
when one is sent, members for imports, CSV exports and an adviser's address corrections.
"""

from __future__ import annotations

from members.models import StaffAction


def record_staff_action(
    *,
    actor,
    kind: str,
    summary: str,
    affected_count: int = 0,
    target_url: str = "",
    participant=None,
    details: dict | None = None,
) -> StaffAction:
    """`actor` is the staff User, or None for the command line (e.g. `import_participants`).
    `participant` and `details` only for an action on one person (see `StaffAction`)."""
    real_actor = actor if getattr(actor, "pk", None) else None
    return StaffAction.objects.create(
        actor=real_actor,
        actor_email=getattr(real_actor, "email", "") or "",
        kind=kind,
        summary=summary[:500],
        affected_count=affected_count,
        target_url=target_url[:500],
        participant=participant,
        details=details or {},
    )
