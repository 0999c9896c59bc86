import datetime

import factory
from django.utils import timezone

from activities.models import Activity


class ActivityFactory(factory.django.DjangoModelFactory):
    """An activity as staff make one: saved as a draft, then published (or cancelled) through the
    services, so it carries what they set (`published_at`, `cancelled_at`) and nothing a draft
    could not have. `status` says where it ends up (published unless told otherwise)."""

    class Meta:
        model = Activity

    kind = Activity.Kind.WEBINAR
    title = factory.Sequence(lambda n: f"Webinar number {n}")
    description = "A talk and **questions**."
    organiser = "Norec Network"
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + datetime.timedelta(days=7)).replace(microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + datetime.timedelta(hours=1))
    time_zone = "Europe/Oslo"
    online_url = "https://meet.example.org/secret-room"
    capacity = 10
    status = Activity.Status.PUBLISHED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from activities import services

        status = kwargs.pop("status")
        activity = super()._create(model_class, *args, status=Activity.Status.DRAFT, **kwargs)
        if status == Activity.Status.PUBLISHED:
            activity = services.activity_publish(activity=activity)
        elif status == Activity.Status.CANCELLED:
            services.activity_cancel(activity=activity)
            activity.refresh_from_db()
        return activity


class PhysicalActivityFactory(ActivityFactory):
    kind = Activity.Kind.PHYSICAL
    title = factory.Sequence(lambda n: f"Meeting in Nairobi {n}")
    time_zone = "Africa/Nairobi"
    place = "Kenya School of Government"
    city = "Nairobi"
    country = "KE"
    online_url = ""
