from celery import shared_task

from activities import services


@shared_task(name="activities.registrations_send_reminders")
def registrations_send_reminders() -> int:
    """Beat, every 15 minutes: the reminder the day before (each registration once)."""
    return services.registrations_send_reminders()
