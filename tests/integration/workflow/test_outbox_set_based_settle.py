"""A batch of 250s is recorded by the set-based statements themselves, never by the row-by-row fallback."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from comms_approval.adapters.db.tables import OutboxRow, RequestRow
from comms_approval.adapters.mail.message import DeliveryResult, DeliveryStatus
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services import outbox as outbox_service
from comms_approval.services.audit import verify_trail
from comms_approval.services.delivery import mark_request_delivered
from comms_approval.services.outbox import SCRUBBED, DispatchReport, claim_batch, settle_many
from tests.support.workflow import FakeLogoChecker, submit_demo_draft


def no_fallback(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the batch fell back to one transaction per row")


CLOCK = ("status", "delivered_at", "deadline_at", "deadline_basis", "next_reminder_at")


def clock_of(request: RequestRow) -> tuple[object, ...]:
    return tuple(getattr(request, key) for key in CLOCK)


def reference_clocks(
    ctx: AppContext, rows: list[OutboxRow], answers: dict[int, DeliveryResult]
) -> dict[int, tuple[object, ...]]:
    """What the row-by-row path (the unit of work's flush) stores for each request, in a rolled-back transaction."""
    clocks = {}
    with ctx.uow() as uow:
        for row in sorted(rows, key=lambda row: answers[row.id or 0].accepted_at or clock_now(ctx)):
            assert row.request_id is not None
            mark_request_delivered(
                uow.session, ctx, row.request_id, answers[row.id or 0].accepted_at or clock_now(ctx)
            )
        uow.session.flush()
        for request in uow.session.execute(
            select(RequestRow).execution_options(populate_existing=True)
        ).scalars():
            clocks[request.id or 0] = clock_of(request)
        uow.rollback()
    assert len(clocks) == 4 and all(
        clock[0] == "awaiting" and clock[2] is not None for clock in clocks.values()
    )
    return clocks


def clock_now(ctx: AppContext) -> datetime:
    return ctx.clock.now()


class TestSetBasedSettle:
    def test_each_accepted_row_gets_its_own_instant_and_code_in_one_transaction(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        submit_demo_draft(demo, checker, draft)
        rows = claim_batch(demo, "worker-a", 100)
        first = clock.now() + timedelta(seconds=1)
        answers = [
            (
                row.id or 0,
                DeliveryResult(
                    DeliveryStatus.ACCEPTED, 250 + offset, "queued", first + timedelta(seconds=offset)
                ),
            )
            for offset, row in enumerate(rows)
        ]
        reference = reference_clocks(demo, rows, dict(answers))
        monkeypatch.setattr(outbox_service, "settle", no_fallback)

        report = DispatchReport()
        settle_many(demo, answers, "worker-a", report)

        assert (report.sent, len(rows)) == (5, 5)
        expected = dict(answers)
        with demo.uow(read_only=True) as uow:
            stored = list(
                uow.session.execute(select(OutboxRow).where(col(OutboxRow.id).in_(list(expected)))).scalars()
            )
            for row in stored:
                result = expected[row.id or 0]
                assert (row.status, row.accepted_at, row.last_code) == (
                    "sent",
                    result.accepted_at,
                    result.code,
                )
                assert (row.claimed_by, row.claimed_until, row.last_error) == (None, None, None)
                assert row.body_text == row.body_html == SCRUBBED and row.attachments == []
            requests = list(uow.session.execute(select(RequestRow)).scalars())
            assert len(requests) == 4 and all(request.status == "awaiting" for request in requests)
            for request in requests:
                own = [expected[row.id or 0].accepted_at for row in stored if row.request_id == request.id]
                assert request.delivered_at == min(own)
                assert clock_of(request) == reference[request.id or 0]
        assert verify_trail(demo).ok
