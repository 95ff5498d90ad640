"""Deployments defined in code, apart from the flows; `python -m flows.deployments` serves them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

from flows.deadline_sweep import deadline_sweep
from flows.dispatch_outbox import dispatch_outbox
from flows.submit_draft import submit_draft

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

SWEEP_EVERY = timedelta(minutes=5)
DISPATCH_EVERY = timedelta(minutes=1)
TAGS = ["comms-approval"]

# One sweep at a time: a second one would only skip locked rows; cancelling it keeps the run history honest.
SWEEP_CONCURRENCY = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def build_deployments(
    *, sweep_every: timedelta = SWEEP_EVERY, dispatch_every: timedelta = DISPATCH_EVERY
) -> list[RunnerDeployment]:
    """The product's three deployments: the scheduled sweep and outbox, and submission on demand."""
    return [
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
        submit_draft.to_deployment(
            "submit-draft",
            tags=TAGS,
            description="Check a draft's logos, route it if compliant, deliver the requests.",
        ),
    ]


def main() -> None:
    """Serve the deployments from this process (needs a reachable Prefect API)."""
    from prefect import serve

    serve(*build_deployments())


if __name__ == "__main__":
    main()
