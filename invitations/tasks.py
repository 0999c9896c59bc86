"""Periodic jobs of invitations (the sending itself is `core.outbound`'s tasks)."""

from celery import shared_task

from invitations import services


@shared_task(name="invitations.invitation_remind_due")
def invitation_remind_due() -> int:
    """Queue due reminders; safe to run twice (one reminder per invitation, unique)."""
    return services.invitation_remind_due()


@shared_task(name="invitations.invitation_expire_due")
def invitation_expire_due() -> int:
    """Close expired invitations; safe to run twice (a plain conditional UPDATE)."""
    return services.invitation_expire_due()
