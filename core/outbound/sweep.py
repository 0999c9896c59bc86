"""Recovering the work of dead workers: a claim names its worker process, and the sweep gives back
the rows of a process that no longer answers, or of a batch older than any live one can be."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime

from celery import current_app
from django.db.models import Min
from django.db.models import Q
from django.utils import timezone

from core.outbound.batching import HANDED_OVER
from core.outbound.batching import IN_GROUPS
from core.outbound.batching import process_of
from core.outbound.marks import requeue
from core.outbound.registry import await_webhooks
from core.outbound.registry import send_group
from core.outbound.registry import stale_after
from core.outbound.registry import streams
from core.outbound.registry import uncertain_after
from core.outbound_model import OutboundStatus

logger = logging.getLogger(__name__)

# How long the sweep waits for workers to answer (as /healthz waits for its ping, a little more):
# a live worker's main process answers within milliseconds even while its pool sends.
LIVENESS_TIMEOUT = 2.0


def worker_identity(request) -> str:
    """The worker process running a task, as `live_workers` lists it ("<celery node>/<pid>"); ""
    when the task does not run in a worker (eager, or called directly)."""
    if request is None or request.is_eager or not request.hostname:
        return ""
    return f"{request.hostname}/{os.getpid()}"


def live_workers() -> frozenset[str] | None:
    """Every worker process that answers now, as "<node>/<pid>": each node's own process and its
    pool's children (a child killed alone, or a whole worker killed, is missing). None when
    nobody answers at all: then the broadcast itself may be failing, and nothing is concluded."""
    try:
        replies = current_app.control.inspect(timeout=LIVENESS_TIMEOUT).stats() or {}
    except Exception as exc:  # the broker is unreachable: liveness is unknown
        logger.warning("outbound: cannot ask the workers whether they are alive: %s", exc)
        return None
    if not replies:
        return None
    alive = set()
    for node, info in replies.items():
        pool = info.get("pool") or {}
        pids = [info.get("pid"), *(pool.get("processes") or [])]
        alive.update(f"{node}/{pid}" for pid in pids if pid)
    return frozenset(alive)


def sweep(
    now: datetime | None = None,
    *,
    live: Callable[[], frozenset[str] | None] = live_workers,
) -> dict[str, int]:
    """Recover the work of dead workers: see the module docstring (step 4). `live` says which
    worker processes answer (asked at most once per sweep, and only when a claim needs it)."""
    now = now or timezone.now()
    asked = False
    alive: frozenset[str] | None = None
    recovered: dict[str, int] = {}
    for stream in streams():
        sending = stream.model._default_manager.filter(status=OutboundStatus.SENDING)
        # One claim = one batch = one (claimed_at, claimed_by). Over SMTP rows are sent in id
        # order, in groups marked together: only the group in hand, the `send_group()` lowest ids
        # still `sending`, can have been handed over when the worker died.
        claims = sending.order_by().values("claimed_at", "claimed_by").annotate(first=Min("pk"))
        # An ESP batch group stamped as handed over (`batching.HANDED_OVER`, with the time of the
        # call as its claim time) is its own claim, all of whose rows may have been taken; the
        # rest of a batch sent in groups (`batching.IN_GROUPS`) was certainly never handed over.
        dead, maybe_in_flight, webhook_window_over = Q(pk__in=[]), Q(pk__in=[]), Q(pk__in=[])
        for group in claims:
            claimed_at, claimed_by = group["claimed_at"], group["claimed_by"]
            handed_over = claimed_by.endswith(HANDED_OVER)
            process = process_of(claimed_by)
            gone = claimed_at is None or claimed_at < now - stale_after()
            if not gone and process:
                if not asked:
                    alive, asked = live(), True
                gone = alive is not None and process not in alive
            if not gone:
                continue
            claim = Q(claimed_at=claimed_at, claimed_by=claimed_by)
            dead |= claim
            if handed_over:
                uncertain = claim
            elif claimed_by.endswith(IN_GROUPS):
                uncertain = Q(pk__in=[])  # its groups in flight are stamped HANDED_OVER
            elif send_group() > 1:
                uncertain = Q(
                    pk__in=list(
                        sending.filter(claim)
                        .order_by("pk")
                        .values_list("pk", flat=True)[: send_group()]
                    )
                )
            else:
                uncertain = Q(pk=group["first"])
            maybe_in_flight |= uncertain
            if claimed_at is None or claimed_at < now - uncertain_after():
                webhook_window_over |= uncertain
        # Certainly never handed over: back at once, the claim not counted as an attempt.
        count = requeue(sending.filter(dead).exclude(maybe_in_flight), attempted=False)
        # Maybe handed over: where an ESP reports back, its webhook (which marks the row sent)
        # has OUTBOUND_UNCERTAIN_SECONDS to come; over plain SMTP nothing will come.
        retry = maybe_in_flight if not await_webhooks() else webhook_window_over
        count += requeue(sending.filter(dead).filter(retry), attempted=True)
        if count:
            logger.warning("outbound: %s rows of %s returned to the queue", count, stream.name)
        recovered[stream.name] = count
    return recovered
