"""Several sweep and outbox processes at once: exactly one deemed approval, one reminder per slot, one mail per row."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.concurrency.support import (
    DEADLINE,
    Seeded,
    after,
    count_events,
    dispatch_to,
    outbox_message_ids,
    outbox_states,
    request_states,
    seed_communications,
)
from tests.integration.concurrency.workers import spawn_workers
from tests.support.smtp_server import SmtpTestServer

COMMUNICATIONS = 6  # 24 requests, 30 request mails (the DSDEN has two approvers)

# Real processes (spawned, several seconds each); they run in CI like everything else.
pytestmark = pytest.mark.slow


def seeded_and_delivered(db_url: str, tmp_path: Path, server: SmtpTestServer) -> Seeded:
    seeded = seed_communications(db_url, tmp_path / "data", COMMUNICATIONS, uploads=tmp_path / "uploads")
    report = dispatch_to(seeded.ctx, server.port)
    assert report.sent == COMMUNICATIONS * 5
    return seeded


def assert_no_worker_failed(outcomes: dict[str, tuple[str, object]]) -> None:
    failures = {name: payload for name, (outcome, payload) in outcomes.items() if outcome != "ok"}
    assert failures == {}


class TestTwoSweepsAtOnce:
    def test_each_silent_request_is_deemed_approved_exactly_once(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Two sweep processes start together at the deadline; every request gets one DeemedApproved."""
        seeded = seeded_and_delivered(db_url, tmp_path, smtp_server)
        outcomes = spawn_workers(
            [("sweep", "sweep-a", {}), ("sweep", "sweep-b", {})],
            url=db_url,
            data_dir=seeded.data_dir,
            now=DEADLINE,
        )
        assert_no_worker_failed(outcomes)
        deemed = count_events(seeded.ctx, "deemed_approved")
        assert len(deemed) == COMMUNICATIONS * 4 and set(deemed.values()) == {1}
        assert sum(payload["deemed"] for _, payload in outcomes.values()) == COMMUNICATIONS * 4  # type: ignore[index]
        cleared = count_events(seeded.ctx, "version_cleared")
        assert len(cleared) == COMMUNICATIONS and set(cleared.values()) == {1}
        assert set(request_states(seeded.ctx).values()) == {"deemed_approved"}

    def test_the_naive_sweep_run_the_same_way_deems_requests_twice(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Without the version lock and the re-read guard, the same race records duplicate approvals."""
        seeded = seeded_and_delivered(db_url, tmp_path, smtp_server)
        outcomes = spawn_workers(
            [("naive_sweep", "naive-a", {}), ("naive_sweep", "naive-b", {})],
            url=db_url,
            data_dir=seeded.data_dir,
            now=DEADLINE,
        )
        assert_no_worker_failed(outcomes)
        deemed = count_events(seeded.ctx, "deemed_approved")
        # the test above would fail on this variant (its own conclusions deem the stale rest once more)
        assert max(deemed.values()) >= 2

    def test_each_reminder_slot_is_used_once_when_two_sweeps_run_per_slot(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Day 7 and two days before the deadline: two concurrent sweeps each time, one reminder per slot."""
        seeded = seeded_and_delivered(db_url, tmp_path, smtp_server)
        for now in (after(days=7, hours=1), DEADLINE - timedelta(days=2) + timedelta(hours=1)):
            outcomes = spawn_workers(
                [("sweep", "sweep-a", {}), ("sweep", "sweep-b", {})],
                url=db_url,
                data_dir=seeded.data_dir,
                now=now,
            )
            assert_no_worker_failed(outcomes)
            assert sum(p["reminders"] for _, p in outcomes.values()) == COMMUNICATIONS * 4  # type: ignore[index]
        reminders = count_events(seeded.ctx, "reminder_sent")
        assert len(reminders) == COMMUNICATIONS * 4 and set(reminders.values()) == {2}
        keys = outbox_message_ids(seeded.ctx)
        assert len(keys) == len(set(keys))
        # One reminder mail per approver address and slot: 5 addresses x 2 slots per communication.
        assert outbox_states(seeded.ctx).get("queued") == COMMUNICATIONS * 5 * 2


class TestTwoDispatchersAtOnce:
    def test_every_outbox_row_reaches_the_relay_exactly_once(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Two dispatcher processes share the queue (claims with SKIP LOCKED and a lease)."""
        seeded = seed_communications(db_url, tmp_path / "data", COMMUNICATIONS, uploads=tmp_path / "uploads")
        options = {"smtp_port": smtp_server.port, "batch": 3}
        outcomes = spawn_workers(
            [("dispatch", "outbox-a", options), ("dispatch", "outbox-b", options)],
            url=db_url,
            data_dir=seeded.data_dir,
            now=after(minutes=1),
        )
        assert_no_worker_failed(outcomes)
        received = Counter(m.message_id for m in smtp_server.received_messages())
        assert sorted(received) == sorted(outbox_message_ids(seeded.ctx))
        assert set(received.values()) == {1}
        assert outbox_states(seeded.ctx) == {"sent": COMMUNICATIONS * 5}
        assert sum(p["sent"] for _, p in outcomes.values()) == COMMUNICATIONS * 5  # type: ignore[index]
        assert set(request_states(seeded.ctx).values()) == {"awaiting"}

    def test_the_naive_dispatcher_run_the_same_way_sends_duplicates(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Reading ready rows without claiming them makes both processes send the same mails."""
        seeded = seed_communications(db_url, tmp_path / "data", COMMUNICATIONS, uploads=tmp_path / "uploads")
        options = {"smtp_port": smtp_server.port}
        outcomes = spawn_workers(
            [("naive_dispatch", "naive-a", options), ("naive_dispatch", "naive-b", options)],
            url=db_url,
            data_dir=seeded.data_dir,
            now=after(minutes=1),
        )
        assert_no_worker_failed(outcomes)
        received = Counter(m.message_id for m in smtp_server.received_messages())
        assert max(received.values()) == 2
