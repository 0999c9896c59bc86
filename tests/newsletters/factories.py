import datetime

import factory

from newsletters.models import Newsletter


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter

    subject = factory.Sequence(lambda n: f"Network news {n}")
    month = datetime.date(2026, 11, 1)
    body = "## What happened\n\nA [webinar](https://example.org/webinar) on **health**.\n"
    include_activities = False
