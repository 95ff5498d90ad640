"""The audit trail is append-only and any tampering is detected, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services.audit import AuditRefs, export_to_string, record, verify_trail


def append_events(ctx: AppContext, clock: ManualClock, count: int) -> None:
    with ctx.uow() as uow:
        for index in range(count):
            clock.advance(timedelta(minutes=1))
            record(
                uow.session,
                clock,
                "TestEvent",
                AuditRefs(convention_id="c1", party_id=f"p{index}"),
                {"index": index, "who": f"agent{index}@example.org"},
            )
        uow.commit()


def superuser_sql(ctx: AppContext, *statements: str) -> None:
    """Tamper as a database superuser would: with the append-only triggers out of the way."""
    with ctx.engine.connect() as conn:
        if ctx.engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
            for statement in statements:
                conn.exec_driver_sql(statement)
            conn.commit()
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(text("DROP TRIGGER audit_payloads_no_update"))
            for statement in statements:
                conn.exec_driver_sql(statement)
            conn.commit()


class TestIntactChain:
    def test_an_untouched_trail_verifies_with_its_head(self, ctx: AppContext, clock: ManualClock) -> None:
        """Five appended events verify, and the head is the fifth event."""
        append_events(ctx, clock, 5)
        result = verify_trail(ctx)
        assert result.ok, result.problem
        assert result.events_checked == 5
        assert result.head_seq == 5
        assert result.payloads_checked == 5

    def test_an_empty_trail_verifies(self, ctx: AppContext) -> None:
        """A fresh database has nothing to contradict."""
        assert verify_trail(ctx).ok


class TestAppendOnly:
    def test_the_database_refuses_to_update_an_event(self, ctx: AppContext, clock: ManualClock) -> None:
        """The application cannot edit history, even by mistake."""
        append_events(ctx, clock, 2)
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET kind = 'Forged' WHERE seq = 1"))

    def test_the_database_refuses_to_delete_an_event(self, ctx: AppContext, clock: ManualClock) -> None:
        """Nor delete it."""
        append_events(ctx, clock, 2)
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))

    def test_postgres_refuses_to_truncate_the_trail(self, ctx: AppContext, clock: ManualClock) -> None:
        """TRUNCATE bypasses row triggers, so PostgreSQL has a statement trigger for it."""
        if ctx.engine.dialect.name != "postgresql":
            assert ctx.engine.dialect.name == "sqlite"  # SQLite has no TRUNCATE statement at all
            return
        append_events(ctx, clock, 2)
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_events CASCADE"))


class TestTamperingIsDetected:
    def test_an_edited_event_is_named(self, ctx: AppContext, clock: ManualClock) -> None:
        """Changing one field of event 3 breaks event 3's hash."""
        append_events(ctx, clock, 5)
        superuser_sql(ctx, "UPDATE audit_events SET party_id = 'forged' WHERE seq = 3")
        result = verify_trail(ctx)
        assert not result.ok
        assert result.first_bad_seq == 3

    def test_an_edited_payload_is_named(self, ctx: AppContext, clock: ManualClock) -> None:
        """The payload is committed by its digest."""
        append_events(ctx, clock, 5)
        superuser_sql(
            ctx, """UPDATE audit_payloads SET payload = '{"index":1,"who":"x@example.org"}' WHERE seq = 2"""
        )
        result = verify_trail(ctx)
        assert not result.ok
        assert result.first_bad_seq == 2

    def test_a_deleted_middle_event_is_named(self, ctx: AppContext, clock: ManualClock) -> None:
        """Removing event 3 leaves a gap at 3."""
        append_events(ctx, clock, 5)
        superuser_sql(
            ctx, "DELETE FROM audit_payloads WHERE seq = 3", "DELETE FROM audit_events WHERE seq = 3"
        )
        result = verify_trail(ctx)
        assert not result.ok
        assert result.first_bad_seq == 3

    def test_reordered_events_are_detected(self, ctx: AppContext, clock: ManualClock) -> None:
        """Swapping the sequence numbers of events 2 and 4 breaks the links."""
        append_events(ctx, clock, 5)
        superuser_sql(
            ctx,
            "UPDATE audit_events SET seq = 1000 WHERE seq = 2",
            "UPDATE audit_events SET seq = 2 WHERE seq = 4",
            "UPDATE audit_events SET seq = 4 WHERE seq = 1000",
        )
        result = verify_trail(ctx)
        assert not result.ok
        assert result.first_bad_seq == 2

    def test_an_inserted_event_is_detected(self, ctx: AppContext, clock: ManualClock) -> None:
        """A forged event slipped in at the end cannot produce a matching link and hash."""
        append_events(ctx, clock, 3)
        superuser_sql(
            ctx,
            "INSERT INTO audit_events (seq, occurred_at, recorded_at, kind, payload_sha256, prev_hash, hash) "
            "SELECT 4, occurred_at, recorded_at, 'Forged', payload_sha256, hash, "
            "'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed' FROM audit_events WHERE seq = 3",
        )
        result = verify_trail(ctx)
        assert not result.ok
        assert result.first_bad_seq == 4

    def test_a_truncated_tail_is_detected_through_an_anchor(
        self, ctx: AppContext, clock: ManualClock
    ) -> None:
        """Deleting the last events leaves a valid shorter chain; the anchored head held by a party exposes it."""
        append_events(ctx, clock, 5)
        anchor = (verify_trail(ctx).head_seq, verify_trail(ctx).head_hash)
        superuser_sql(
            ctx, "DELETE FROM audit_payloads WHERE seq >= 4", "DELETE FROM audit_events WHERE seq >= 4"
        )
        assert verify_trail(ctx).ok  # a bare chain cannot know it lost its tail...
        result = verify_trail(ctx, expected_head=anchor)
        assert not result.ok  # ...but the anchor does
        assert result.first_bad_seq == 4

    def test_a_payload_erased_outside_a_retention_purge_is_detected(
        self, ctx: AppContext, clock: ManualClock
    ) -> None:
        """Only a retention purge may erase a payload (test_audit_erasure_and_checkpoints.py has the legal case)."""
        append_events(ctx, clock, 3)
        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_payloads WHERE seq = 2"))
        result = verify_trail(ctx)
        assert (result.ok, result.first_bad_seq) == (False, 2)
        assert result.payloads_erased == 1


def test_the_export_carries_every_event_with_its_hashes(ctx: AppContext, clock: ManualClock) -> None:
    """JSONL export: one line per event, hashes included, payloads readable."""
    import json

    append_events(ctx, clock, 3)
    lines = export_to_string(ctx, "jsonl").splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert events[2]["payload"] == {"index": 2, "who": "agent2@example.org"}
    csv_text = export_to_string(ctx, "csv")
    assert csv_text.splitlines()[0].startswith("seq,occurred_at")
    assert len(csv_text.strip().splitlines()) == 4
