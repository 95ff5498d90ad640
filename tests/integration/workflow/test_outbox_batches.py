"""Batches of the dispatcher: read after the locks, settled as if each row were alone, scrubbed, claimed no further."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from comms_approval.adapters.db.tables import AuditEventRow, OutboxRow, RequestRow
from comms_approval.adapters.mail.message import DeliveryResult, DeliveryStatus, OutgoingMessage
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services.outbox import SCRUBBED, DispatchReport, claim_batch, dispatch_outbox, settle_many
from tests.support import workflow as support
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import DSDEN_ADDRESSES as DSDEN
from tests.support.workflow import LINK, FakeLogoChecker, dispatch
from tests.support.workflow import submit_demo_draft as submit


def outbox(ctx: AppContext) -> list[OutboxRow]:
    with ctx.uow(read_only=True) as uow:
        rows = list(uow.session.execute(select(OutboxRow).order_by(col(OutboxRow.id))).scalars())
        uow.session.expunge_all()  # keep the loaded values past the read-only transaction's rollback
        return rows


def requests(ctx: AppContext) -> dict[int, RequestRow]:
    with ctx.uow(read_only=True) as uow:
        rows = {row.id or 0: row for row in uow.session.execute(select(RequestRow)).scalars()}
        uow.session.expunge_all()
        return rows


def count_events(ctx: AppContext, kind: str) -> int:
    with ctx.uow(read_only=True) as uow:
        return int(
            uow.session.execute(
                select(func.count()).select_from(AuditEventRow).where(col(AuditEventRow.kind) == kind)
            ).scalar_one()
        )


class FailingOnBatch:
    """The real mailer, except that the n-th batch (1-based) raises as a crashing transport would."""

    def __init__(self, mailer: SmtpMailer, failing_batch: int) -> None:
        self.mailer = mailer
        self.failing_batch = failing_batch
        self.batches = 0

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        return await self.mailer.send(message)

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        self.batches += 1
        if self.batches == self.failing_batch:
            raise RuntimeError("transport crashed")
        return await self.mailer.send_many(messages)


class TestSettlingReadsAfterLocking:
    def test_a_request_withdrawn_between_send_and_settle_gets_no_clock(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, draft: Path
    ) -> None:
        submit(demo, checker, draft)
        rows = claim_batch(demo, "worker-a", 100)
        with demo.engine.begin() as conn:  # another transaction, committed while the mails were on the wire
            conn.execute(text("UPDATE requests SET status = 'withdrawn'"))
        answers = [
            (row.id or 0, DeliveryResult(DeliveryStatus.ACCEPTED, 250, "ok", clock.now())) for row in rows
        ]

        report = DispatchReport()
        settle_many(demo, answers, "worker-a", report)

        assert report.sent == 5
        assert {row.status for row in outbox(demo) if row.kind == "request"} == {"sent"}
        assert all(r.status == "withdrawn" and r.delivered_at is None for r in requests(demo).values())
        assert count_events(demo, "request_delivered") == 0

    def test_both_addresses_of_a_request_refused_in_one_batch_make_it_undeliverable_once(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, draft: Path
    ) -> None:
        submit(demo, checker, draft)
        rows = claim_batch(demo, "worker-a", 100)
        refused = DeliveryResult(DeliveryStatus.PERMANENT_FAILURE, 550, "5.1.1 no such user", None)
        answers = [
            (
                row.id or 0,
                refused
                if row.recipient in DSDEN
                else DeliveryResult(DeliveryStatus.ACCEPTED, 250, "ok", clock.now()),
            )
            for row in rows
        ]

        report = DispatchReport()
        settle_many(demo, answers, "worker-a", report)

        assert (report.sent, report.failed) == (3, 2)
        dsden = {row.request_id for row in rows if row.recipient in DSDEN}
        assert len(dsden) == 1
        states = requests(demo)
        assert [states[request_id].status for request_id in dsden] == ["undeliverable"]
        assert sorted(r.status for r in states.values()) == ["awaiting"] * 3 + ["undeliverable"]
        assert count_events(demo, "delivery_failed") == 1
        assert count_events(demo, "request_delivered") == 3
        assert (
            len([row for row in outbox(demo) if row.kind == "delivery_failure"]) == 2
        )  # one alert per address


class TestScrubbing:
    def test_a_sent_request_mail_keeps_neither_its_link_nor_its_calendar_file(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path, smtp_server: SmtpTestServer
    ) -> None:
        submit(demo, checker, draft)
        before = outbox(demo)
        assert all(row.attachments for row in before if row.kind == "request")

        report = dispatch(demo, smtp_server, batch=2)

        assert report.sent == 5
        received = smtp_server.accepted_messages()
        calendars = [
            part.get_content()
            for message in received
            for part in message.message.walk()
            if part.get_content_type() == "text/calendar"
        ]
        assert len(calendars) == 5 and all(LINK.search(str(ics).replace("\r\n ", "")) for ics in calendars)
        for row in outbox(demo):
            assert row.kind != "request" or (
                row.body_text == row.body_html == SCRUBBED and row.attachments == [] and row.status == "sent"
            )
        assert not any(LINK.search(json.dumps(row.attachments)) for row in outbox(demo))


class TestBatchAfterBatch:
    @pytest.mark.parametrize("batch", [1, 2, 100])
    def test_every_row_is_sent_once_and_every_clock_starts_at_its_first_250(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path, smtp_server: SmtpTestServer, batch: int
    ) -> None:
        submit(demo, checker, draft)

        report = dispatch(demo, smtp_server, batch=batch)

        assert (report.claimed, report.sent, report.retried, report.failed) == (5, 5, 0, 0)
        ids = [message.message_id for message in smtp_server.accepted_messages()]
        assert sorted(ids) == sorted({row.message_id for row in outbox(demo)}) and len(set(ids)) == 5
        rows = outbox(demo)
        for request_id, request in requests(demo).items():
            first = min(row.accepted_at for row in rows if row.request_id == request_id and row.accepted_at)
            assert request.status == "awaiting" and request.delivered_at == first
        assert count_events(demo, "request_delivered") == 4

    def test_max_batches_claims_no_row_it_will_not_send(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path, smtp_server: SmtpTestServer
    ) -> None:
        submit(demo, checker, draft)

        report = dispatch(demo, smtp_server, batch=2, max_batches=1)

        assert (report.claimed, report.sent) == (2, 2)
        assert sorted(row.status for row in outbox(demo)) == ["queued"] * 3 + ["sent"] * 2

    def test_a_crash_while_sending_a_batch_still_records_the_batch_before_it(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path, smtp_server: SmtpTestServer
    ) -> None:
        submit(demo, checker, draft)
        mailer = FailingOnBatch(support.test_mailer(demo, smtp_server), failing_batch=2)

        with pytest.raises(RuntimeError, match="transport crashed"):
            asyncio.run(dispatch_outbox(demo, mailer, batch=2))

        statuses = [row.status for row in outbox(demo)]
        # Batch 1 was sent and recorded; batch 2 keeps its lease (retaken when it lapses); the rest waits.
        assert statuses == ["sent", "sent", "sending", "sending", "queued"]
        sent = [row for row in outbox(demo) if row.status == "sent"]
        states = requests(demo)
        assert all(states[row.request_id or 0].status == "awaiting" for row in sent)
