"""What the bulk sender knows before it sends: the streams apps register (their rows, campaigns,
pace and sending windows), which campaigns are due, and the OUTBOUND_* settings it reads. The
package's docstring (`core/outbound/__init__.py`) tells how a message travels."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import time as clock_time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.outbound.templates import MessageTemplate
from core.outbound_model import OutboundMessage

# --- the settings it reads ----------------------------------------------------------------------


def min_sample() -> int:
    """Rates are judged once this many messages went out: two bounces among the first ten say
    little, and a pause would stop a healthy wave. Below it, see `min_bounces`."""
    return settings.OUTBOUND_MIN_SAMPLE


def min_bounces() -> int:
    """A campaign smaller than the sample (a 28-person country wave is normal here) is judged on
    its bounce rate once it has this many bounces. Five is more than a healthy list gives below
    the sample (3 % of 100 is three), and few enough that a bad list of 28 stops at its fifth."""
    return settings.OUTBOUND_MIN_BOUNCES


def min_complaints() -> int:
    """The same for complaints: one may be a slip of the finger; a second says the mail is
    unwanted, which mailbox providers punish faster than bounces."""
    return settings.OUTBOUND_MIN_COMPLAINTS


def batch_seconds() -> float:
    """A batch stops taking new messages after this long and hands its rest back, so that a
    `sending` row older than OUTBOUND_STALE_SECONDS can only belong to a dead worker."""
    return settings.OUTBOUND_BATCH_SECONDS


def stale_after() -> timedelta:
    """A `sending` row older than this belongs to a dead worker, whatever the worker's liveness
    says (the fallback when nobody can be asked, e.g. a broker without broadcasts)."""
    return timedelta(seconds=settings.OUTBOUND_STALE_SECONDS)


def uncertain_after() -> timedelta:
    """How long after its claim the row maybe in flight at a worker's death waits for the ESP's
    webhook to say it was sent, when webhooks are awaited at all (`await_webhooks`)."""
    return timedelta(seconds=settings.OUTBOUND_UNCERTAIN_SECONDS)


def send_group() -> int:
    """How many messages a batch sends between two looks at its campaign and two `sent` marks:
    also how many rows of a dead worker's batch may have been handed over (the sweep's "maybe in
    flight")."""
    return max(1, settings.OUTBOUND_SEND_GROUP)


def connections_per_worker() -> int:
    """Backend connections a batch keeps busy at once, each in a thread of its own."""
    return max(1, settings.OUTBOUND_CONNECTIONS)


def parallel_batches() -> int:
    """Batch chains started for a campaign: one per process of the bulk worker."""
    return max(1, settings.OUTBOUND_PARALLEL_BATCHES)


def await_webhooks() -> bool:
    """Only an ESP with tracking reports back; over plain SMTP no webhook will ever come, and the
    row maybe in flight goes back to the queue with the rest (settings.py derives the default)."""
    return settings.OUTBOUND_AWAIT_WEBHOOKS


# How long the sweep waits for workers to answer (as /healthz waits for its ping, a little more):


# --- what a stream declares ---------------------------------------------------------------------


@dataclass(frozen=True)
class SendingWindow:
    """Send only between `start` and `end` on `weekdays` (0 is Monday), in the recipient's zone.
    An `end` before `start` spans midnight; `start` equal to `end` is the whole day."""

    start: clock_time
    end: clock_time
    weekdays: frozenset[int]

    def is_open(self, zone_name: str, now: datetime) -> bool:
        local = now.astimezone(zone_for_name(zone_name))
        if local.weekday() not in self.weekdays:
            return False
        moment = local.time()
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class Campaign:
    """A campaign that may send now. `id` is the value of the stream's campaign field (None for
    rows without a campaign, e.g. a direct invitation). `rate_per_hour` 0 means no throttle."""

    id: int | None
    rate_per_hour: int = 0
    batch_size: int = 100
    window: SendingWindow | None = None


