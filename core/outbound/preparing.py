"""Preparing a campaign: creating its rows (an invitation, a delivery per recipient) in the
worker, a chunk at a time, before it may send. A launch or a "send now" only marks the campaign
"preparing" and enqueues the first chunk, so nothing the size of the audience ever runs inside a
web request or sits in one list in a worker's memory.

A stream that prepares declares `prepare_chunk(campaign_id, after)`: it locks the campaign row,
leaves if the campaign is no longer preparing (paused, cancelled, or done), writes the rows of
the next chunk of recipients whose id is above `after` (INSERT ... ON CONFLICT DO NOTHING, the
rows being unique per recipient) and commits; the last chunk ends the preparation and starts the
sending. Each chunk commits on its own: a worker killed in the middle loses at most the chunk in
flight, and a chunk run twice creates nothing twice. `after` None means "where the rows stop".

`stalled_campaigns(before)` names the campaigns still preparing that no chunk touched since
`before` (their chain of chunk tasks was lost with a worker): the sweep enqueues their next chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from core.outbound.registry import get_stream
from core.outbound.registry import streams

# Rows written per INSERT, and per task: about a second of work, so a chunk never nears a task's
# time limit and a killed worker loses little.
PREPARE_CHUNK = 2000


@dataclass(frozen=True)
class PrepareResult:
    """What one chunk did: how many rows it wrote (or found written), and `more` when another
    chunk should follow, from `after` on."""

    rows: int
    more: bool
    after: int | None = None


@dataclass(frozen=True)
class Preparation:
    """What a stream that prepares its campaigns in the worker declares (see the module)."""

    prepare_chunk: Callable[[int, int | None], PrepareResult]
    stalled_campaigns: Callable[[datetime], Iterable[int]]


_preparations: dict[str, Preparation] = {}


def next_recipients(recipients, rows, after: int | None, size: int, *fields: str) -> list[tuple]:
    """The next `size` (PREPARE_CHUNK) `recipients` (a Participant queryset) above id `after`,
    as tuples of their id and `fields`. `after` None is where the campaign's `rows` stop (their
    highest `participant_id`): a chain of chunks lost with its worker goes on from there."""
    if after is None:
        after = rows.aggregate(last=Max("participant_id"))["last"] or 0
    chosen = recipients.filter(pk__gt=after).order_by("pk").values_list("pk", *fields)
    return list(chosen[:size])


def register_preparation(stream_name: str, preparation: Preparation) -> None:
    get_stream(stream_name)  # only a registered stream prepares
    _preparations[stream_name] = preparation


def prepare_stale_after() -> timedelta:
    """A preparing campaign no chunk touched for this long lost its chain of tasks."""
    return timedelta(seconds=settings.OUTBOUND_PREPARE_STALE_SECONDS)


def prepare_chunk(*, stream_name: str, campaign_id: int, after: int | None = None) -> PrepareResult:
    return _preparations[stream_name].prepare_chunk(campaign_id, after)


def stalled_preparations(now: datetime | None = None) -> list[tuple[str, int]]:
    """(stream name, campaign id) of every preparation whose chain of chunks was lost."""
    before = (now or timezone.now()) - prepare_stale_after()
    return [
        (stream.name, campaign_id)
        for stream in streams()
        if stream.name in _preparations
        for campaign_id in _preparations[stream.name].stalled_campaigns(before)
    ]
