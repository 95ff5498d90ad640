"""DispatchOutbox: claim queued mail with a lease, hand it to the relay, record what the relay said."""

from __future__ import annotations

import asyncio
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, func, or_, select, update
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, SQLModel, col

from comms_approval.adapters.db.tables import OutboxRow, RequestRow
from comms_approval.adapters.mail.message import DeliveryResult, DeliveryStatus, Mailer
from comms_approval.adapters.mail.smtp import retry_delay
from comms_approval.bootstrap import AppContext
from comms_approval.domain.requests import RequestState
from comms_approval.services.delivery import DeliveryBatch, mark_request_delivered, note_permanent_failure
from comms_approval.services.notifications import OutboxStatus, send_round_of, to_outgoing

DEFAULT_LEASE = timedelta(minutes=5)
SCRUBBED = "[envoyé — contenu effacé : il portait un lien personnel]"
UNSENT = "[non envoyé — contenu effacé : il portait un lien personnel]"
TAKEN_OVER = "taken over by another worker"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DispatchReport:
    """What one dispatch pass did, for logs, the CLI and the benchmarks."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost_leases: int = 0
    cancelled: int = 0
    details: list[str] = field(default_factory=list)


def claim_batch(
    ctx: AppContext, worker_id: str, limit: int, lease: timedelta = DEFAULT_LEASE
) -> list[OutboxRow]:
    """Claim ready rows; SKIP LOCKED lets several workers share the queue without taking the same row."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        query = (
            select(OutboxRow)
            .where(
                or_(
                    OutboxRow.status.in_(OutboxStatus.READY),  # type: ignore[attr-defined]
                    # A worker that died mid-send leaves a lapsed lease: the row is taken over.
                    (OutboxRow.status == OutboxStatus.SENDING) & (OutboxRow.claimed_until < now),  # type: ignore[operator,arg-type]
                ),
                OutboxRow.next_attempt_at <= now,  # type: ignore[arg-type]
            )
            .order_by(OutboxRow.id)  # type: ignore[arg-type]
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(uow.session.execute(query).scalars())
        if rows:
            # One UPDATE for the batch; 'evaluate' applies the same values to the rows handed back.
            uow.session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_([row.id for row in rows]))
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_by=worker_id,
                    claimed_until=now + lease,
                    attempts=col(OutboxRow.attempts) + 1,
                )
                .execution_options(synchronize_session="evaluate")
            )
        uow.commit()
    return rows


def renew_claims(
    ctx: AppContext, worker_id: str, row_ids: list[int], lease: timedelta = DEFAULT_LEASE
) -> set[int]:
    """Extend this worker's lease on the rows it still holds; return those (a row taken over is not renewed).

    A batch may take longer than one lease (every message may use the whole SMTP timeout): the dispatcher
    renews its claim before the lease could lapse, so no other worker takes over rows it is about to send.
    """
    with ctx.uow() as uow:
        held = _renew(uow.session, ctx, worker_id, row_ids, lease)
        uow.commit()
    return held


def _renew(
    session: Session, ctx: AppContext, worker_id: str, row_ids: list[int], lease: timedelta
) -> set[int]:
    held = list(
        session.execute(
            select(col(OutboxRow.id))
            .where(
                col(OutboxRow.id).in_(row_ids),
                col(OutboxRow.claimed_by) == worker_id,
                col(OutboxRow.status) == OutboxStatus.SENDING,
            )
            .order_by(col(OutboxRow.id))
            .with_for_update()
        ).scalars()
    )
    if held:
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id).in_(held))
            .values(claimed_until=ctx.clock.now() + lease)
            .execution_options(synchronize_session=False)
        )
    return set(held)


# The request states in which a mail of each personal kind still has something to say.
_STILL_DUE = {
    # Request mails go to every address of the round: the first 250 makes the request await, and the other
    # addresses of the same round (a party with several approvers) must still get theirs.
    "request": (RequestState.PENDING_DELIVERY.value, RequestState.AWAITING.value),
    # Never after a decision, a deemed approval, a withdrawal or a conclusion.
    "reminder": (RequestState.AWAITING.value,),
}


