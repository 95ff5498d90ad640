"""Flow `apply_retention`: erase what has been kept past its retention period (scheduled daily), each purge audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import RETRIES, RETRY_DELAYS, flow_context, is_transient

if TYPE_CHECKING:
    from comms_approval.bootstrap import AppContext


@task(
    name="purge-expired-data",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,  # the context holds an engine: nothing to hash, nothing to cache
)
def purge_expired_data(ctx: AppContext, dry_run: bool = False) -> dict[str, Any]:
    """One retention pass; it is idempotent, so a retry or an overlapping run erases nothing twice."""
    from comms_approval.services.retention import apply_retention

    return apply_retention(ctx, dry_run=dry_run).as_dict()


@flow(name="apply-retention", log_prints=False)
def apply_retention(now: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Apply the retention policy as of `now` (ISO 8601; default: the real clock)."""
    ctx = flow_context(now, by="flow:apply-retention")
    try:
        return purge_expired_data(ctx, dry_run)
    finally:
        ctx.engine.dispose()
