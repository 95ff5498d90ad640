"""Flow `dispatch_outbox`: one delivery pass of the queued mail (scheduled every minute)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import RETRIES, RETRY_DELAYS, flow_context, is_transient

if TYPE_CHECKING:
    from comms_approval.bootstrap import AppContext


@task(
    name="deliver-mail",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,  # the context holds an engine: nothing to hash, nothing to cache
)
def deliver_mail(ctx: AppContext) -> dict[str, int]:
    """Hand what the outbox has ready to the relay (or the local sink) and record each answer."""
    import asyncio

    from comms_approval.services.mailer import open_mailer
    from comms_approval.services.outbox import dispatch_outbox as dispatch

    with open_mailer(ctx) as mailer:
        report = asyncio.run(dispatch(ctx, mailer))
    counts = asdict(report)
    counts.pop("details")
    return counts


@flow(name="dispatch-outbox", log_prints=False)
def dispatch_outbox() -> dict[str, int]:
    """Send the queued mail now; overlapping runs share the queue through leased claims."""
    ctx = flow_context(by="flow:dispatch-outbox")
    try:
        return deliver_mail(ctx)
    finally:
        ctx.engine.dispose()
