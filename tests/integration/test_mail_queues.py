"""One-off and bulk mail run on separate queues served by separate worker processes, as in compose
and `make run`: a password reset arrives within seconds while a 12,000-recipient newsletter is
being sent, even with every bulk worker process stuck on a slow message."""

import time

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from members.models import Participant
from members.models import User
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 12_000
NEWSLETTER_DOMAIN = "@readers.example.org"
# "Within seconds": the reset has a worker of its own; the cap is for a loaded 2-core machine.
RESET_WITHIN_SECONDS = 10.0


def add_readers(count: int) -> None:
    """Registered, subscribed members, in bulk (a factory would take minutes for 12,000)."""
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"reader{n}{NEWSLETTER_DOMAIN}", password=password) for n in range(count)],
        batch_size=2000,
    )
    Participant.objects.bulk_create(
        [
            Participant(
                participant_id=f"READER-{n:06d}",
                first_name=f"Reader{n}",
                last_name="Family",
                email=user.email,
                email_source=Participant.EmailSource.MEMBER,
                email_status=Participant.EmailStatus.OK,
                home_country="KE",
                newsletter_subscribed=True,
                user=user,
            )
            for n, user in enumerate(users)
        ],
        batch_size=2000,
    )


def is_newsletter(recipients: tuple[str, ...]) -> bool:
    return all(address.endswith(NEWSLETTER_DOMAIN) for address in recipients)


def test_a_password_reset_arrives_within_seconds_while_a_big_newsletter_is_sent(
    start_worker, smtp_sink, client
):
    add_readers(RECIPIENTS)
    MemberFactory(email="amina@example.org", newsletter_subscribed=False)
    start_worker(queues=("bulk",))
    start_worker(queues=("default", "email"))
    # The newsletter goes out until 50 messages arrived; then every further one is held in the
    # middle of its SMTP conversation, a mail server at its slowest: each bulk process is stuck.
    smtp_sink.hold_after(50, only=is_newsletter)
    newsletter = Newsletter.objects.create(
        subject="News from the network",
        month=timezone.localdate().replace(day=1),
        body="This month **forty** former participants registered.",
        rate_per_hour=0,
    )
    newsletter_services.newsletter_schedule(newsletter=newsletter, actor=StaffUserFactory())
    newsletter_services.newsletter_start(newsletter=newsletter)
    # The bulk worker prepares the deliveries, then sends them.
    wait_until(
        lambda: Delivery.objects.filter(newsletter=newsletter).count() == RECIPIENTS, timeout=120
    )
    # Both bulk processes have a message in flight: the newsletter is being sent.
    smtp_sink.wait_held(2, timeout=120)

    asked = time.monotonic()
    response = client.post(reverse("account_reset_password"), {"email": "amina@example.org"})
    assert response.status_code == 302
    reset = smtp_sink.wait_for_message(
        lambda message: message.envelope_to == ("amina@example.org",), timeout=60
    )
    took = time.monotonic() - asked

    assert "Password Reset" in reset["Subject"]
    assert took < RESET_WITHIN_SECONDS, f"the reset took {took:.1f} s"
    unsent = Delivery.objects.filter(
        newsletter=newsletter, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).count()
    assert unsent > RECIPIENTS - 1000, unsent
    # Let the held messages fail (a temporary error), so that the bulk worker stops at once.
    smtp_sink.release(accept_held=False)
