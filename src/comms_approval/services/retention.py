"""Retention of personal data (Article 6 and French data-protection rules): erase what has been kept long enough.

Three categories, each with its own period per convention:
- documents: the stored drafts and their derived images, N years after the version concluded;
- evidence: the erasable payloads of audit events (addresses, decision texts), N years after the event. The
  events themselves stay: they commit to their payload by hash, so `audit verify` still passes;
- logs: technical records holding addresses and titles (sent or failed mail in the outbox, the local mail
  sink, expired sign-in links and web sessions), N years after they were written.
Every purge is itself an audit event (counts and ids only).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, select
from sqlmodel import Session, col

from comms_approval.adapters.db.audit import AuditRefs
from comms_approval.adapters.db.tables import (
    AuditEventRow,
    AuditPayloadRow,
    CommunicationRow,
    ConventionRow,
    DocumentBlobRow,
    OutboxRow,
    SigninLinkRow,
    VersionRow,
    WebSessionRow,
)
from comms_approval.bootstrap import AppContext
from comms_approval.domain.lifecycle import add_months
from comms_approval.domain.lifecycle_events import RetentionPurged
from comms_approval.domain.requests import VersionState
from comms_approval.services.notifications import OutboxStatus
from comms_approval.services.records import record_event

log = logging.getLogger(__name__)

DOCUMENTS = "documents"
EVIDENCE = "evidence"
LOGS = "logs"
CATEGORIES = (DOCUMENTS, EVIDENCE, LOGS)
# Versions whose documents are no longer needed for the workflow, and the date that starts their period.
_DONE_STATES = {
    VersionState.CLEARED.value,
    VersionState.BLOCKED.value,
    VersionState.SUPERSEDED.value,
    VersionState.REJECTED_BY_CHECK.value,
}
# The purge records are the proof that erasure happened; they hold no personal data and are never erased.
_KEEP_PAYLOAD_KINDS = frozenset({RetentionPurged.kind})


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each category is kept, in years (documents after conclusion, the others after writing)."""

    documents_years: int = 3
    evidence_years: int = 10
    logs_years: int = 1

    def __post_init__(self) -> None:
        for name in ("documents_years", "evidence_years", "logs_years"):
            if getattr(self, name) < 1:
                raise ValueError(f"retention {name} must be at least 1 year")

    def years(self, category: str) -> int:
        return int(getattr(self, f"{category}_years"))


class RetentionSettings(BaseSettings):
    """Deployment-wide defaults (COMMS_APPROVAL_RETENTION_DOCUMENTS_YEARS...), used by every convention
    that does not set its own `[retention]`."""

    model_config = SettingsConfigDict(
        env_prefix="COMMS_APPROVAL_RETENTION_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    documents_years: int = 3
    evidence_years: int = 10
    logs_years: int = 1

    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.documents_years, self.evidence_years, self.logs_years)


def years_before(instant: datetime, years: int) -> datetime:
    """The same UTC wall time `years` earlier (29 February falls back to 28 February)."""
    utc = instant.astimezone(UTC)
    day = add_months(utc.date(), -12 * years)
    return datetime.combine(day, utc.time(), tzinfo=UTC)


@dataclass
class PurgeCount:
    """What one category lost in one convention (None: data that belongs to no convention)."""

    convention_id: str | None
    category: str
    cutoff: datetime
    items: int = 0
    version_ids: list[int] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    files: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "convention": self.convention_id,
            "category": self.category,
            "cutoff": self.cutoff.isoformat(),
            "items": self.items,
            "files": self.files,
        }


@dataclass
class RetentionReport:
    """The outcome of one retention pass."""

    purges: list[PurgeCount] = field(default_factory=list)
    dry_run: bool = False

    def total(self, category: str) -> int:
        return sum(p.items for p in self.purges if p.category == category)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "totals": {category: self.total(category) for category in CATEGORIES},
            "purges": [p.as_dict() for p in self.purges if p.items],
        }


