import datetime

import factory
from django.utils import timezone

from activities.models import Activity


class ActivityFactory(factory.django.DjangoModelFactory):
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
    published_at = factory.LazyFunction(timezone.now)


class PhysicalActivityFactory(ActivityFactory):
    kind = Activity.Kind.PHYSICAL
    title = factory.Sequence(lambda n: f"Meeting in Nairobi {n}")
    time_zone = "Africa/Nairobi"
    place = "Kenya School of Government"
    city = "Nairobi"
    country = "KE"
    online_url = ""
