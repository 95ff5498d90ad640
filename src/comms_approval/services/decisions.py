"""RecordDecision: a partner's answer, bound to the exact version, recorded with its audit event at once."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from comms_approval.adapters.db.tables import CommunicationRow, LinkRow, RequestRow, VersionRow
from comms_approval.adapters.links import looks_like_token, token_hash
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.deadlines import silence_has_elapsed
from comms_approval.domain.errors import CommsApprovalError, DecisionRefused, NotFound
from comms_approval.domain.events import DecisionRecorded
from comms_approval.domain.requests import RequestEvent, RequestState, next_request_state
from comms_approval.services.conclusion import conclude_if_decided
from comms_approval.services.conventions import get_convention
from comms_approval.services.locks import lock_version, reload_request
from comms_approval.services.notifications import enqueue
from comms_approval.services.records import get_communication, get_version, record_event, request_refs
from comms_approval.services.silence import deem_approved

MAX_TEXT = 5000


class DecisionKind(enum.StrEnum):
    """What a partner may answer (DESIGN.md section 1.3)."""

    APPROVE = "approve"
    APPROVE_WITH_REMARKS = "approve_with_remarks"
    OBJECT = "object"


_EVENTS = {
    DecisionKind.APPROVE: RequestEvent.APPROVE,
    DecisionKind.APPROVE_WITH_REMARKS: RequestEvent.APPROVE_WITH_REMARKS,
    DecisionKind.OBJECT: RequestEvent.OBJECT,
}
_RESULT_STATE = {
    DecisionKind.APPROVE: RequestState.APPROVED,
    DecisionKind.APPROVE_WITH_REMARKS: RequestState.APPROVED_WITH_REMARKS,
    DecisionKind.OBJECT: RequestState.OBJECTED,
}


class _TooLate(DecisionRefused):
    """Raised after the deemed approval was applied: the caller commits it, then refuses the decision."""


class LinkGone(CommsApprovalError):
    """The link belongs to a withdrawn request or a concluded version (HTTP 410)."""


@dataclass(frozen=True)
class LinkTarget:
    """Everything a review page needs to know about the request behind a link."""

    link: LinkRow
    request: RequestRow
    version: VersionRow
    communication: CommunicationRow


@dataclass(frozen=True)
class DecisionResult:
    request_id: int
    state: str
    replay: bool
    version_status: str


def resolve_link(session: Session, ctx: AppContext, token: str) -> LinkTarget:
    """Find the request behind a token; unknown and malformed tokens look the same (NotFound)."""
    digest = (
        token_hash(token, ctx.settings.secret_key.get_secret_value()) if looks_like_token(token) else None
    )
    link = (
        session.execute(select(LinkRow).where(LinkRow.token_hash == digest)).scalar_one_or_none()  # type: ignore[arg-type]
        if digest
        else None
    )
    if link is None:
        raise NotFound("unknown link")
    request = session.get(RequestRow, link.request_id)
    if request is None:  # pragma: no cover - foreign key
        raise NotFound("unknown link")
    version = get_version(session, request.version_id)
    communication = get_communication(session, version.communication_id)
    return LinkTarget(link, request, version, communication)


def _validate_text(kind: DecisionKind, text: str | None) -> str | None:
    cleaned = (text or "").strip()
    if len(cleaned) > MAX_TEXT:
        raise DecisionRefused(f"text too long ({len(cleaned)} characters, {MAX_TEXT} at most)")
    if kind is DecisionKind.OBJECT and not cleaned:
        raise DecisionRefused("an objection needs a reason")
    if kind is DecisionKind.APPROVE_WITH_REMARKS and not cleaned:
        raise DecisionRefused("an approval with remarks needs the remarks")
    return cleaned or None


def record_decision(
    ctx: AppContext, *, token: str, decision: DecisionKind | str, text: str | None = None
) -> DecisionResult:
    """Record a decision from a review link; a replay of the same decision records nothing new."""
    kind = DecisionKind(decision)
    cleaned = _validate_text(kind, text)
    with ctx.uow() as uow:
        target = resolve_link(uow.session, ctx, token)
        try:
            result = _decide(uow.session, ctx, target, kind, cleaned, target.link.recipient)
        except _TooLate:
            uow.commit()  # keep the deemed approval that the late decision revealed
            raise
        uow.commit()
        return result


def record_decision_for_request(
    ctx: AppContext, *, request_id: int, approver: str, decision: DecisionKind | str, text: str | None = None
) -> DecisionResult:
    """Admin path (CLI): the approver's address must be on the party's roster."""
    kind = DecisionKind(decision)
    cleaned = _validate_text(kind, text)
    with ctx.uow() as uow:
        session = uow.session
        request = session.get(RequestRow, request_id)
        if request is None:
            raise NotFound(f"unknown request {request_id}")
        version = get_version(session, request.version_id)
        communication = get_communication(session, version.communication_id)
        convention = get_convention(session, communication.convention_id)
        if not convention.party(request.party_id).may_approve(approver):
            raise DecisionRefused(f"{approver} is not an approver of {request.party_id}")
        link = (
            session.execute(
                select(LinkRow).where(LinkRow.request_id == request_id).order_by(LinkRow.id.desc())  # type: ignore[arg-type,union-attr]
            )
            .scalars()
            .first()
        )
        target = LinkTarget(
            link
            or LinkRow(token_hash="", request_id=request_id, recipient=approver, created_at=ctx.clock.now()),
            request,
            version,
            communication,
        )
        try:
            result = _decide(session, ctx, target, kind, cleaned, approver.lower())
        except _TooLate:
            uow.commit()
            raise
        uow.commit()
        return result


def _decide(
    session: Session, ctx: AppContext, target: LinkTarget, kind: DecisionKind, text: str | None, who: str
) -> DecisionResult:
    # Lock the version first (the one lock order of the product): two simultaneous POSTs serialise here
    # and the second sees the first's decision.
    version = lock_version(session, target.version.id or 0)
    assert version is not None
    request = reload_request(session, target.request.id or 0)
    target = LinkTarget(target.link, request, version, target.communication)
    state = RequestState(request.status)
    wanted = _RESULT_STATE[kind]
    if state is wanted and (request.decision_text or None) == text:
        return DecisionResult(request.id or 0, state.value, True, target.version.status)
    if state in (RequestState.APPROVED, RequestState.APPROVED_WITH_REMARKS, RequestState.OBJECTED):
        raise DecisionRefused("a different decision is already recorded for this version")
    if state is RequestState.DEEMED_APPROVED:
        raise DecisionRefused("the deadline has passed: silence already counts as approval")
    if state is RequestState.WITHDRAWN or target.link.revoked_at is not None:
        raise LinkGone("this request was withdrawn (new version or version concluded)")
    if state is not RequestState.AWAITING or request.deadline_at is None:
        raise DecisionRefused(
            "this request is not yet registered as delivered; please retry in a few minutes"
        )
    convention = get_convention(session, target.communication.convention_id)
    if not convention.party(request.party_id).may_approve(
        who
    ):  # the link's addressee, no longer (or never) on the party's roster
        raise DecisionRefused(f"{who} is not an approver of {request.party_id}")
    now = ctx.clock.now()
    if silence_has_elapsed(request.deadline_at, now):
        deem_approved(session, ctx, target.communication, target.version, request)
        conclude_if_decided(session, ctx, target.communication, target.version)
        session.flush()
        raise _TooLate("the deadline has passed: silence already counts as approval")
    request.status = next_request_state(state, _EVENTS[kind]).value
    request.decision = request.status
    request.decision_text = text
    request.decided_at = now
    request.decided_by = who
    request.closed_at = now
    request.next_reminder_at = None
    session.add(request)
    record_event(
        session,
        ctx.clock,
        DecisionRecorded(
            occurred_at=now,
            request_id=str(request.id),
            version_id=str(target.version.id),
            party_id=request.party_id,
            decision=request.status,
            decided_by=who,
            comment=text,
        ),
        request_refs(target.communication, target.version, request),
    )
    _queue_acknowledgement(session, ctx, target, convention, who, now)
    conclude_if_decided(session, ctx, target.communication, target.version)
    return DecisionResult(request.id or 0, request.status, False, target.version.status)


def _queue_acknowledgement(
    session: Session, ctx: AppContext, target: LinkTarget, convention: Convention, who: str, now: datetime
) -> None:
    party = convention.party(target.request.party_id)
    enqueue(
        session,
        ctx,
        template="acknowledgement",
        key=f"ack:{target.request.id}:{who}",
        recipient=who,
        language=party.language,
        context={
            "convention_title": convention.title,
            "communication_title": target.communication.title,
            "version": target.version.number,
            "sha256": target.version.sha256,
            "recipient_party": party.name,
            "timezone": convention.timezone,
            "decision": target.request.status,
            "remarks": target.request.decision_text,
            "decided_by": who,
            "decided_at": now,
        },
        request_id=target.request.id,
        version_id=target.version.id,
    )
