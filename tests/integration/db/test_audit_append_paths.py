"""Events are written in bulk at the flush: same chain as the ORM path, visible at once, gone with a rollback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from comms_approval.adapters.db import audit as store
from comms_approval.adapters.db.tables import AuditEventRow, AuditPayloadRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.audit_chain import ChainedEvent, payload_digest
from comms_approval.services.audit import AuditRefs, record, verify_trail


def orm_append(
    session: Session, clock: ManualClock, kind: str, refs: AuditRefs, payload: dict[str, object]
) -> None:
    """The ORM path of append_event before the bulk writes (commit d367c8b), kept here as the reference."""
    head = store._lock_head(session)
    now = clock.now()
    payload_text, payload_sha = payload_digest(payload)
    chained = ChainedEvent(
        seq=head.seq + 1,
        occurred_at=now,
        kind=kind,
        convention_id=refs.convention_id,
        communication_id=refs.communication_id,
        version_id=refs.version_id,
        request_id=refs.request_id,
        party_id=refs.party_id,
        payload_sha256=payload_sha,
        prev_hash=head.hash,
    )
    digest = chained.compute_hash()
    session.add(
        AuditEventRow(
            seq=chained.seq,
            occurred_at=now,
            recorded_at=now,
            kind=kind,
            convention_id=refs.convention_id,
            communication_id=refs.communication_id,
            version_id=refs.version_id,
            request_id=refs.request_id,
            party_id=refs.party_id,
            payload_sha256=payload_sha,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    session.add(AuditPayloadRow(seq=chained.seq, payload=payload_text))
    head.seq = chained.seq
    head.hash = digest
    session.add(head)


def refs(index: int) -> AuditRefs:
    return AuditRefs(convention_id="c1", communication_id=index, version_id=2 * index, party_id=f"p{index}")


def stored_events(session: Session) -> list[AuditEventRow]:
    return list(session.execute(select(AuditEventRow).order_by(col(AuditEventRow.seq))).scalars())


class TestOneChain:
    def test_events_of_both_paths_interleaved_verify_as_one_chain(
        self, ctx: AppContext, clock: ManualClock
    ) -> None:
        """Old ORM writes, bulk writes, then both in one transaction: `audit verify` accepts the whole trail."""
        index = 0
        for paths in (["orm"] * 3, ["bulk"] * 3, ["orm", "bulk", "orm", "bulk", "bulk"]):
            with ctx.uow() as uow:
                for path in paths:
                    index += 1
                    clock.advance(timedelta(seconds=7))
                    payload = {"index": index, "who": f"agent{index}@example.org", "texte": "é"}
                    if path == "orm":
                        orm_append(uow.session, clock, "TestEvent", refs(index), payload)
                    else:
                        record(uow.session, clock, "TestEvent", refs(index), payload)
                uow.commit()

        result = verify_trail(ctx)
        assert result.ok, result.problem
        assert (result.events_checked, result.payloads_checked, result.head_seq) == (11, 11, 11)

    def test_the_returned_event_is_the_stored_one(self, ctx: AppContext, clock: ManualClock) -> None:
        with ctx.uow() as uow:
            returned = [record(uow.session, clock, "TestEvent", refs(i), {"i": i}) for i in range(1, 4)]
            uow.commit()
        with ctx.uow(read_only=True) as uow:
            stored = stored_events(uow.session)
            assert [(row.seq, row.hash, row.prev_hash, row.payload_sha256) for row in stored] == [
                (row.seq, row.hash, row.prev_hash, row.payload_sha256) for row in returned
            ]
            assert store.head(uow.session) == (returned[-1].seq, returned[-1].hash)


class TestWithinTheTransaction:
    def test_a_query_after_an_append_sees_the_event_and_its_payload(
        self, ctx: AppContext, clock: ManualClock
    ) -> None:
        with ctx.uow() as uow:
            record(uow.session, clock, "TestEvent", refs(1), {"i": 1})
            record(uow.session, clock, "TestEvent", refs(2), {"i": 2})
            assert [row.seq for row in stored_events(uow.session)] == [1, 2]
            assert store.payload_map(uow.session).keys() == {1, 2}
            record(uow.session, clock, "TestEvent", refs(3), {"i": 3})  # after a flush: the chain goes on
            uow.commit()
        assert verify_trail(ctx).events_checked == 3

    def test_events_of_a_rolled_back_transaction_are_never_written(
        self, ctx: AppContext, clock: ManualClock
    ) -> None:
        with ctx.uow() as uow:
            record(uow.session, clock, "Lost", refs(1), {"i": 1})
            uow.rollback()
            record(uow.session, clock, "Kept", refs(2), {"i": 2})
            uow.commit()
        with ctx.uow() as uow:
            record(uow.session, clock, "Lost", refs(3), {"i": 3})  # left without commit: rolled back
        with ctx.uow() as uow:
            record(uow.session, clock, "Kept", refs(4), {"i": 4})
            uow.commit()

        with ctx.uow(read_only=True) as uow:
            assert [(row.seq, row.kind) for row in stored_events(uow.session)] == [(1, "Kept"), (2, "Kept")]
        assert verify_trail(ctx).ok

    def test_events_of_a_rolled_back_savepoint_are_never_written(
        self, ctx: AppContext, clock: ManualClock
    ) -> None:
        with ctx.uow() as uow:
            record(uow.session, clock, "Kept", refs(1), {"i": 1})
            savepoint = uow.session.begin_nested()
            record(uow.session, clock, "Lost", refs(2), {"i": 2})
            savepoint.rollback()
            record(uow.session, clock, "Kept", refs(3), {"i": 3})
            uow.commit()

        with ctx.uow(read_only=True) as uow:
            assert [(row.seq, row.kind) for row in stored_events(uow.session)] == [(1, "Kept"), (2, "Kept")]
            count = uow.session.execute(select(func.count()).select_from(AuditPayloadRow)).scalar_one()
            assert count == 2
        assert verify_trail(ctx).ok

    # PostgreSQL only (SQLite does not enforce VARCHAR lengths): selected here, never skipped.
    @pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
    def test_an_overlong_kind_is_refused_not_truncated(self, ctx: AppContext, clock: ManualClock) -> None:
        """PostgreSQL enforces the column's length: the hashed value is stored whole or not at all."""
        assert ctx.engine.dialect.name == "postgresql"
        with ctx.uow() as uow:
            record(uow.session, clock, "K" * 49, refs(1), {"i": 1})
            with pytest.raises(DBAPIError):
                uow.commit()
        assert verify_trail(ctx).events_checked == 0
