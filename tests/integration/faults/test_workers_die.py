"""A worker killed mid-sweep or mid-send, PostgreSQL connections cut mid-sweep: nothing lost, nothing doubled."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.services.audit import verify_trail
from comms_approval.services.sweep import run_sweep
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
from tests.integration.concurrency.workers import run_worker
from tests.support.smtp_server import SmtpTestServer

COMMUNICATIONS = 4  # 16 requests, 20 request mails

# Real processes (spawned, several seconds each); they run in CI like everything else.
pytestmark = pytest.mark.slow


def delivered(db_url: str, tmp_path: Path, server: SmtpTestServer) -> Seeded:
    seeded = seed_communications(db_url, tmp_path / "data", COMMUNICATIONS, uploads=tmp_path / "uploads")
    assert dispatch_to(seeded.ctx, server.port).sent == COMMUNICATIONS * 5
    return seeded


def start_worker(kind: str, seeded: Seeded, now: datetime, options: dict[str, Any]) -> tuple[Any, Any]:
    mp = multiprocessing.get_context("spawn")
    results = mp.Queue()
    process = mp.Process(
        target=run_worker,
        args=(kind, kind, seeded.url, str(seeded.data_dir), now.isoformat(), None, results, options),
    )
    process.start()
    return process, results


def paused_sweep(seeded: Seeded) -> tuple[Any, Any, Any]:
    """A sweep process stopped inside its first version transaction (lock held, nothing committed)."""
    mp = multiprocessing.get_context("spawn")
    paused, resume = mp.Event(), mp.Event()
    process, results = start_worker("paused_sweep", seeded, DEADLINE, {"paused": paused, "resume": resume})
    assert paused.wait(timeout=60), "the sweep process never reached its pause"
    return process, results, resume


def sweep_until_done(seeded: Seeded, attempts: int = 20) -> int:
    """The next scheduled sweeps: a version still locked by a dying backend is skipped, then done."""
    ctx = seeded.at(DEADLINE)
    deemed = 0
    for _ in range(attempts):
        report = run_sweep(ctx)
        deemed += report.deemed
        if report.skipped_locked == 0:
            return deemed
        time.sleep(0.2)
    raise AssertionError("the versions stayed locked")


def assert_all_deemed_once(seeded: Seeded) -> None:
    deemed = count_events(seeded.ctx, "deemed_approved")
    assert len(deemed) == COMMUNICATIONS * 4 and set(deemed.values()) == {1}
    cleared = count_events(seeded.ctx, "version_cleared")
    assert len(cleared) == COMMUNICATIONS and set(cleared.values()) == {1}
    assert set(request_states(seeded.ctx).values()) == {"deemed_approved"}
    assert verify_trail(seeded.ctx).ok


class TestWorkerKilledMidSweep:
    def test_another_sweep_finishes_the_work_of_a_killed_one_exactly_once(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """SIGKILL while the version lock is held and the deemed approvals are not committed."""
        seeded = delivered(db_url, tmp_path, smtp_server)
        process, _results, _resume = paused_sweep(seeded)
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)
        assert process.exitcode == -signal.SIGKILL
        assert sweep_until_done(seeded) == COMMUNICATIONS * 4  # the killed one committed nothing
        assert_all_deemed_once(seeded)


class TestPostgresConnectionsCutMidSweep:
    @pytest.mark.postgres
    def test_the_sweep_fails_cleanly_and_the_next_one_completes_the_work(
        self, pg_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Every backend of the database is terminated (as in a server restart) while a sweep holds a lock."""
        seeded = delivered(pg_url, tmp_path, smtp_server)
        process, results, resume = paused_sweep(seeded)
        admin = create_db_engine(pg_url)
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        admin.dispose()
        assert killed >= 1
        resume.set()
        _, outcome, payload = results.get(timeout=60)
        process.join(timeout=10)
        assert outcome == "ok", payload
        assert payload["first_error"] == "OperationalError"  # failed cleanly, with a database error
        # The same worker's next pass (a fresh connection from the pool) did the whole job.
        assert payload["second"]["deemed"] == COMMUNICATIONS * 4
        assert_all_deemed_once(seeded)


class TestWorkerKilledMidSend:
    def test_the_lapsed_lease_is_taken_over_with_at_most_one_duplicate_of_the_same_message_id(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """The relay has the first mail (no 250 yet) when the worker dies; its claimed rows wait for the lease."""
        seeded = seed_communications(db_url, tmp_path / "data", COMMUNICATIONS, uploads=tmp_path / "uploads")
        smtp_server.stall(seconds=30, times=1)
        first_try = after(minutes=1)
        process, _results = start_worker(
            "dispatch", seeded, first_try, {"smtp_port": smtp_server.port, "batch": 5, "timeout": 60}
        )
        stalled = smtp_server.wait_for_messages(1, timeout=60)[0]
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)

        # Another worker at the same instant sends what the dead one had not claimed; leases still hold.
        report = dispatch_to(seeded.at(first_try), smtp_server.port)
        assert report.sent == COMMUNICATIONS * 5 - 5
        assert outbox_states(seeded.ctx) == {"sent": COMMUNICATIONS * 5 - 5, "sending": 5}

        taken_over_at = first_try + timedelta(minutes=6)  # the 5-minute lease has lapsed
        report = dispatch_to(seeded.at(taken_over_at), smtp_server.port)
        assert report.sent == 5
        assert outbox_states(seeded.ctx) == {"sent": COMMUNICATIONS * 5}
        received = Counter(m.message_id for m in smtp_server.received_messages())
        assert sorted(received) == sorted(outbox_message_ids(seeded.ctx))  # nothing lost
        assert received.pop(stalled.message_id) == 2  # one duplicate, same Message-ID
        assert set(received.values()) == {1}
        accepted = Counter(m.message_id for m in smtp_server.accepted_messages())
        assert set(accepted.values()) == {1}
        assert set(request_states(seeded.ctx).values()) == {"awaiting"}
