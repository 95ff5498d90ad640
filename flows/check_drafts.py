"""Flow `check_drafts`: run the logo checks that long drafts left pending (scheduled every minute).

The web app checks a long draft on its own threads; where web processes should stay light, set
`COMMS_APPROVAL_BACKGROUND_CHECK_WORKERS=0` and the workers take the checks here instead. Each check is claimed
in the database (a lease renewed at each page): overlapping runs, and the web's own threads, never run one twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import RETRIES, RETRY_DELAYS, flow_context, is_transient
from flows.dispatch_outbox import deliver_mail

if TYPE_CHECKING:
    from comms_approval.bootstrap import AppContext
    from comms_approval.services.logo_check import LogoChecker


@task(
    name="run-check",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,  # the context holds an engine: nothing to hash, nothing to cache
)
def check_one(ctx: AppContext, checker: LogoChecker, version_id: int) -> str | None:
    """Check one pending version and route or hold it; None when another worker holds it."""
    from comms_approval.services.mentions import document_mentions
    from comms_approval.services.submission import run_check

    outcome = run_check(ctx, checker, version_id, find_mentions=document_mentions)
    return outcome.status if outcome is not None else None


@flow(name="check-drafts", log_prints=False)
def check_drafts(limit: int = 10) -> dict[str, object]:
    """Run up to `limit` pending checks, oldest first, then deliver the requests they opened."""
    from comms_approval.services.logo_check import default_logo_checker
    from comms_approval.services.submission import pending_checks

    ctx = flow_context(by="flow:check-drafts")
    try:
        checker = default_logo_checker(ctx.settings)
        checked = {
            str(version_id): check_one(ctx, checker, version_id) for version_id in pending_checks(ctx)[:limit]
        }
        delivered = deliver_mail(ctx) if any(checked.values()) else None
    finally:
        ctx.engine.dispose()
    return {"checked": checked, "delivery": delivered}
