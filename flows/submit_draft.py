"""Flow `submit_draft`: check the draft's logos, route it if compliant, then deliver the requests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import RETRIES, RETRY_DELAYS, flow_context, is_transient
from flows.dispatch_outbox import deliver_mail

if TYPE_CHECKING:
    from comms_approval.bootstrap import AppContext


@task(
    name="check-and-route",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,  # the context holds an engine: nothing to hash, nothing to cache
)
def check_and_route(
    ctx: AppContext, *, file: str, convention_id: str, party_id: str, title: str, officer_email: str | None
) -> dict[str, object]:
    """Store the draft by hash, run the logo check and open the requests, in the service's transaction."""
    from comms_approval.services.logo_check import default_logo_checker
    from comms_approval.services.submission import submit_draft as submit

    result = submit(
        ctx,
        default_logo_checker(ctx.settings),
        convention_id=convention_id,
        party_id=party_id,
        title=title,
        file=Path(file),
        officer_email=officer_email,
    )
    return result.as_dict()


@flow(name="submit-draft", log_prints=False)
def submit_draft(
    file: str, convention_id: str, party_id: str, title: str, officer_email: str | None = None
) -> dict[str, object]:
    """Submit a draft for a party; the requests' clocks start when the relay accepts their mail."""
    ctx = flow_context(by="flow:submit-draft")
    try:
        submitted = check_and_route(
            ctx,
            file=file,
            convention_id=convention_id,
            party_id=party_id,
            title=title,
            officer_email=officer_email,
        )
        delivered = deliver_mail(ctx)
    finally:
        ctx.engine.dispose()
    return {**submitted, "delivery": delivered}
