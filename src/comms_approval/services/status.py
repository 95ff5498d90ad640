"""Status queries: communications, their versions and per-party requests, as plain data for CLI and web."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from comms_approval.adapters.db.tables import CommunicationRow, ReminderRow, RequestRow
from comms_approval.bootstrap import AppContext
from comms_approval.services.records import get_communication, requests_of, versions_of


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def communication_status(session: Session, communication: CommunicationRow) -> dict[str, Any]:
    versions = []
    for version in versions_of(session, communication.id or 0):
        requests = requests_of(session, version.id or 0)
        reminder_counts: dict[int, int] = {}
        if requests:
            counted = session.execute(
                select(col(ReminderRow.request_id), func.count())
                .where(col(ReminderRow.request_id).in_([r.id for r in requests]))
                .group_by(col(ReminderRow.request_id))
            )
            reminder_counts = {int(request_id): int(count) for request_id, count in counted}
        versions.append(
            {
                "version": version.number,
                "version_id": version.id,
                "status": version.status,
                "sha256": version.sha256,
                "submitted_at": _iso(version.submitted_at),
                "concluded_at": _iso(version.concluded_at),
                "compliant": bool(version.logo_report.get("compliant")),
                "requests": [request_status(r, reminder_counts.get(r.id or 0, 0)) for r in requests],
            }
        )
    return {
        "communication": communication.id,
        "convention": communication.convention_id,
        "title": communication.title,
        "submitted_by": communication.submitting_party,
        "officer": communication.officer_email,
        "created_at": _iso(communication.created_at),
        "versions": versions,
    }


def request_status(request: RequestRow, reminders_sent: int) -> dict[str, Any]:
    return {
        "request_id": request.id,
        "party": request.party_id,
        "status": request.status,
        "delivered_at": _iso(request.delivered_at),
        "deadline": _iso(request.deadline_at),
        "decision": request.decision,
        "decision_text": request.decision_text,
        "decided_at": _iso(request.decided_at),
        "decided_by": request.decided_by,
        "reminders_sent": reminders_sent,
    }


def status_report(ctx: AppContext, communication_id: int | None = None) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        session = uow.session
        if communication_id is not None:
            return [communication_status(session, get_communication(session, communication_id))]
        rows = session.execute(select(CommunicationRow).order_by(CommunicationRow.id)).scalars()  # type: ignore[arg-type]
        return [communication_status(session, row) for row in rows]


def request_of(session: Session, request_id: int) -> RequestRow | None:
    return session.get(RequestRow, request_id)
