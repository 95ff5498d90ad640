"""Retention: expired documents, evidence payloads and technical records are erased, audited, chain intact."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from comms_approval.adapters.db.tables import (
    AuditEventRow,
    AuditPayloadRow,
    DocumentBlobRow,
    OutboxRow,
    VersionRow,
)
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services.audit import export_to_string, verify_trail
from comms_approval.services.notifications import OutboxStatus
from comms_approval.services.retention import RetentionPolicy, apply_retention, years_before
from comms_approval.services.submission import SubmissionResult, submit_draft
from comms_approval.services.sweep import run_sweep
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, dispatch

PARIS = ZoneInfo("Europe/Paris")
CONVENTION = "demo-absenteisme-75"


def cleared_version(
    ctx: AppContext, clock: ManualClock, checker: FakeLogoChecker, draft: Path, server: SmtpTestServer
) -> SubmissionResult:
    """Submit, deliver, let every partner stay silent past the deadline: the version is cleared."""
    result = submit_draft(
        ctx,
        checker,
        convention_id=CONVENTION,
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=draft,
        officer_email="com@departement.example.org",
    )
    dispatch(ctx, server)
    clock.advance(timedelta(days=20))
    run_sweep(ctx)
    dispatch(ctx, server)
    with ctx.uow() as uow:
        version = uow.session.get(VersionRow, result.version_id)
        assert version is not None and version.status == "cleared"
        uow.session.add(
            DocumentBlobRow(version_id=result.version_id, name="page-1", content_type="image/png", data=b"x")
        )
        uow.commit()
    return result


def count(ctx: AppContext, table: type) -> int:
    with ctx.uow() as uow:
        return int(uow.session.exec(select(func.count()).select_from(table)).one())


def purge_events(ctx: AppContext) -> list[dict[str, object]]:
    with ctx.uow() as uow:
        rows = uow.session.exec(select(AuditEventRow).where(AuditEventRow.kind == "retention_purged")).all()
        payloads = [uow.session.get(AuditPayloadRow, row.seq) for row in rows]
        return [json.loads(p.payload) for p in payloads if p is not None]


class TestRetention:
    def test_expired_data_is_erased_category_by_category_and_the_chain_still_verifies(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Logs go after one year, documents three years after conclusion, evidence payloads after ten."""
        result = cleared_version(demo, clock, checker, draft, smtp_server)
        stored = demo.settings.documents_dir / result.sha256[:2] / f"{result.sha256}.png"
        derived = demo.settings.data_dir / "derived" / result.sha256
        assert stored.is_file() and derived.is_dir()
        sent_mail = count(demo, OutboxRow)
        assert sent_mail > 0
        with (
            demo.uow() as uow
        ):  # a mail cancelled before sending (its request moved on) keeps its address too
            row = uow.session.exec(select(OutboxRow).limit(1)).one()
            row.status = OutboxStatus.CANCELLED
            uow.session.add(row)
            uow.commit()

        clock.advance(timedelta(days=366))
        first = apply_retention(demo)
        assert first.total("logs") == sent_mail
        assert first.total("documents") == 0 and first.total("evidence") == 0
        assert count(demo, OutboxRow) == 0
        assert stored.is_file()

        clock.set(datetime(2029, 5, 20, 12, 0, tzinfo=PARIS))  # > 3 years after the conclusion (May 2026)
        dry = apply_retention(demo, dry_run=True)
        assert dry.total("documents") == 1 and stored.is_file()
        second = apply_retention(demo)
        assert second.total("documents") == 1
        assert not stored.exists() and not derived.exists()
        assert count(demo, DocumentBlobRow) == 0
        documents_event = [e for e in purge_events(demo) if e["category"] == "documents"]
        assert documents_event[0]["version_ids"] == [result.version_id]
        assert apply_retention(demo).total("documents") == 0  # idempotent: nothing left, nothing audited
        assert len(purge_events(demo)) == 2

        payloads_before = count(demo, AuditPayloadRow)
        assert "direction@caf.example.org" in export_to_string(demo)
        clock.set(datetime(2036, 6, 1, 12, 0, tzinfo=PARIS))
        third = apply_retention(demo)
        erased = third.total("evidence")
        assert erased > 0
        assert count(demo, AuditPayloadRow) == payloads_before - erased + 1  # + the purge's own record
        verification = verify_trail(demo)
        assert verification.ok, verification
        exported = [json.loads(line) for line in export_to_string(demo).splitlines()]
        assert exported[0]["payload"] is None  # the convention's loading, 2026: erased
        assert all(e["payload"] is not None for e in exported if e["kind"] == "retention_purged")
        assert "direction@caf.example.org" not in export_to_string(demo)

    def test_a_file_still_used_by_a_recent_version_is_kept(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Files are stored by content: the same poster submitted again keeps its file alive."""
        old = cleared_version(demo, clock, checker, draft, smtp_server)
        clock.set(datetime(2029, 6, 1, 12, 0, tzinfo=PARIS))
        submit_draft(
            demo,
            checker,
            convention_id=CONVENTION,
            party_id="departement",
            title="Réédition",
            file=draft,
            officer_email="com@departement.example.org",
        )
        apply_retention(demo)
        assert (demo.settings.documents_dir / old.sha256[:2] / f"{old.sha256}.png").is_file()
        assert count(demo, DocumentBlobRow) == 0  # the old version's own derived rows still go
        assert verify_trail(demo).ok

    def test_a_convention_may_keep_its_documents_for_a_shorter_time(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """A per-convention policy (one year) applies instead of the three-year default."""
        result = cleared_version(demo, clock, checker, draft, smtp_server)
        clock.advance(timedelta(days=400))
        assert apply_retention(demo).total("documents") == 0
        report = apply_retention(demo, overrides={CONVENTION: RetentionPolicy(documents_years=1)})
        assert report.total("documents") == 1
        assert not (demo.settings.documents_dir / result.sha256[:2] / f"{result.sha256}.png").exists()


def test_a_retention_period_counts_whole_years_back_in_utc() -> None:
    """29 February 2028 minus one year is 28 February 2027."""
    cutoff = years_before(datetime(2028, 2, 29, 23, 30, tzinfo=PARIS), 1)
    assert cutoff.isoformat() == "2027-02-28T22:30:00+00:00"
