"""Silence is approval ("silence vaut accord"): a request still awaiting at its deadline is approved from then on.

The rule takes effect at the instant the deadline passes, whoever notices first: the sweep, a late decision on
the same request, or anything else that would change the version (another party's objection, a new version).
Each records it here, before its own change, so a party whose fifteen days were over is never `withdrawn`.
"""

from __future__ import annotations

from sqlmodel import Session

from comms_approval.adapters.db.tables import CommunicationRow, RequestRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.deadlines import silence_has_elapsed
from comms_approval.domain.events import DeemedApproved
from comms_approval.domain.requests import RequestEvent, RequestState, next_request_state
from comms_approval.services.records import record_event, request_refs, requests_of


def deem_approved(
    session: Session,
    ctx: AppContext,
    communication: CommunicationRow,
    version: VersionRow,
    request: RequestRow,
) -> None:
    """Record the approval by silence of an awaiting request, as of its deadline."""
    assert request.deadline_at is not None
    request.status = next_request_state(RequestState(request.status), RequestEvent.DEEM_APPROVED).value
    request.decision = RequestState.DEEMED_APPROVED.value
    request.decided_at = request.deadline_at
    request.closed_at = request.deadline_at
    request.next_reminder_at = None
    session.add(request)
    record_event(
        session,
        ctx.clock,
        DeemedApproved(
            occurred_at=request.deadline_at,
            request_id=str(request.id),
            version_id=str(version.id),
            party_id=request.party_id,
            deadline_at=request.deadline_at,
        ),
        request_refs(communication, version, request),
    )


def deem_elapsed(
    session: Session, ctx: AppContext, communication: CommunicationRow, version: VersionRow
) -> int:
    """Deem every request of the version whose deadline has passed while it awaited an answer; how many.

    The caller holds the version's lock (services.locks).
    """
    now = ctx.clock.now()
    deemed = 0
    for request in requests_of(session, version.id or 0):
        if (
            request.status == RequestState.AWAITING.value
            and request.deadline_at is not None
            and silence_has_elapsed(request.deadline_at, now)
        ):
            deem_approved(session, ctx, communication, version, request)
            deemed += 1
    return deemed
