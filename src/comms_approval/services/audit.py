"""Audit use cases: record events, verify the chain, export the trail (JSONL, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlmodel import Session, col

from comms_approval.adapters.db import audit as store
from comms_approval.adapters.db.audit import AuditRefs
from comms_approval.adapters.db.tables import AuditEventRow, AuditPayloadRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import Clock
from comms_approval.domain.audit_chain import CHAIN_VERSION, ChainedEvent, VerificationResult, verify_chain

__all__ = ["AuditRefs", "export_trail", "record", "verify_session", "verify_trail"]


def record(
    session: Session,
    clock: Clock,
    kind: str,
    refs: AuditRefs = AuditRefs(),  # noqa: B008 - immutable default
    payload: Mapping[str, object] | None = None,
    *,
    occurred_at: datetime | None = None,
) -> AuditEventRow:
    """Append an audit event in the caller's transaction; `occurred_at` defaults to now (e.g. a deadline instant)."""
    now = clock.now()
    return store.append_event(
        session, kind=kind, occurred_at=occurred_at or now, recorded_at=now, refs=refs, payload=payload
    )


def iter_events_with_payloads(
    session: Session, *, batch: int = 5000
) -> Iterator[tuple[AuditEventRow, str | None]]:
    """Every event in stored order with its payload (None once erased), both read by the same statement.

    Now that a missing payload must be accounted for by a retention purge, the payloads cannot be read apart
    from their events: under PostgreSQL's READ COMMITTED each statement has its own snapshot, so an event
    appended between a payload query and an event query would look erased. One statement per batch sees an
    event and its payload together (they are written in one transaction), and a purge's own event comes
    after the payloads it erased, so a later batch always shows it.
    """
    last = 0
    while True:
        rows = list(
            session.execute(
                select(AuditEventRow, col(AuditPayloadRow.payload))
                .outerjoin(AuditPayloadRow, col(AuditPayloadRow.seq) == col(AuditEventRow.seq))
                .where(col(AuditEventRow.seq) > last)
                .order_by(col(AuditEventRow.seq))
                .limit(batch)
            ).all()
        )
        if not rows:
            return
        for row, payload in rows:
            yield row, (str(payload) if payload is not None else None)
        last = rows[-1][0].seq


def verify_session(session: Session, *, expected_head: tuple[int, str] | None = None) -> VerificationResult:
    """Verify the whole stored chain, each payload checked against its digest or accounted for by a purge."""
    current: dict[int, str] = {}  # only the payload of the event being checked: memory stays bounded

    def events() -> Iterator[ChainedEvent]:
        for row, text in iter_events_with_payloads(session):
            current.clear()
            if text is not None:
                current[row.seq] = text
            yield store.to_chained(row)

    return verify_chain(events(), current, expected_head=expected_head)


def verify_trail(ctx: AppContext, *, expected_head: tuple[int, str] | None = None) -> VerificationResult:
    with ctx.uow(read_only=True) as uow:
        return verify_session(uow.session, expected_head=expected_head)


@dataclass(frozen=True)
class ExportedEvent:
    seq: int
    occurred_at: str
    recorded_at: str
    kind: str
    convention_id: str | None
    communication_id: int | None
    version_id: int | None
    request_id: int | None
    party_id: str | None
    payload: dict[str, object] | None
    payload_sha256: str
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, object]:
        return {"chain": CHAIN_VERSION, **self.__dict__}


def iter_export(session: Session) -> Iterator[ExportedEvent]:
    for row, text in iter_events_with_payloads(session):
        yield ExportedEvent(
            seq=row.seq,
            occurred_at=row.occurred_at.isoformat(),
            recorded_at=row.recorded_at.isoformat(),
            kind=row.kind,
            convention_id=row.convention_id,
            communication_id=row.communication_id,
            version_id=row.version_id,
            request_id=row.request_id,
            party_id=row.party_id,
            payload=json.loads(text) if text is not None else None,
            payload_sha256=row.payload_sha256,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


CSV_COLUMNS = [
    "seq",
    "occurred_at",
    "recorded_at",
    "kind",
    "convention_id",
    "communication_id",
    "version_id",
    "request_id",
    "party_id",
    "payload",
    "payload_sha256",
    "prev_hash",
    "hash",
]


def export_trail(ctx: AppContext, out: TextIO, fmt: str = "jsonl") -> int:
    """Write the whole trail to `out`; JSONL lines verify offline with bench-free tools (hashes included)."""
    count = 0
    with ctx.uow() as uow:
        if fmt == "jsonl":
            for event in iter_export(uow.session):
                out.write(json.dumps(event.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        elif fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for event in iter_export(uow.session):
                row = event.as_dict()
                row.pop("chain")
                row["payload"] = json.dumps(event.payload, ensure_ascii=False, sort_keys=True)
                writer.writerow(row)
                count += 1
        else:
            raise ValueError(f"unknown export format {fmt!r} (jsonl or csv)")
    return count


def export_to_string(ctx: AppContext, fmt: str = "jsonl") -> str:
    buffer = io.StringIO()
    export_trail(ctx, buffer, fmt)
    return buffer.getvalue()
