"""Concluding a version: cleared when every routed party approved, blocked at the first objection."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from comms_approval.adapters.db import audit as audit_store
from comms_approval.adapters.db.tables import CommunicationRow, LinkRow, RequestRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.deadlines import Deadline
from comms_approval.domain.events import RequestWithdrawn, VersionBlocked, VersionCleared
from comms_approval.domain.outcome import Outcome, version_outcome
from comms_approval.domain.requests import (
    OPEN_REQUEST_STATES,
    RequestEvent,
    RequestState,
    VersionEvent,
    VersionState,
    next_request_state,
    next_version_state,
)
from comms_approval.services.conventions import get_convention
from comms_approval.services.notifications import enqueue
from comms_approval.services.records import record_event, request_refs, requests_of, version_refs
from comms_approval.services.silence import deem_elapsed


def revoke_links(session: Session, ctx: AppContext, request: RequestRow) -> None:
    from sqlalchemy import update

    session.execute(
        update(LinkRow)
        .where(LinkRow.request_id == request.id, LinkRow.revoked_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(revoked_at=ctx.clock.now())
    )


def withdraw_open_requests(
    session: Session,
    ctx: AppContext,
    communication: CommunicationRow,
    version: VersionRow,
    *,
    reason: str,
    notify: bool,
) -> list[RequestRow]:
    """Withdraw every open request of a version (no more reminders); optionally tell the approvers."""
    withdrawn = []
    for request in requests_of(session, version.id or 0):
        if RequestState(request.status) not in OPEN_REQUEST_STATES:
            continue
        request.status = next_request_state(RequestState(request.status), RequestEvent.WITHDRAW).value
        request.closed_at = ctx.clock.now()
        request.next_reminder_at = None
        session.add(request)
        record_event(
            session,
            ctx.clock,
            RequestWithdrawn(
                occurred_at=ctx.clock.now(),
                request_id=str(request.id),
                version_id=str(version.id),
                party_id=request.party_id,
                reason=reason,
            ),
            request_refs(communication, version, request),
        )
        withdrawn.append(request)
    return withdrawn


def conclude_if_decided(
    session: Session, ctx: AppContext, communication: CommunicationRow, version: VersionRow
) -> Outcome:
    """Apply the version outcome once its requests allow it; idempotent (a concluded version stays as it is).

    Silence already elapsed counts first (`deem_elapsed`): a party whose deadline passed before the sweep saw
    it has approved, so another party's later objection does not withdraw its request, and its approval may
    be the one that clears the version. Callers hold the version's lock (services.locks), so the requests read
    here are the committed truth.
    """
    if version.status != VersionState.ROUTING.value:
        return Outcome.PENDING
    deem_elapsed(session, ctx, communication, version)
    requests = requests_of(session, version.id or 0)
    outcome = version_outcome(RequestState(r.status) for r in requests)
    if outcome is Outcome.PENDING:
        return outcome
    convention = get_convention(session, communication.convention_id)
    now = ctx.clock.now()
    refs = version_refs(communication, version)
    if outcome is Outcome.BLOCKED:
        objection = next(r for r in requests if r.status == RequestState.OBJECTED.value)
        withdraw_open_requests(session, ctx, communication, version, reason="blocked", notify=False)
        version.status = next_version_state(VersionState(version.status), VersionEvent.BLOCK).value
        event_row = record_event(
            session,
            ctx.clock,
            VersionBlocked(
                occurred_at=now,
                version_id=str(version.id),
                convention_id=convention.id,
                objecting_party_id=objection.party_id,
                reason=objection.decision_text or "",
                outcomes={r.party_id: r.status for r in requests},
            ),
            refs,
        )
    else:
        version.status = next_version_state(VersionState(version.status), VersionEvent.CLEAR).value
        event_row = record_event(
            session,
            ctx.clock,
            VersionCleared(
                occurred_at=now,
                version_id=str(version.id),
                convention_id=convention.id,
                outcomes={r.party_id: r.status for r in requests},
            ),
            refs,
        )
    version.concluded_at = now
    session.add(version)
    _queue_conclusion_mails(
        session, ctx, convention, communication, version, requests, (event_row.seq, event_row.hash)
    )
    return outcome


def party_outcome_rows(
    convention: Convention, submitting_party: str, requests: Sequence[RequestRow]
) -> list[dict[str, object]]:
    """Per party: how it answered (explicitly, with remarks, by silence, objection), who and when."""
    rows: list[dict[str, object]] = [
        {
            "name": convention.party(submitting_party).name,
            "outcome": "submitted",
            "decided_at": None,
            "decided_by": None,
            "remarks": None,
            "deadline": None,
        }
    ]
    for request in requests:
        deadline = Deadline.from_dict(request.deadline_basis).deadline if request.deadline_basis else None
        rows.append(
            {
                "name": convention.party(request.party_id).name,
                "outcome": request.status,
                "decided_at": request.decided_at,
                "decided_by": request.decided_by,
                "remarks": request.decision_text,
                "deadline": deadline,
            }
        )
    return rows


def _queue_conclusion_mails(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
    requests: Sequence[RequestRow],
    anchor: tuple[int, str],
) -> None:
    submitter = convention.party(communication.submitting_party)
    recipients: dict[str, str] = {communication.officer_email: submitter.language}
    for address in submitter.approvers:
        recipients.setdefault(address, submitter.language)
    for request in requests:
        party = convention.party(request.party_id)
        for address in request.recipients:
            recipients.setdefault(address, party.language)
    for address, language in recipients.items():
        enqueue(
            session,
            ctx,
            template="conclusion",
            key=f"conclusion:{version.id}:{address}",
            recipient=address,
            language=language,
            context={
                "convention_title": convention.title,
                "communication_title": communication.title,
                "requesting_party": submitter.name,
                "version": version.number,
                "sha256": version.sha256,
                "timezone": convention.timezone,
                "outcome": version.status,
                "concluded_at": version.concluded_at or ctx.clock.now(),
                "parties": party_outcome_rows(convention, communication.submitting_party, requests),
                "audit_head_seq": anchor[0],
                "audit_head_hash": anchor[1],
            },
            version_id=version.id,
        )


def current_head(session: Session) -> tuple[int, str]:
    return audit_store.head(session)
