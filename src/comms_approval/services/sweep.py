"""DeadlineSweep: deemed approvals at their deadline, reminders once per slot, conclusions; safe to run twice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from comms_approval.adapters.db.tables import CommunicationRow, LinkRow, ReminderRow, RequestRow, VersionRow
from comms_approval.adapters.links import new_token, token_hash
from comms_approval.bootstrap import AppContext
from comms_approval.domain.deadlines import Deadline
from comms_approval.domain.events import ReminderSent
from comms_approval.domain.outcome import Outcome, version_outcome
from comms_approval.domain.reminders import ReminderSlot, due_reminder, reminder_slots
from comms_approval.domain.requests import RequestState, VersionState
from comms_approval.services.conclusion import conclude_if_decided
from comms_approval.services.conventions import get_convention
from comms_approval.services.locks import lock_version, reload_request
from comms_approval.services.notifications import enqueue, reminder_mail_key, reminder_slot
from comms_approval.services.records import get_communication, record_event, request_refs, requests_of
from comms_approval.services.routing import request_mail_context, review_url
from comms_approval.services.silence import deem_approved

BATCH = 500
VERSIONS_PER_TRANSACTION = 50


@dataclass
class SweepReport:
    deemed: int = 0
    reminders: int = 0
    concluded: int = 0
    skipped_locked: int = 0


def _candidates(ctx: AppContext, *, reminders: bool, after_id: int) -> list[tuple[int, int]]:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        query = select(col(RequestRow.id), col(RequestRow.version_id)).where(
            col(RequestRow.status) == RequestState.AWAITING.value,
            col(RequestRow.id) > after_id,
        )
        if reminders:
            query = query.where(col(RequestRow.next_reminder_at) <= now, col(RequestRow.deadline_at) > now)
        else:
            query = query.where(col(RequestRow.deadline_at) <= now)
        rows = uow.session.execute(query.order_by(col(RequestRow.id)).limit(BATCH)).all()
    return [(int(r[0]), int(r[1])) for r in rows]


def _by_version(pairs: list[tuple[int, int]]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for request_id, version_id in pairs:
        grouped.setdefault(version_id, []).append(request_id)
    return grouped


def run_sweep(ctx: AppContext) -> SweepReport:
    """One pass: first silence becomes approval where due, then reminders, then pending conclusions."""
    report = SweepReport()
    _deem_due(ctx, report)
    _remind_due(ctx, report)
    _conclude_pending(ctx, report)
    return report


def _deem_due(ctx: AppContext, report: SweepReport) -> None:
    last = 0
    while pairs := _candidates(ctx, reminders=False, after_id=last):
        last = pairs[-1][0]
        # Several versions per transaction: one commit per version made 1 000 due requests cost ~6 s on
        # PostgreSQL (bench/workflow/sweep_cost.py). Ascending ids keep one lock order; SKIP LOCKED means
        # the sweep never waits on a version while it holds the audit head.
        grouped = sorted(_by_version(pairs).items())
        for start in range(0, len(grouped), VERSIONS_PER_TRANSACTION):
            with ctx.uow() as uow:
                _deem_chunk(ctx, uow.session, grouped[start : start + VERSIONS_PER_TRANSACTION], report)
                uow.commit()


def _deem_chunk(
    ctx: AppContext, session: Session, chunk: list[tuple[int, list[int]]], report: SweepReport
) -> None:
    """Deem a chunk of versions' due requests in one transaction, with set-based reads.

    The versions are locked together (ascending ids, SKIP LOCKED: a version another worker holds is its
    business), then their requests and communications are read in one query each; every guard and
    transition still runs per request, and only versions whose outcome changed are concluded.
    """
    wanted = {version_id: set(ids) for version_id, ids in chunk}
    locked = session.execute(
        select(VersionRow)
        .where(col(VersionRow.id).in_(list(wanted)))
        .order_by(col(VersionRow.id))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalars()
    versions = {version.id or 0: version for version in locked}
    for version_id, ids in wanted.items():
        if version_id not in versions:
            report.skipped_locked += len(ids)
    if not versions:
        return
    requests = session.execute(
        select(RequestRow)
        .where(col(RequestRow.version_id).in_(list(versions)))
        .order_by(col(RequestRow.id))
        .execution_options(populate_existing=True)
    ).scalars()
    by_version: dict[int, list[RequestRow]] = {}
    for request in requests:
        by_version.setdefault(request.version_id, []).append(request)
    communications = {
        row.id: row
        for row in session.execute(
            select(CommunicationRow).where(
                col(CommunicationRow.id).in_({v.communication_id for v in versions.values()})
            )
        ).scalars()
    }
    now = ctx.clock.now()
    for version_id, version in versions.items():
        communication = communications[version.communication_id]
        for request in by_version.get(version_id, []):
            # The guard: another sweep or a decision may have moved it since we listed it.
            if request.id not in wanted[version_id] or request.status != RequestState.AWAITING.value:
                continue
            if request.deadline_at is None or request.deadline_at > now:
                continue
            deem_approved(session, ctx, communication, version, request)
            report.deemed += 1
        states = [RequestState(r.status) for r in by_version.get(version_id, [])]
        if version_outcome(states) is not Outcome.PENDING and (
            conclude_if_decided(session, ctx, communication, version) is not Outcome.PENDING
        ):
            report.concluded += 1


def _remind_due(ctx: AppContext, report: SweepReport) -> None:
    last = 0
    while pairs := _candidates(ctx, reminders=True, after_id=last):
        last = pairs[-1][0]
        for version_id, request_ids in _by_version(pairs).items():
            with ctx.uow() as uow:
                session = uow.session
                version = lock_version(session, version_id, skip_locked=True)
                if version is None:
                    report.skipped_locked += len(request_ids)
                    continue
                for request_id in request_ids:
                    report.reminders += _remind_one(ctx, session, version, request_id)
                uow.commit()


def _remind_one(ctx: AppContext, session: object, version: VersionRow, request_id: int) -> int:
    from sqlmodel import Session

    assert isinstance(session, Session)
    now = ctx.clock.now()
    request = reload_request(session, request_id)
    if request.status != RequestState.AWAITING.value or request.deadline_basis is None:
        return 0
    communication = get_communication(session, version.communication_id)
    convention = get_convention(session, communication.convention_id)
    deadline = Deadline.from_dict(request.deadline_basis)
    slots = reminder_slots(deadline, convention.reminders)
    stored = session.execute(
        select(col(ReminderRow.slot)).where(col(ReminderRow.request_id) == request_id)
    ).scalars()
    used = set(stored)
    # this delivery's slots only: a request re-sent to a corrected address has a new clock and new reminders
    sent = {s.key for s in slots if reminder_slot(request.send_round, s.key) in used}
    slot = due_reminder(slots, sent, now, deadline)
    sent_count = 0
    if slot is not None:
        session.add(
            ReminderRow(request_id=request_id, slot=reminder_slot(request.send_round, slot.key), sent_at=now)
        )
        session.flush()  # the unique (request, slot) key is the last line of defence against doubles
        _queue_reminder(session, ctx, convention, communication, version, request, slot, deadline)
        record_event(
            session,
            ctx.clock,
            ReminderSent(
                occurred_at=now,
                request_id=str(request.id),
                version_id=str(version.id),
                party_id=request.party_id,
                slot=slot.key,
                deadline_at=deadline.deadline_utc(),
            ),
            request_refs(communication, version, request),
        )
        sent.add(slot.key)
        sent_count = 1
    upcoming = [
        s for s in slots if s.key not in sent and s.due_at > now and s.due_at < deadline.deadline_utc()
    ]
    request.next_reminder_at = upcoming[0].due_at if upcoming else None
    session.add(request)
    return sent_count


def _slot_days(slot: ReminderSlot) -> int:
    """'after-7d' -> 7, 'before-2d' -> 2."""
    return int("".join(ch for ch in slot.key.partition("-")[2] if ch.isdigit()) or 0)


def _queue_reminder(session, ctx, convention, communication, version, request, slot, deadline) -> None:  # type: ignore[no-untyped-def]
    party = convention.party(request.party_id)
    mail_context, _preview = request_mail_context(session, ctx, convention, communication, version)
    for address in request.recipients:
        token = new_token()
        session.add(
            LinkRow(
                token_hash=token_hash(token, ctx.settings.secret_key.get_secret_value()),
                request_id=request.id,
                recipient=address,
                created_at=ctx.clock.now(),
            )
        )
        enqueue(
            session,
            ctx,
            template="reminder",
            key=reminder_mail_key(request.id, request.send_round, slot.key, address),
            recipient=address,
            language=party.language,
            context={
                **mail_context,
                "recipient_party": party.name,
                "recipient_address": address,
                "review_url": review_url(ctx, token),
                "deadline": deadline.deadline,
                "delivered_at": deadline.delivered_at,
                "reminder_kind": "after_delivery" if slot.key.startswith("after") else "before_deadline",
                "reminder_days": _slot_days(slot),
            },
            request_id=request.id,
            version_id=version.id,
        )


def _conclude_pending(ctx: AppContext, report: SweepReport) -> None:
    """Catch-up for versions whose last request closed without concluding (e.g. a crash between steps)."""
    # Only versions with no open request left: scanning every routing version (one transaction each)
    # made an idle sweep cost seconds at 100 000 open requests (bench/workflow/sweep_cost.py).
    still_open = (
        select(col(RequestRow.id))
        .where(
            col(RequestRow.version_id) == col(VersionRow.id),
            col(RequestRow.status).in_((RequestState.AWAITING.value, RequestState.PENDING_DELIVERY.value)),
        )
        .exists()
    )
    with ctx.uow() as uow:
        version_ids = list(
            uow.session.execute(
                select(col(VersionRow.id)).where(
                    col(VersionRow.status) == VersionState.ROUTING.value, ~still_open
                )
            ).scalars()
        )
    for version_id in version_ids:
        with ctx.uow() as uow:
            session = uow.session
            version = lock_version(session, version_id or 0, skip_locked=True)
            if version is None or version.status != VersionState.ROUTING.value:
                continue
            states = [r.status for r in requests_of(session, version.id or 0)]
            if any(s in (RequestState.AWAITING.value, RequestState.PENDING_DELIVERY.value) for s in states):
                continue
            communication = get_communication(session, version.communication_id)
            if conclude_if_decided(session, ctx, communication, version).value != "pending":
                report.concluded += 1
            uow.commit()
