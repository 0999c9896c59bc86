"""Many members pressing Register at the same moment, on PostgreSQL, with real threads (each with
its own database connection): exactly `capacity` confirmed, the rest waitlisted in order."""

import threading

import pytest
from django.db import connection
from django.db import connections

from activities import services
from activities.models import Registration
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 40
SEATS = 10


def _press_register_together(activity, members):
    barrier = threading.Barrier(len(members))
    errors = []

    def press(member):
        try:
            barrier.wait(timeout=30)
            services.activity_register(activity=activity, participant=member)
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_simultaneous_registrations_confirm_exactly_capacity_and_queue_the_rest():
    assert connection.vendor == "postgresql"
    activity = ActivityFactory(capacity=SEATS)
    members = MemberFactory.create_batch(PEOPLE)

    errors = _press_register_together(activity, members)

    assert errors == []
    registrations = list(Registration.objects.filter(activity=activity).order_by("created_at"))
    assert len(registrations) == PEOPLE
    confirmed = [r for r in registrations if r.status == Registration.Status.CONFIRMED]
    waiting = [r for r in registrations if r.status == Registration.Status.WAITLISTED]
    assert len(confirmed) == SEATS
    assert len(waiting) == PEOPLE - SEATS
    # The order people got through the lock is the order of their rows: the first SEATS got the
    # seats, and the waitlist numbers follow that same order without gaps or repeats.
    assert all(r.status == "confirmed" for r in registrations[:SEATS])
    assert [r.waitlist_number for r in registrations[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))


def test_cancellations_racing_registrations_never_overbook():
    activity = ActivityFactory(capacity=SEATS)
    early = MemberFactory.create_batch(SEATS)
    seated = [services.activity_register(activity=activity, participant=m) for m in early]
    late = MemberFactory.create_batch(20)
    barrier = threading.Barrier(len(seated) // 2 + len(late))
    errors = []

    def run(action):
        try:
            barrier.wait(timeout=30)
            action()
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connections.close_all()

    actions = [
        (lambda r=r: services.registration_cancel(registration=r)) for r in seated[: SEATS // 2]
    ] + [(lambda m=m: services.activity_register(activity=activity, participant=m)) for m in late]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    counts = {
        status: activity.registrations.filter(status=status).count()
        for status in Registration.Status.values
    }
    assert counts["confirmed"] == SEATS
    assert counts["cancelled"] == SEATS // 2
    assert counts["waitlisted"] == 20 - SEATS // 2
