"""Run a campaign's preparation to its end in the test's own process, as the worker's chain of
`outbound_prepare` tasks would (a unit test's transaction never commits, so the task enqueued on
commit never runs)."""

from __future__ import annotations

from core import outbound


def prepare_all(stream_name: str, campaign_id: int, *, after: int | None = None) -> int:
    """Every chunk until the preparation ends (or stops: paused, cancelled); returns the rows."""
    rows = 0
    while True:
        result = outbound.prepare_chunk(
            stream_name=stream_name, campaign_id=campaign_id, after=after
        )
        rows += result.rows
        if not result.more:
            return rows
        after = result.after