def _why_stale(row: OutboxRow, request: tuple[str, int] | None) -> str | None:
    """Why this request mail or reminder must not go out now, or None if it still must."""
    if request is None:
        return "its request no longer exists"
    status, send_round = request
    if status not in _STILL_DUE[row.kind]:
        return f"its request is {status}"
    row_round = send_round_of(row.kind, row.idempotency_key)
    if row_round is not None and row_round != send_round:
        return f"it belongs to send round {row_round}, the request is at round {send_round}"
    return None


def cancel_stale(ctx: AppContext, worker_id: str, rows: list[OutboxRow]) -> dict[int, str]:
    """Cancel the request mails and reminders among these claimed rows that have nothing left to say.

    Checked just before sending, not when queued: a mail held back by a 4xx (or waiting its turn) may outlive
    its purpose -- the version was superseded or withdrawn, the request resent to another address, the party
    decided. Such a row is never sent, records no delivery and starts no clock; its body, which carries a
    personal link, is erased. Returns {row id: reason} for every row not to send (cancelled here, or no
    longer ours). Other kinds (conclusions, acknowledgements, officer alerts) are not checked.
    """
    if not _personal(rows):
        return {}
    with ctx.uow() as uow:
        skipped = _cancel_stale(uow.session, worker_id, rows)
        uow.commit()
    return skipped


def _personal(rows: list[OutboxRow]) -> list[OutboxRow]:
    return [row for row in rows if row.kind in _STILL_DUE and row.request_id is not None]


def _cancel_stale(session: Session, worker_id: str, rows: list[OutboxRow]) -> dict[int, str]:
    personal = _personal(rows)
    if not personal:
        return {}
    requests: dict[int, tuple[str, int]] = {
        request_id: (status, send_round)
        for request_id, status, send_round in session.execute(
            select(col(RequestRow.id), col(RequestRow.status), col(RequestRow.send_round)).where(
                col(RequestRow.id).in_({row.request_id for row in personal})
            )
        )
        if request_id is not None
    }
    skipped: dict[int, str] = {}
    for row in personal:
        reason = _why_stale(row, requests.get(row.request_id or 0))
        if reason is None:
            continue
        # Only a row this worker still holds: one taken over is the other worker's to check.
        cancelled = session.execute(
            update(OutboxRow)
            .where(
                col(OutboxRow.id) == row.id,
                col(OutboxRow.claimed_by) == worker_id,
                col(OutboxRow.status) == OutboxStatus.SENDING,
            )
            .values(
                status=OutboxStatus.CANCELLED,
                claimed_by=None,
                claimed_until=None,
                last_error=f"not sent: {reason}"[:1000],
                body_text=UNSENT,
                body_html=UNSENT,
                attachments=[],
            )
            .execution_options(synchronize_session=False)
        )
        skipped[row.id or 0] = reason if _rowcount(cancelled) == 1 else TAKEN_OVER
    return skipped


def _prepare_part(
    ctx: AppContext, worker_id: str, renew: list[int] | None, part: list[OutboxRow], lease: timedelta
) -> tuple[set[int] | None, dict[int, str]]:
    """Before sending a part, in one transaction: renew the claim (if asked), then cancel_stale for the part.

    Returns the rows still held after the renewal (None if not renewed) and the part's rows not to send.
    """
    if renew is None and not _personal(part):
        return None, {}
    with ctx.uow() as uow:
        held = _renew(uow.session, ctx, worker_id, renew, lease) if renew is not None else None
        skipped = _cancel_stale(
            uow.session, worker_id, [row for row in part if held is None or row.id in held]
        )
        uow.commit()
    return held, skipped


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))


def settle(
    ctx: AppContext, row_id: int, worker_id: str, result: DeliveryResult, report: DispatchReport
) -> None:
    """Record the relay's answer for one row, and its business consequence, in one transaction."""
    with ctx.uow() as uow:
        _settle_locked(uow.session, ctx, row_id, worker_id, result, report)
        uow.commit()


