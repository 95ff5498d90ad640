"""Flow `deadline_sweep`: deemed approvals, reminders and conclusions, then one delivery pass."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import RETRIES, RETRY_DELAYS, flow_context, is_transient
from flows.dispatch_outbox import deliver_mail

if TYPE_CHECKING:
    from comms_approval.bootstrap import AppContext


@task(
    name="apply-deadlines",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,  # the context holds an engine: nothing to hash, nothing to cache
)
def apply_deadlines(ctx: AppContext) -> dict[str, int]:
    """One sweep; guarded updates make a retry or an overlapping run harmless."""
    from comms_approval.services.sweep import run_sweep

    return asdict(run_sweep(ctx))


@flow(name="deadline-sweep", log_prints=False)
def deadline_sweep(now: str | None = None) -> dict[str, dict[str, int]]:
    """Apply the deadlines as of `now` (ISO 8601; default: the real clock), then deliver what it queued."""
    ctx = flow_context(now, by="flow:deadline-sweep")
    try:
        swept = apply_deadlines(ctx)
        delivered = deliver_mail(ctx)
    finally:
        ctx.engine.dispose()
    return {"sweep": swept, "delivery": delivered}
