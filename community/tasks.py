from celery import shared_task
from django.utils import timezone

from community import digests


@shared_task(name="community.digests_start_due")
def digests_start_due() -> int:
    """Beat, every morning: the day's digests (daily every day, weekly on Mondays, in Oslo
    time). Safe to run again the same day: it makes nothing twice."""
    return digests.digests_start_for_day(digests.today_local(timezone.now()))