def _ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    runs: list[tuple[int, int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return tuple(runs)


def policy_for(
    convention_id: str | None,
    default: RetentionPolicy,
    overrides: Mapping[str, RetentionPolicy] | None,
    declared: RetentionPolicy | None = None,
) -> RetentionPolicy:
    """Explicit override first, then the convention's own `[retention]`, then the deployment default."""
    if convention_id is not None and overrides and convention_id in overrides:
        return overrides[convention_id]
    return declared or default


def declared_policy(ctx: AppContext, convention_id: str | None) -> RetentionPolicy | None:
    """The policy a convention file declares, once the file format carries `[retention]` (read defensively:
    today's Convention has no such field)."""
    if convention_id is None:
        return None
    from comms_approval.services.conventions import get_convention

    with ctx.uow() as uow:
        declared = getattr(get_convention(uow.session, convention_id), "retention", None)
    if declared is None:
        return None
    return RetentionPolicy(
        int(declared.documents_years), int(declared.evidence_years), int(declared.logs_years)
    )


def apply_retention(
    ctx: AppContext,
    *,
    defaults: RetentionPolicy | None = None,
    overrides: Mapping[str, RetentionPolicy] | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Erase every item past its retention period, convention by convention, and audit each purge.

    Idempotent: a second run finds nothing more to erase and records nothing. `overrides` maps a
    convention id to its own policy (until convention files carry a `[retention]` table).
    """
    default = defaults or RetentionSettings(_env_file=None).policy()
    now = ctx.clock.now()
    report = RetentionReport(dry_run=dry_run)
    with ctx.uow() as uow:
        convention_ids: list[str | None] = [
            *uow.session.execute(select(col(ConventionRow.id)).order_by(col(ConventionRow.id))).scalars(),
            None,
        ]
    for convention_id in convention_ids:
        policy = policy_for(convention_id, default, overrides, declared_policy(ctx, convention_id))
        report.purges.append(_purge_documents(ctx, convention_id, policy, now, dry_run))
        report.purges.append(_purge_evidence(ctx, convention_id, policy, now, dry_run))
        report.purges.append(_purge_logs(ctx, convention_id, policy, now, dry_run))
    for purge in report.purges:
        if purge.items:
            # Counts and ids only: technical logs never carry addresses, titles or texts.
            log.info(
                "retention purge: convention=%s category=%s items=%d dry_run=%s",
                purge.convention_id or "-",
                purge.category,
                purge.items,
                dry_run,
            )
    return report


def _audit(session: Session, ctx: AppContext, purge: PurgeCount, years: int) -> None:
    record_event(
        session,
        ctx.clock,
        RetentionPurged(
            occurred_at=ctx.clock.now(),
            convention_id=purge.convention_id,
            category=purge.category,
            cutoff=purge.cutoff,
            retention_years=years,
            items=purge.items,
            version_ids=tuple(sorted(purge.version_ids)),
            seq_ranges=_ranges(purge.seqs),
        ),
        AuditRefs(convention_id=purge.convention_id),
    )


def _version_done_at(version: VersionRow) -> datetime | None:
    if version.status not in _DONE_STATES:
        return None
    return version.concluded_at or version.submitted_at


def _purge_documents(
    ctx: AppContext, convention_id: str | None, policy: RetentionPolicy, now: datetime, dry_run: bool
) -> PurgeCount:
    cutoff = years_before(now, policy.documents_years)
    purge = PurgeCount(convention_id, DOCUMENTS, cutoff)
    if convention_id is None:
        return purge
    data_dir = ctx.settings.data_dir
    to_delete: list[Path] = []
    with ctx.uow() as uow:
        session = uow.session
        versions = list(
            session.execute(
                select(VersionRow)
                .join(CommunicationRow, col(CommunicationRow.id) == col(VersionRow.communication_id))
                .where(col(CommunicationRow.convention_id) == convention_id)
                .order_by(col(VersionRow.id))
            ).scalars()
        )
        expired = [v for v in versions if (done := _version_done_at(v)) is not None and done < cutoff]
        for version in expired:
            if not _still_needed_elsewhere(session, version.sha256, cutoff):
                files = _document_files(ctx, version)
                present = [f for f in files if f.exists()]
            else:
                present = []
            blobs = list(
                session.execute(
                    select(col(DocumentBlobRow.id)).where(col(DocumentBlobRow.version_id) == version.id)
                ).scalars()
            )
            if not present and not blobs:
                continue
            purge.items += 1
            purge.version_ids.append(version.id or 0)
            purge.files += len(present)
            to_delete.extend(present)
            if blobs and not dry_run:
                session.execute(delete(DocumentBlobRow).where(col(DocumentBlobRow.version_id) == version.id))
        if purge.items and not dry_run:
            _audit(session, ctx, purge, policy.documents_years)
            uow.commit()
    if not dry_run:
        # After the commit: the audit event says the documents go; a failed unlink is retried next run.
        for path in to_delete:
            _remove(path, inside=data_dir)
    return purge


def _still_needed_elsewhere(session: Session, sha256: str, cutoff: datetime) -> bool:
    """Files are stored by content: another version with the same file may still be within its period."""
    others = session.execute(select(VersionRow).where(col(VersionRow.sha256) == sha256)).scalars()
    for other in others:
        done = _version_done_at(other)
        if done is None or done >= cutoff:
            return True
    return False


def _document_files(ctx: AppContext, version: VersionRow) -> list[Path]:
    data_dir = ctx.settings.data_dir
    files = [data_dir / version.stored_path, data_dir / "derived" / version.sha256]
    return [path for path in files if _inside(path, data_dir)]


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _remove(path: Path, *, inside: Path) -> None:
    if not _inside(path, inside):
        return
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _purge_evidence(
    ctx: AppContext, convention_id: str | None, policy: RetentionPolicy, now: datetime, dry_run: bool
) -> PurgeCount:
    cutoff = years_before(now, policy.evidence_years)
    purge = PurgeCount(convention_id, EVIDENCE, cutoff)
    with ctx.uow() as uow:
        session = uow.session
        owner = (
            col(AuditEventRow.convention_id).is_(None)
            if convention_id is None
            else col(AuditEventRow.convention_id) == convention_id
        )
        seqs = list(
            session.execute(
                select(col(AuditPayloadRow.seq))
                .join(AuditEventRow, col(AuditEventRow.seq) == col(AuditPayloadRow.seq))
                .where(owner)
                .where(col(AuditEventRow.occurred_at) < cutoff)
                .where(col(AuditEventRow.kind).not_in(_KEEP_PAYLOAD_KINDS))
                .order_by(col(AuditPayloadRow.seq))
            ).scalars()
        )
        if not seqs:
            return purge
        purge.items = len(seqs)
        purge.seqs = seqs
        if dry_run:
            return purge
        # DELETE only: the trigger refuses UPDATE of a payload, erasure is allowed (the hash stays).
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            session.execute(delete(AuditPayloadRow).where(col(AuditPayloadRow.seq).in_(chunk)))
        _audit(session, ctx, purge, policy.evidence_years)
        uow.commit()
    return purge


def _purge_logs(
    ctx: AppContext, convention_id: str | None, policy: RetentionPolicy, now: datetime, dry_run: bool
) -> PurgeCount:
    cutoff = years_before(now, policy.logs_years)
    purge = PurgeCount(convention_id, LOGS, cutoff)
    sink_files: list[Path] = []
    with ctx.uow() as uow:
        session = uow.session
        finished = col(OutboxRow.status).in_([OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED])
        old = col(OutboxRow.created_at) < cutoff
        if convention_id is None:
            outbox_ids = list(
                session.execute(
                    select(col(OutboxRow.id)).where(finished, old, col(OutboxRow.version_id).is_(None))
                ).scalars()
            )
        else:
            outbox_ids = list(
                session.execute(
                    select(col(OutboxRow.id))
                    .join(VersionRow, col(VersionRow.id) == col(OutboxRow.version_id))
                    .join(CommunicationRow, col(CommunicationRow.id) == col(VersionRow.communication_id))
                    .where(finished, old, col(CommunicationRow.convention_id) == convention_id)
                ).scalars()
            )
        purge.items += len(outbox_ids)
        if outbox_ids and not dry_run:
            for start in range(0, len(outbox_ids), 500):
                chunk = outbox_ids[start : start + 500]
                session.execute(delete(OutboxRow).where(col(OutboxRow.id).in_(chunk)))
        if convention_id is None:
            signins = list(
                session.execute(
                    select(col(SigninLinkRow.id)).where(col(SigninLinkRow.expires_at) < cutoff)
                ).scalars()
            )
            sessions = list(
                session.execute(
                    select(col(WebSessionRow.id)).where(col(WebSessionRow.expires_at) < cutoff)
                ).scalars()
            )
            purge.items += len(signins) + len(sessions)
            if not dry_run:
                if signins:
                    session.execute(delete(SigninLinkRow).where(col(SigninLinkRow.id).in_(signins)))
                if sessions:
                    session.execute(delete(WebSessionRow).where(col(WebSessionRow.id).in_(sessions)))
            sink_files = _old_files(ctx.settings.outbox_sink_dir, cutoff)
            purge.items += len(sink_files)
            purge.files = len(sink_files)
        if purge.items and not dry_run:
            _audit(session, ctx, purge, policy.logs_years)
            uow.commit()
    if not dry_run:
        for path in sink_files:
            _remove(path, inside=ctx.settings.data_dir)
    return purge


def _old_files(directory: Path, cutoff: datetime) -> list[Path]:
    if not directory.is_dir():
        return []
    limit = cutoff.timestamp()
    return sorted(p for p in directory.iterdir() if p.is_file() and p.stat().st_mtime < limit)
