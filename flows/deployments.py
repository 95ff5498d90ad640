"""Deployments defined in code, apart from the flows; `python -m flows.deployments` serves them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from flows.check_drafts import check_drafts
from flows.deadline_sweep import deadline_sweep
from flows.dispatch_outbox import dispatch_outbox
from flows.retention import apply_retention
from flows.submit_draft import submit_draft

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

SWEEP_EVERY = timedelta(minutes=5)
RETENTION_CRON = "30 3 * * *"  # nightly, Paris time, away from office hours
DISPATCH_EVERY = timedelta(minutes=1)
CHECK_EVERY = timedelta(minutes=1)
TAGS = ["comms-approval"]

# One sweep at a time: a second one would only skip locked rows; cancelling it keeps the run history honest.
SWEEP_CONCURRENCY = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
# Two check runs at most (each claims its own drafts, a long one for minutes); a run starting every minute
# would otherwise pile up and take every worker slot (`--limit 4`) from the sweep and the outbox.
CHECK_CONCURRENCY = ConcurrencyLimitConfig(limit=2, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def build_deployments(
    *, sweep_every: timedelta = SWEEP_EVERY, dispatch_every: timedelta = DISPATCH_EVERY
) -> list[RunnerDeployment]:
    """The scheduled sweep, outbox, pending-check and retention passes, and submission on demand."""
    # to_deployment returns the deployment itself when called from synchronous code, as here.
    deployments = [
        deadline_sweep.to_deployment(
            "deadline-sweep",
            interval=sweep_every,
            concurrency_limit=SWEEP_CONCURRENCY,
            tags=TAGS,
            description="Deemed approvals at their deadline, reminders, conclusions, then delivery.",
        ),
        dispatch_outbox.to_deployment(
            "dispatch-outbox",
            interval=dispatch_every,
            tags=TAGS,
            description="Send the queued mail (leased claims: overlapping runs never send a row twice).",
        ),
        apply_retention.to_deployment(
            "apply-retention",
            schedules=[Cron(RETENTION_CRON, timezone="Europe/Paris")],
            concurrency_limit=1,
            tags=TAGS,
            description="Erase what has been kept past its retention period; each purge is audited.",
        ),
        check_drafts.to_deployment(
            "check-drafts",
            interval=CHECK_EVERY,
            concurrency_limit=CHECK_CONCURRENCY,
            tags=TAGS,
            description="Run the logo checks long drafts left pending (claimed: never twice), then deliver.",
        ),
        submit_draft.to_deployment(
            "submit-draft",
            tags=TAGS,
            description="Check a draft's logos, route it if compliant, deliver the requests.",
        ),
    ]
    return cast("list[RunnerDeployment]", deployments)


def main() -> None:
    """Serve the deployments from this process (needs a reachable Prefect API)."""
    from prefect import serve

    serve(*build_deployments())


if __name__ == "__main__":
    main()
