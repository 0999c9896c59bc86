"""Thin Celery wrappers over newsletters.services (names are "newsletters.<service>")."""

from celery import shared_task

from newsletters import services


@shared_task(name="newsletters.newsletters_send_due")
def newsletters_send_due() -> None:
    """Beat runs this every minute: start what is due. Safe to run twice at once: starting locks
    the newsletter row and the deliveries are unique."""
    services.newsletters_start_due()
