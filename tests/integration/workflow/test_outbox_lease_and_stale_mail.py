"""The outbox holds its claim for as long as a batch takes, and never sends a mail that has nothing left to say.

Leases: a batch of 100 messages may take up to 100 SMTP timeouts, far past the 5-minute lease; the dispatcher
renews its claim, so the dispatchers that run meanwhile (every minute, and in the sweep, check and submit
flows) send none of its rows again, and a worker whose lease lapsed never settles a row another worker holds.

Stale mail: a request mail held back by a 4xx whose version was superseded meanwhile, or a reminder to a
party that decided meanwhile, is cancelled at its turn: not sent, no delivery recorded, no clock started.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from comms_approval.adapters.mail.message import DeliveryResult, DeliveryStatus, OutgoingMessage
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services.decisions import record_decision
from comms_approval.services.notifications import send_round_of
from comms_approval.services.outbox import (
    DEFAULT_LEASE,
    UNSENT,
    DispatchReport,
    claim_batch,
    dispatch_outbox,
    settle,
    settle_many,
)
from comms_approval.services.sweep import run_sweep
from tests.integration.workflow.test_approval_cycle import PARTNERS, requests_by_party
from tests.integration.workflow.test_outbox_batches import count_events, outbox, requests
from tests.support import workflow as support
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import DSDEN_ADDRESSES, FakeLogoChecker, dispatch, make_draft, tokens_for
from tests.support.workflow import submit_demo_draft as submit

ACCEPTED = DeliveryStatus.ACCEPTED


class SlowRelay:
    """The real relay, one message at a time, each taking `per_message` of the manual clock; before each
    message, `meanwhile` runs (another dispatcher's pass)."""

    def __init__(
        self,
        mailer: SmtpMailer,
        clock: ManualClock,
        per_message: timedelta,
        meanwhile: Callable[[], object] | None = None,
        *,
        batches: bool = True,
    ) -> None:
        self.mailer, self.clock, self.per_message, self.meanwhile = mailer, clock, per_message, meanwhile
        if not batches:
            self.send_many = None  # type: ignore[assignment]  # a mailer with `send` only

    async def _one(self, message: OutgoingMessage) -> DeliveryResult:
        self.clock.advance(self.per_message)
        if self.meanwhile is not None:
            outcome = self.meanwhile()
            if asyncio.iscoroutine(outcome):
                await outcome
        (result,) = await self.mailer.send_many([message])
        return result

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        return await self._one(message)

    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        return [await self._one(message) for message in messages]


def submit_communications(demo: AppContext, checker: FakeLogoChecker, tmp_path: Path, count: int) -> None:
    for number in range(count):
        submit(demo, checker, make_draft(tmp_path / f"draft{number}", text=f"Affiche {number}"))


def assert_each_mail_sent_once(demo: AppContext, smtp_server: SmtpTestServer) -> None:
    received = Counter(message.message_id for message in smtp_server.received_messages())
    assert sorted(received) == sorted(row.message_id for row in outbox(demo))
    assert set(received.values()) == {1}, [key for key, seen in received.items() if seen > 1]
    assert {row.status for row in outbox(demo)} == {"sent"}


class TestABatchLongerThanItsLease:
    def test_the_dispatchers_running_meanwhile_send_none_of_its_rows_again(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        tmp_path: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """15 mails at 25 s each (within the 30 s timeout): 375 s, past the 5-minute lease of the claim.

        Before every message another dispatcher runs a full pass over the same queue and the same relay.
        """
        submit_communications(demo, checker, tmp_path, 3)
        others: list[DispatchReport] = []

        async def other_dispatcher() -> None:
            others.append(
                await dispatch_outbox(demo, support.test_mailer(demo, smtp_server), worker_id="worker-b")
            )

        relay = SlowRelay(
            support.test_mailer(demo, smtp_server), clock, timedelta(seconds=25), other_dispatcher
        )
        started = clock.now()
        report = asyncio.run(dispatch_outbox(demo, relay, worker_id="worker-a"))

        assert clock.now() - started > DEFAULT_LEASE  # the batch outlived the lease of its claim
        assert_each_mail_sent_once(demo, smtp_server)
        assert len(others) == 15 and sum(other.claimed for other in others) == 0
        assert (report.claimed, report.sent, report.lost_leases) == (15, 15, 0)
        assert count_events(demo, "request_delivered") == 12

    def test_a_mailer_slower_than_the_timeout_and_without_batches_keeps_its_rows_too(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """65 s a message, one at a time: the fifth ends past the lease; another claim at each message finds nothing."""
        submit(demo, checker, draft)
        taken: list[int] = []
        relay = SlowRelay(
            support.test_mailer(demo, smtp_server),
            clock,
            timedelta(seconds=65),
            lambda: taken.extend(row.id or 0 for row in claim_batch(demo, "worker-b", 100)),
            batches=False,
        )

        report = asyncio.run(dispatch_outbox(demo, relay, worker_id="worker-a"))

        assert taken == []
        assert (report.claimed, report.sent, report.lost_leases) == (5, 5, 0)
        assert_each_mail_sent_once(demo, smtp_server)


class TestSettlingOnlyWhatTheWorkerHolds:
    def test_a_late_worker_settles_none_of_the_rows_another_worker_took_over(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, draft: Path
    ) -> None:
        submit(demo, checker, draft)
        late = claim_batch(demo, "worker-a", 100)
        clock.advance(DEFAULT_LEASE + timedelta(minutes=1))  # worker A's lease lapsed mid-send
        taken = claim_batch(demo, "worker-b", 100)
        assert sorted(row.id for row in taken) == sorted(row.id for row in late)

        report = DispatchReport()
        answers = [(row.id or 0, DeliveryResult(ACCEPTED, 250, "ok", clock.now())) for row in late[:4]]
        settle_many(demo, answers, "worker-a", report)  # the batch path
        last = late[4].id or 0
        settle(
            demo,
            last,
            "worker-a",
            DeliveryResult(DeliveryStatus.TEMPORARY_FAILURE, 451, "later", None),
            report,
        )

        assert (report.sent, report.retried, report.lost_leases) == (0, 0, 5)
        rows = outbox(demo)
        assert {(row.status, row.claimed_by) for row in rows} == {("sending", "worker-b")}
        assert {request.status for request in requests(demo).values()} == {"pending_delivery"}
        assert count_events(demo, "request_delivered") == 0

        # The holder settles them.
        mine = DispatchReport()
        settle_many(
            demo,
            [(row.id or 0, DeliveryResult(ACCEPTED, 250, "ok", clock.now())) for row in taken],
            "worker-b",
            mine,
        )
        assert (mine.sent, mine.lost_leases) == (5, 0)
        assert {row.status for row in outbox(demo)} == {"sent"}


class TestStaleMailIsCancelled:
    def test_a_request_mail_held_by_a_451_then_superseded_by_a_new_version_is_not_sent(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        tmp_path: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        smtp_server.fail_temporarily(PARTNERS["caf"], times=1)
        submit(demo, checker, draft)
        assert dispatch(demo, smtp_server).retried == 1
        clock.advance(timedelta(minutes=10))
        submit(demo, checker, make_draft(tmp_path / "v2", text="v2"), communication_id=1)
        assert requests_by_party(demo, version=1)["caf"]["status"] == "withdrawn"
        clock.advance(timedelta(hours=2))  # the retry is due

        report = dispatch(demo, smtp_server)

        to_caf = [
            m.message["Subject"] for m in smtp_server.accepted_messages() if PARTNERS["caf"] in m.rcpt_tos
        ]
        assert len(to_caf) == 1 and "(version 2)" in to_caf[0], to_caf
        assert report.cancelled == 1 and report.sent == 5  # the five request mails of version 2
        (held,) = [row for row in outbox(demo) if row.status == "cancelled"]
        assert (held.kind, held.recipient, held.accepted_at, held.claimed_by) == (
            "request",
            PARTNERS["caf"],
            None,
            None,
        )
        assert "withdrawn" in (held.last_error or "")
        assert held.body_text == held.body_html == UNSENT and held.attachments == []
        caf = requests_by_party(demo, version=1)["caf"]
        assert (caf["status"], caf["delivered_at"]) == ("withdrawn", None)
        assert dispatch(demo, smtp_server).claimed == 0  # cancelled is final: never claimed again

    def test_a_reminder_queued_before_the_partner_approves_is_not_sent(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        submit(demo, checker, draft)
        dispatch(demo, smtp_server)
        clock.advance(timedelta(days=7, hours=1))
        run_sweep(demo)  # queues the 7-day reminders
        assert sum(row.kind == "reminder" for row in outbox(demo)) == 5
        token = tokens_for(smtp_server.messages_to(PARTNERS["prefet"]), PARTNERS["prefet"])[0]
        record_decision(demo, token=token, decision="approve")  # before the dispatcher's next pass

        report = dispatch(demo, smtp_server)

        subjects = [m.message["Subject"] for m in smtp_server.messages_to(PARTNERS["prefet"])]
        assert not any(subject.startswith("Rappel") for subject in subjects), subjects
        assert report.cancelled == 1
        kinds = Counter(row.kind for row in outbox(demo) if row.status == "sent")
        assert kinds["reminder"] == 4
        (cancelled,) = [row for row in outbox(demo) if row.status == "cancelled"]
        assert (cancelled.kind, cancelled.recipient) == ("reminder", PARTNERS["prefet"])
        assert "approved" in (cancelled.last_error or "")
        assert requests_by_party(demo)["prefet"]["status"] == "approved"

    def test_the_second_address_of_a_party_still_gets_its_request_once_the_first_was_delivered(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Any approver may answer: the request awaits after the first 250, the other address's mail still goes."""
        smtp_server.fail_temporarily(DSDEN_ADDRESSES[1], times=1)
        submit(demo, checker, draft)
        dispatch(demo, smtp_server)
        assert requests_by_party(demo)["dsden"]["status"] == "awaiting"
        clock.advance(timedelta(hours=2))

        report = dispatch(demo, smtp_server)

        assert (report.sent, report.cancelled) == (1, 0)
        assert len([m for m in smtp_server.accepted_messages() if DSDEN_ADDRESSES[1] in m.rcpt_tos]) == 1

    def test_the_send_round_is_read_from_the_idempotency_key(self) -> None:
        assert send_round_of("request", "request:12:round3:a@b.c") == 3
        assert send_round_of("reminder", "reminder:12:after-7d:a@b.c") == 1
        assert send_round_of("reminder", "reminder:12:r2:before-2d:a@b.c") == 2
        assert send_round_of("request", "something-else") is None