def settle_many(
    ctx: AppContext, answers: list[tuple[int, DeliveryResult]], worker_id: str, report: DispatchReport
) -> None:
    """Record a batch of answers in one transaction; on any error, one transaction per row instead.

    Only the rows this worker still holds are settled: a row another worker took over once our lease lapsed
    (or has settled since) is theirs, and counts as a lost lease here.

    One commit per message made the dispatcher a quarter of the bare SMTP loop on PostgreSQL
    (bench/workflow/outbox_throughput.py). Locks are taken in the product's global order -- outbox rows,
    then versions by ascending id, then (on the first audit event) the audit head -- so a batch never
    deadlocks with a decision, a sweep or another worker's batch.
    """
    if len(answers) <= 1:
        for row_id, result in answers:
            settle(ctx, row_id, worker_id, result, report)
        return
    batch = DispatchReport()
    try:
        with ctx.uow() as uow:
            session = uow.session
            ids = sorted(row_id for row_id, _ in answers)
            rows = list(
                session.execute(
                    select(OutboxRow)
                    # The bodies are only overwritten (scrubbed), never read here: not loaded.
                    .options(*(defer(column) for column in _BODIES))
                    .where(col(OutboxRow.id).in_(ids))
                    .order_by(col(OutboxRow.id))
                    .with_for_update()
                ).scalars()
            )
            delivery = DeliveryBatch()
            delivery.lock(session, {row.request_id for row in rows if row.request_id is not None})
            by_id = {row.id: row for row in rows}
            sent: list[dict[str, object]] = []
            for row_id, result in answers:
                row = by_id[row_id]
                if result.status is DeliveryStatus.ACCEPTED and _held(row, worker_id):
                    sent.append(_sent_values(session, ctx, row, result, delivery))
                    batch.sent += 1
                else:
                    _settle_row(session, ctx, row, worker_id, result, batch, delivery)
            _write_sent(session, sent)
            uow.commit()
    except Exception:
        # Rolled back as a whole: settle row by row, so one bad row cannot hold the others back.
        for row_id, result in answers:
            settle(ctx, row_id, worker_id, result, report)
        return
    report.sent += batch.sent
    report.retried += batch.retried
    report.failed += batch.failed
    report.lost_leases += batch.lost_leases


def _settle_locked(
    session: Session,
    ctx: AppContext,
    row_id: int,
    worker_id: str,
    result: DeliveryResult,
    report: DispatchReport,
) -> None:
    row = session.execute(select(OutboxRow).where(col(OutboxRow.id) == row_id).with_for_update()).scalar_one()
    _settle_row(session, ctx, row, worker_id, result, report, None)


def _held(row: OutboxRow, worker_id: str) -> bool:
    """The row is still this worker's claim (read under its row lock): only then may the worker settle it."""
    return row.status == OutboxStatus.SENDING and row.claimed_by == worker_id


_BODIES: tuple[QueryableAttribute[Any], ...] = (
    OutboxRow.body_text,  # type: ignore[assignment]
    OutboxRow.body_html,
    OutboxRow.attachments,
)
# Kinds whose body carries a personal link (in the text, the HTML and the .ics): scrubbed once sent.
_PERSONAL = ("request", "reminder")


def _sent_values(
    session: Session,
    ctx: AppContext,
    row: OutboxRow,
    result: DeliveryResult,
    delivery: DeliveryBatch | None,
) -> dict[str, object]:
    """The accepted row's new column values, and the business consequence of its 250 (the request's clock).

    The one definition of what a 250 does, for the batch (bulk UPDATE) and the row-by-row path alike.
    """
    accepted_at = result.accepted_at or ctx.clock.now()
    values: dict[str, object] = {
        "id": row.id,
        "status": OutboxStatus.SENT,
        "accepted_at": accepted_at,
        "last_code": result.code,
        "last_error": None,
        "claimed_by": None,
        "claimed_until": None,
    }
    if row.kind in _PERSONAL:
        # The body carried a personal link; only its hash is kept, in the links table.
        values.update(body_text=SCRUBBED, body_html=SCRUBBED, attachments=[])
    if row.kind == "request" and row.request_id is not None:
        mark_request_delivered(session, ctx, row.request_id, accepted_at, batch=delivery)
    return values


