"""Small shared helpers of the use cases: loading rows, recording domain events with their references."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session

from comms_approval.adapters.db.audit import AuditRefs
from comms_approval.adapters.db.tables import (
    AuditEventRow,
    CommunicationRow,
    RequestRow,
    VersionRow,
)
from comms_approval.clock import Clock
from comms_approval.domain.errors import NotFound
from comms_approval.domain.events import DomainEvent
from comms_approval.domain.logos import LogoReport
from comms_approval.services.audit import record


def record_event(session: Session, clock: Clock, event: DomainEvent, refs: AuditRefs) -> AuditEventRow:
    """Append a domain event to the audit trail in the caller's transaction."""
    return record(session, clock, event.kind, refs, event.payload(), occurred_at=event.occurred_at)


def request_refs(communication: CommunicationRow, version: VersionRow, request: RequestRow) -> AuditRefs:
    return AuditRefs(
        convention_id=communication.convention_id,
        communication_id=communication.id,
        version_id=version.id,
        request_id=request.id,
        party_id=request.party_id,
    )


def version_refs(communication: CommunicationRow, version: VersionRow) -> AuditRefs:
    return AuditRefs(
        convention_id=communication.convention_id,
        communication_id=communication.id,
        version_id=version.id,
        party_id=communication.submitting_party,
    )


def get_version(session: Session, version_id: int) -> VersionRow:
    version = session.get(VersionRow, version_id)
    if version is None:
        raise NotFound(f"unknown version {version_id}")
    return version


def get_communication(session: Session, communication_id: int) -> CommunicationRow:
    communication = session.get(CommunicationRow, communication_id)
    if communication is None:
        raise NotFound(f"unknown communication {communication_id}")
    return communication


def requests_of(session: Session, version_id: int, *, lock: bool = False) -> Sequence[RequestRow]:
    query = select(RequestRow).where(RequestRow.version_id == version_id).order_by(RequestRow.id)  # type: ignore[arg-type]
    if lock:
        query = query.with_for_update()
    return list(session.execute(query).scalars())


def versions_of(session: Session, communication_id: int) -> Sequence[VersionRow]:
    query = (
        select(VersionRow)
        .where(VersionRow.communication_id == communication_id)  # type: ignore[arg-type]
        .order_by(VersionRow.number)  # type: ignore[arg-type]
    )
    return list(session.execute(query).scalars())


def logo_report_of(version: VersionRow) -> LogoReport | None:
    """The version's logo report; None while its check is pending or when the check could not run."""
    if "parties" not in version.logo_report:
        return None
    return LogoReport.from_dict(version.logo_report)


def check_error_of(version: VersionRow, lang: str) -> str | None:
    """Why the version's logo check could not run (`run_check`), in the reader's language."""
    error = version.logo_report.get("error")
    if not isinstance(error, dict):
        return None
    return str(error.get(lang) or error.get("en") or "")
