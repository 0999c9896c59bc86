"""Helpers for the sending-side tests: waves built through the services, as the adviser would."""

from __future__ import annotations

from datetime import time

from django.utils import timezone

from core import outbound
from invitations import services
from invitations.models import Wave
from tests.members.factories import ExchangeFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.support.preparing import prepare_all

ALWAYS = {"window_start": time(0, 0), "window_end": time(0, 0), "window_weekdays": list(range(7))}


def make_wave(**fields) -> Wave:
    defaults = {
        "name": "Kenya, first wave",
        "home_countries": ["KE"],
        "starts_at": timezone.now(),
        "rate_per_hour": 0,
        "batch_size": 100,
        **ALWAYS,
    }
    defaults.update(fields)
    return Wave.objects.create(**defaults)


def make_participants(count: int, *, country: str = "KE", with_exchange: bool = True, **fields):
    people = ParticipantFactory.create_batch(count, home_country=country, **fields)
    if with_exchange:
        for person in people:
            ExchangeFactory(participant=person, year=2012, partner_organisation="Kenya Red Cross")
    return people


def launch(wave: Wave, actor=None) -> int:
    """Launch, then the preparation the worker does (`tests.support.preparing`)."""
    count = services.wave_launch(wave=wave, actor=actor or StaffUserFactory())
    prepare_all(services.INVITATION_STREAM, wave.pk)
    return count


def send_all(stream: str = services.INVITATION_STREAM, campaign_id=None, rounds: int = 50) -> int:
    """Run batches until nothing more goes out (what the beat tick does, minute by minute);
    returns how many rows were newly handed over. (An unthrottled full batch enqueues the next
    one itself, which the eager unit-test Celery runs at once.)"""
    rows = outbound.get_stream(stream).model.objects.filter(sent_at__isnull=False)
    before = rows.count()
    for _ in range(rounds):
        result = outbound.send_batch(stream_name=stream, campaign_id=campaign_id)
        if result.claimed == 0:
            break
    return rows.count() - before
