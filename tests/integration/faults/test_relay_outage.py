"""The SMTP relay down for half a day, then back; decisions answered while no worker runs at all."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from comms_approval.adapters.db.tables import OutboxRow, RequestRow
from comms_approval.clock import ManualClock
from comms_approval.services.decisions import record_decision
from tests.integration.concurrency.support import (
    START,
    after,
    dispatch_to,
    outbox_states,
    request_states,
    seed_communications,
)
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import tokens_for

OUTAGE = timedelta(hours=12)
TICK = timedelta(minutes=5)  # the outbox deployment runs more often; the backoff, not the tick, paces retries


def dead_port() -> int:
    """A loopback port nobody listens on: the relay is down (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
class TestRelayDownThenBack:
    def test_messages_back_off_during_the_outage_and_go_out_once_with_the_clock_at_acceptance(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Twelve hours of refused connections, a dispatcher every five minutes, then a working relay."""
        seeded = seed_communications(db_url, tmp_path / "data", 2, uploads=tmp_path / "uploads")
        down = dead_port()
        ctx = seeded.ctx
        clock = ctx.clock
        assert isinstance(clock, ManualClock)
        now = START
        passes = claimed = 0
        while now < START + OUTAGE:
            now = clock.advance(TICK)
            report = dispatch_to(ctx, down)
            assert report.sent == 0
            passes += 1
            claimed += report.claimed
            if passes <= 12:
                # The same instant again: what just failed waits for its backoff, nothing is retried.
                assert dispatch_to(ctx, down).claimed == 0
        with seeded.ctx.uow() as uow:
            attempts = [r.attempts for r in uow.session.execute(select(OutboxRow)).scalars()]
            uow.commit()
        assert len(attempts) == 10
        # Exponential backoff (30 s doubling up to an hour, full jitter): a handful of tries per message
        # over twelve hours, far from one per pass, and still being retried (not given up) at the end.
        assert min(attempts) >= 5 and max(attempts) <= passes // 3
        assert outbox_states(seeded.ctx) == {"retry": 10}
        assert set(request_states(seeded.ctx).values()) == {"pending_delivery"}

        recovered_at = now
        while outbox_states(seeded.ctx).get("retry") and now < recovered_at + timedelta(hours=2):
            now = clock.advance(TICK)
            dispatch_to(ctx, smtp_server.port)
        assert outbox_states(seeded.ctx) == {"sent": 10}
        received = Counter(m.message_id for m in smtp_server.received_messages())
        assert len(received) == 10 and set(received.values()) == {1}
        with seeded.ctx.uow() as uow:
            accepted: dict[int | None, list[datetime]] = {}
            for row in uow.session.execute(select(OutboxRow)).scalars():
                assert row.accepted_at is not None
                accepted.setdefault(row.request_id, []).append(row.accepted_at)
            requests = list(uow.session.execute(select(RequestRow)).scalars())
            uow.commit()  # keeps the loaded rows readable after the session closes
        for request in requests:
            assert request.status == "awaiting"
            assert request.delivered_at is not None and request.delivered_at > recovered_at
            # The clock starts at the first real acceptance of the request's own mails (the DSDEN has two
            # approvers), not at the first attempt during the outage.
            assert request.delivered_at == min(accepted[request.id])
            assert request.deadline_basis is not None
            basis_delivered = datetime.fromisoformat(str(request.deadline_basis["delivered_at"]))
            assert basis_delivered == request.delivered_at


class TestDecisionsWithoutAnyWorker:
    def test_partners_decide_and_the_version_concludes_while_no_sweep_or_outbox_worker_runs(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """The decision path needs only the database: acknowledgements and conclusion wait in the outbox."""
        seeded = seed_communications(db_url, tmp_path / "data", 1, uploads=tmp_path / "uploads")
        dispatch_to(seeded.ctx, smtp_server.port)
        mails = smtp_server.accepted_messages()
        # From here on no worker runs: nothing but the decision service touches the database.
        ctx = seeded.at(after(days=2))
        for address in (
            "pref-communication@prefecture.example.org",
            "communication@dsden.example.org",
            "dtpjj-direction@pjj.example.org",
            "direction@caf.example.org",
        ):
            result = record_decision(ctx, token=tokens_for(mails, address)[0], decision="approve")
            assert result.state == "approved"
        assert result.version_status == "cleared"
        queued = outbox_states(seeded.ctx)
        assert queued["queued"] >= 4 + 1  # four acknowledgements and the conclusion mails
        assert len(smtp_server.received_messages()) == 5  # nothing more went out without a worker
        dispatch_to(ctx, smtp_server.port)
        assert outbox_states(seeded.ctx) == {"sent": 5 + queued["queued"]}
