"""The deliberately naive sweep and dispatcher: same steps, no version lock, no re-read guard, no claim.

They exist so the multi-process tests can fail: run against these, the same tests see duplicates.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from comms_approval.adapters.db.tables import OutboxRow, RequestRow, VersionRow
from comms_approval.adapters.mail.message import Mailer
from comms_approval.bootstrap import AppContext
from comms_approval.domain.requests import RequestState
from comms_approval.services.conclusion import conclude_if_decided
from comms_approval.services.notifications import OutboxStatus, to_outgoing
from comms_approval.services.outbox import DispatchReport, settle
from comms_approval.services.records import get_communication
from comms_approval.services.silence import deem_approved


def naive_deem_due(ctx: AppContext, *, race_window: float = 0.5) -> int:
    """List the due requests, then write from that (stale) list: the classic check-then-act race."""
    now: datetime = ctx.clock.now()
    with ctx.uow() as uow:
        stale = list(
            uow.session.execute(
                select(RequestRow).where(
                    RequestRow.status == RequestState.AWAITING.value,  # type: ignore[arg-type]
                    RequestRow.deadline_at <= now,  # type: ignore[arg-type,operator]
                )
            ).scalars()
        )
        uow.commit()  # keeps the loaded rows usable after the session closes
    time.sleep(race_window)  # stands for the time a real sweep spends between its read and its write
    deemed = 0
    for listed in stale:
        with ctx.uow() as uow:
            session = uow.session
            request = session.merge(listed, load=False)  # no re-read: the guard is what is missing
            version = session.get(VersionRow, request.version_id)
            assert version is not None
            communication = get_communication(session, version.communication_id)
            deem_approved(session, ctx, communication, version, request)
            try:
                conclude_if_decided(session, ctx, communication, version)
                uow.commit()
            except IntegrityError:
                uow.rollback()  # the unique keys of the outbox still stop a second conclusion mail
                continue
            deemed += 1
    return deemed


async def naive_dispatch(
    ctx: AppContext, mailer: Mailer, *, worker_id: str, race_window: float = 0.5
) -> DispatchReport:
    """Read the ready rows without claiming them, send them, then record the answers."""
    report = DispatchReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        rows = list(
            uow.session.execute(
                select(OutboxRow)
                .where(OutboxRow.status.in_(OutboxStatus.READY), OutboxRow.next_attempt_at <= now)  # type: ignore[attr-defined,arg-type,operator]
                .order_by(OutboxRow.id)  # type: ignore[arg-type]
            ).scalars()
        )
        uow.commit()
    await asyncio.sleep(race_window)
    report.claimed = len(rows)
    results = [await mailer.send(to_outgoing(row)) for row in rows]
    for row, result in zip(rows, results, strict=True):
        await asyncio.to_thread(settle, ctx, row.id or 0, worker_id, result, report)
    return report