@dataclass(frozen=True)
class OutboundStream:
    """One kind of bulk message. Only `name`, `model`, `active_campaigns` and `build_message` are
    required.

    - `campaign_field`: the row's foreign key to its campaign (None: the stream has no campaigns,
      every pending row is sent as soon as `active_campaigns` yields `Campaign(id=None)`).
    - `active_campaigns(now)`: the campaigns allowed to send now (started, not paused). A read
      only: the tick and every batch ask it. One-off mail (`core.mail`) is a stream that yields
      none: each of its rows is sent by a task of its own through `send_one`, and the stream only
      lends it the tracking and the sweep.
    - `advance_campaigns(now)`: the stream's writes that move its campaigns on, done by the tick
      (and only there) before it asks `active_campaigns`: a scheduled wave whose start has come
      begins sending; a newsletter's deliveries to people who left meanwhile are skipped.
    - `build_message(row)`: the EmailMessage for a row, addressed to `row.email`; the sender adds
      metadata, a Message-ID and the connection.
    - `build_template(row)`: optional, the same message as a `templates.MessageTemplate` shared
      by many rows and this row's merge values (`build_message` is then `templates.fill` of it).
      With an ESP that sends batches, the rows of one template key go out in one call per
      ESP-sized group (`core.outbound.batching`).
    - `prepare(queryset)`: add select_related/prefetch_related for what `build_message` reads.
    - `sent_fields(row, now)`: extra fields written in the same UPDATE as `sent` (e.g. expiry).
    - `participant_path`: the lookup from the row to its `members.Participant`, whose address a
      bounce or complaint marks bad.
    - `pause_campaign(campaign_id, reason)`: called when the campaign's rates pass the limits.
    - `campaign_finished(campaign_id)`: called when a campaign has nothing pending or sending.
    - `on_event(row, event_type)`: the stream's own reaction after the common one (e.g. an
      invitation whose reminder bounced is bounced too).
    - `skip_reason(row)`: checked right before sending; a reason (text) means the message is no
      longer wanted (the person registered, declined, or their address went bad meanwhile): the
      row becomes `skipped` with that reason instead of being sent.
    - `campaign_sends`: a filter on the stream's rows that holds while their campaign may send
      (e.g. `Q(wave__status="sending")`). It is read before every group of messages
      (`send_group()`), so that a pause or a cancel stops a batch already claimed within the group
      in flight; the rest is handed back.
    """

    name: str
    model: type[OutboundMessage]
    active_campaigns: Callable[[datetime], Iterable[Campaign]]
    build_message: Callable[[OutboundMessage], EmailMessage]
    build_template: Callable[[OutboundMessage], tuple[MessageTemplate, dict[str, str]]] | None = (
        None
    )
    advance_campaigns: Callable[[datetime], None] | None = None
    campaign_field: str | None = None
    prepare: Callable[[models.QuerySet], models.QuerySet] = lambda rows: rows
    sent_fields: Callable[[OutboundMessage, datetime], dict] = lambda row, now: {}
    participant_path: str | None = "participant"
    pause_campaign: Callable[[int, str], None] | None = None
    campaign_finished: Callable[[int | None], None] | None = None
    on_event: Callable[[OutboundMessage, str], None] | None = None
    skip_reason: Callable[[OutboundMessage], str | None] | None = None
    campaign_sends: Q | None = None
    tags: tuple[str, ...] = field(default=())

    def campaign_id_of(self, row: OutboundMessage) -> int | None:
        if self.campaign_field is None:
            return None
        return getattr(row, f"{self.campaign_field}_id")

    def rows_of(self, campaign_id: int | None) -> models.QuerySet:
        rows = self.model._default_manager.all()
        if self.campaign_field is None:
            return rows
        if campaign_id is None:
            return rows.filter(**{f"{self.campaign_field}__isnull": True})
        return rows.filter(**{f"{self.campaign_field}_id": campaign_id})


_streams: dict[str, OutboundStream] = {}


def register_stream(stream: OutboundStream) -> None:
    # Keyed by name so that a second ready() (tests, autoreload) replaces rather than repeats.
    _streams[stream.name] = stream


def get_stream(name: str) -> OutboundStream:
    return _streams[name]


def find_stream(name: str) -> OutboundStream | None:
    """The stream named so, or None (a tracking event's metadata may name anything)."""
    return _streams.get(name)


def streams() -> list[OutboundStream]:
    return list(_streams.values())


def zone_for_name(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- which campaigns are due --------------------------------------------------------------------


def active_campaign(*, stream: OutboundStream, campaign_id: int | None, now: datetime):
    return next((c for c in stream.active_campaigns(now) if c.id == campaign_id), None)


def due_batches(now: datetime | None = None) -> list[tuple[str, int | None]]:
    """(stream name, campaign id) of every campaign that may send now: the tick sends one batch
    of each."""
    now = now or timezone.now()
    return [
        (stream.name, campaign.id)
        for stream in streams()
        for campaign in stream.active_campaigns(now)
    ]


def advance_campaigns(now: datetime | None = None) -> None:
    """The tick's one writing step, before it asks `due_batches`: each stream moves its campaigns
    on (see `OutboundStream.advance_campaigns`)."""
    now = now or timezone.now()
    for stream in streams():
        if stream.advance_campaigns is not None:
            stream.advance_campaigns(now)
