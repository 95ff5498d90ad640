"""Settling a whole batch in one transaction keeps each request's clock at the 250 of its own first message."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from comms_approval.adapters.db.tables import AuditEventRow, OutboxRow, RequestRow
from comms_approval.adapters.mail.message import DeliveryResult, DeliveryStatus
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services.outbox import DispatchReport, claim_batch, settle_many
from tests.support.workflow import DSDEN_ADDRESSES as DSDEN
from tests.support.workflow import FakeLogoChecker
from tests.support.workflow import submit_demo_draft as submit


def accepted(at: datetime) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.ACCEPTED, 250, "2.0.0 queued", at)


class TestBatchSettle:
    def test_two_recipients_of_one_request_in_one_batch_start_its_clock_once_at_the_first_250(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, draft: Path
    ) -> None:
        submit(demo, checker, draft)
        rows = claim_batch(demo, "worker-a", 100)
        first = clock.now() + timedelta(seconds=1)
        answers = []
        for offset, row in enumerate(rows):
            answers.append((row.id or 0, accepted(first + timedelta(seconds=offset))))
        by_recipient = {row.recipient: row for row in rows}
        dsden_first = min(by_recipient[address].id or 0 for address in DSDEN)
        expected = dict(answers)[dsden_first].accepted_at

        report = DispatchReport()
        settle_many(demo, answers, "worker-a", report)

        assert report.sent == len(rows) == 5
        with demo.uow() as uow:
            request_id = by_recipient[DSDEN[0]].request_id
            request = uow.session.get(RequestRow, request_id)
            assert request is not None and request.status == "awaiting"
            assert request.delivered_at == expected
            delivered_events = uow.session.execute(
                select(func.count())
                .select_from(AuditEventRow)
                .where(
                    col(AuditEventRow.kind) == "request_delivered",
                    col(AuditEventRow.request_id) == request_id,
                )
            ).scalar_one()
            assert delivered_events == 1

    def test_a_batch_mixing_250_451_and_550_settles_each_row_as_if_alone(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, draft: Path
    ) -> None:
        submit(demo, checker, draft)
        rows = sorted(claim_batch(demo, "worker-a", 100), key=lambda row: row.recipient)
        outcomes = [
            accepted(clock.now()),
            DeliveryResult(DeliveryStatus.TEMPORARY_FAILURE, 451, "4.3.0 try later", None),
            DeliveryResult(DeliveryStatus.PERMANENT_FAILURE, 550, "5.1.1 no such user", None),
        ]
        answers = [(row.id or 0, outcomes[index % 3]) for index, row in enumerate(rows)]

        report = DispatchReport()
        settle_many(demo, answers, "worker-a", report)

        assert (report.sent, report.retried, report.failed) == (2, 2, 1)
        with demo.uow() as uow:
            statuses = {
                row.id: row.status
                for row in uow.session.execute(
                    select(OutboxRow).where(col(OutboxRow.id).in_([row_id for row_id, _ in answers]))
                ).scalars()
            }
        assert [statuses[row_id] for row_id, _ in answers] == ["sent", "retry", "failed", "sent", "retry"]