def _write_sent(session: Session, sent: list[dict[str, object]]) -> None:
    """Write the accepted rows' new values, by primary key, in one statement per set of columns.

    Instead of the unit of work's per-object bookkeeping. The session's copies of these rows are stale from
    here on; nothing reads them. On PostgreSQL the varying values (id, accepted_at, last_code) go as three
    arrays (numbers and instants: cheap to dump) joined by unnest, one statement of constant text whatever
    the batch size: the batch settle took 0.31 ms a message instead of 0.36-0.38 with psycopg's executemany
    (one pipelined statement per row). A VALUES list of the batch's size would be compiled and parsed again
    for each batch. SQLite's executemany loops in C.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    for group in (
        [values for values in sent if "body_text" in values],
        [values for values in sent if "body_text" not in values],
    ):
        if not group:  # an empty parameter list would be an UPDATE without WHERE
            continue
        if not postgres:
            session.execute(update(OutboxRow), group)
            continue
        rows = (
            func.unnest(
                bindparam("ids", type_=ARRAY(Integer)),
                bindparam("accepted", type_=ARRAY(_OUTBOX.c.accepted_at.type)),
                bindparam("codes", type_=ARRAY(Integer)),
            )
            .table_valued("id", "accepted_at", "last_code")
            .render_derived(name="sent")
        )
        # The other columns take the same value in every row of a group (see _sent_values).
        constant = {key: value for key, value in group[0].items() if key not in _VARYING}
        session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == rows.c.id)
            .values({**constant, "accepted_at": rows.c.accepted_at, "last_code": rows.c.last_code}),
            {
                "ids": [row["id"] for row in group],
                "accepted": [row["accepted_at"] for row in group],
                "codes": [row["last_code"] for row in group],
            },
        )


_OUTBOX = SQLModel.metadata.tables[OutboxRow.__tablename__]
_VARYING = ("id", "accepted_at", "last_code")


def _settle_row(
    session: Session,
    ctx: AppContext,
    row: OutboxRow,
    worker_id: str,
    result: DeliveryResult,
    report: DispatchReport,
    delivery: DeliveryBatch | None,
) -> None:
    """Settle one outbox row already locked (FOR UPDATE) in this transaction, if this worker still holds it."""
    now = ctx.clock.now()
    if not _held(row, worker_id):
        # Our lease lapsed and another worker took the row over (it sends and settles it), or has settled it.
        report.lost_leases += 1
        return
    row.last_code = result.code
    row.claimed_by = None
    row.claimed_until = None
    status = result.status
    window = timedelta(hours=ctx.settings.smtp_retry_window_hours)
    if status is DeliveryStatus.TEMPORARY_FAILURE and now - row.created_at >= window:
        status = DeliveryStatus.PERMANENT_FAILURE
        result = DeliveryResult(status, result.code, f"gave up after {window}: {result.detail}", None)
    if status is DeliveryStatus.ACCEPTED:
        for column, value in _sent_values(session, ctx, row, result, delivery).items():
            setattr(row, column, value)
        report.sent += 1
    elif status is DeliveryStatus.TEMPORARY_FAILURE:
        row.status = OutboxStatus.RETRY
        row.last_error = result.detail[:1000]
        row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts, rng=random.Random()))  # noqa: S311 - jitter, not secrecy
        report.retried += 1
    else:
        row.status = OutboxStatus.FAILED
        row.last_error = result.detail[:1000]
        if row.kind == "request":
            note_permanent_failure(session, ctx, row, result.detail)
        report.failed += 1
    session.add(row)


async def dispatch_outbox(
    ctx: AppContext,
    mailer: Mailer,
    *,
    worker_id: str | None = None,
    batch: int = 100,
    max_batches: int = 100,
    lease: timedelta = DEFAULT_LEASE,
) -> DispatchReport:
    """Send what is ready now, batch after batch, until the queue has nothing ready (or max_batches).

    Recording a batch's answers overlaps with sending the next one: the answers of batch N are settled in a
    worker thread while batch N+1 goes out, so the database work stays off the path of a relay that makes
    us wait. At most one settle is in flight, and batch N+1 is claimed before the settle of batch N starts
    (on SQLite the claim would otherwise wait for the settle's write lock). A worker that dies in between
    leaves both batches leased: once the leases lapse they are sent again with the same Message-IDs, as
    after a crash between sending and settling one batch. An error still waits for the settle in flight.
    A batch is sent in parts short enough for the lease (see _send_claimed), which is renewed as needed.
    """
    worker = worker_id or default_worker_id()
    report = DispatchReport()
    settling: asyncio.Future[None] | None = None

    async def claim() -> tuple[list[OutboxRow], datetime]:
        held_until = ctx.clock.now() + lease  # no later than the claimed_until the claim writes
        return await asyncio.to_thread(claim_batch, ctx, worker, batch, lease), held_until

    try:
        rows, held_until = await claim() if max_batches > 0 else ([], ctx.clock.now())
        for number in range(max_batches):
            if not rows:
                break
            report.claimed += len(rows)
            # Counted apart, then added once no settle is in flight (the settling thread adds to `report`).
            sending = DispatchReport()
            answers = await _send_claimed(ctx, mailer, worker, rows, held_until, lease, sending)
            if settling is not None:
                await settling
                settling = None
            report.lost_leases += sending.lost_leases
            report.cancelled += sending.cancelled
            report.details.extend(sending.details)
            more = number + 1 < max_batches
            rows, held_until = await claim() if more else ([], ctx.clock.now())
            settling = asyncio.ensure_future(asyncio.to_thread(settle_many, ctx, answers, worker, report))
    finally:
        if settling is not None:
            await settling
    return report


async def _send_claimed(
    ctx: AppContext,
    mailer: Mailer,
    worker: str,
    rows: list[OutboxRow],
    held_until: datetime,
    lease: timedelta,
    report: DispatchReport,
) -> list[tuple[int, DeliveryResult]]:
    """Send a claimed batch in parts, each only while this worker holds its rows; return the relay's answers.

    Every message may take the whole SMTP timeout, so a batch of 100 may outlast its lease. Before each part
    the claim is renewed unless the lease still covers the part with a message to spare: for the rows still
    to send and for those sent but not yet settled (another worker would send them again). A row to send that
    was taken over meanwhile is dropped. Then the part's request mails and reminders are checked against their
    requests (cancel_stale). A mailer that sends several messages over one session gets parts as long as a
    lease allows; another gets one message at a time. A mailer slower than the timeout (as observed on the
    context's clock) gets shorter parts and earlier renewals.
    """
    send_many = getattr(mailer, "send_many", None)
    per_message = timedelta(seconds=max(ctx.settings.smtp_timeout_seconds, 1.0))  # the worst case, at first
    answers: list[tuple[int, DeliveryResult]] = []
    pending = list(rows)
    while pending:
        size = max(1, int(lease / per_message) - 1) if send_many is not None else 1
        now = ctx.clock.now()
        renew = None
        if now + per_message * (min(size, len(pending)) + 1) > held_until:
            renew = [row_id for row_id, _ in answers] + [row.id or 0 for row in pending]
            held_until = now + lease
        part = pending[:size]
        held, skipped = await asyncio.to_thread(_prepare_part, ctx, worker, renew, part, lease)
        if held is not None:
            # A row already sent but taken over is left to the settle, which counts it as a lost lease.
            lost = [row for row in pending if row.id not in held]
            report.lost_leases += len(lost)
            report.details.extend(f"outbox {row.id}: not sent, {TAKEN_OVER}" for row in lost)
            pending = [row for row in pending if row.id in held]
            part = [row for row in part if row.id in held]
        pending = pending[len(part) :]  # the part is still the head of what is left to send
        for row_id, reason in skipped.items():
            if reason == TAKEN_OVER:
                report.lost_leases += 1
            else:
                report.cancelled += 1
            report.details.append(f"outbox {row_id}: not sent, {reason}")
        part = [row for row in part if row.id not in skipped]
        if not part:
            continue
        messages = [to_outgoing(row) for row in part]
        started = ctx.clock.now()
        if send_many is not None:
            results: list[DeliveryResult] = await send_many(messages)
        else:
            results = [await mailer.send(message) for message in messages]
        per_message = max(per_message, (ctx.clock.now() - started) / len(part))
        answers.extend((row.id or 0, result) for row, result in zip(part, results, strict=True))
    return answers


def dispatch_outbox_sync(ctx: AppContext, mailer: Mailer, **kwargs: object) -> DispatchReport:
    return asyncio.run(dispatch_outbox(ctx, mailer, **kwargs))  # type: ignore[arg-type]
