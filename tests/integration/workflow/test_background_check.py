"""A long draft's logo check run apart from its upload: accepted at once, checked once, resumed after a crash."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from comms_approval.adapters.db.tables import (
    AuditEventRow,
    AuditPayloadRow,
    OutboxRow,
    PartyRow,
    RequestRow,
    VersionRow,
)
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import DocumentError, SubmissionRefused
from comms_approval.domain.logos import LogoReport, LogoStatus
from comms_approval.services.audit import verify_trail
from comms_approval.services.logo_check import Progress
from comms_approval.services.submission import (
    CHECK_LEASE,
    MAX_CHECK_ATTEMPTS,
    AcceptedDraft,
    accept_draft,
    claim_check,
    override_logo_check,
    pending_checks,
    run_check,
)
from tests.integration.hostile import files
from tests.support.workflow import DEMO_OFFICER, FakeLogoChecker, GatedChecker

CONVENTION = "demo-absenteisme-75"


def accept(
    ctx: AppContext, file: Path, *, communication_id: int | None = None, name: str | None = None
) -> AcceptedDraft:
    return accept_draft(
        ctx,
        convention_id=CONVENTION,
        party_id="departement",
        title="Brochure « Semaine de l'assiduité »",
        file=file,
        officer_email=DEMO_OFFICER,
        original_filename=name or file.name,
        communication_id=communication_id,
    )


def version_row(ctx: AppContext, version_id: int) -> VersionRow:
    with ctx.uow(read_only=True) as uow:
        row = uow.session.get(VersionRow, version_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def events(ctx: AppContext, version_id: int, kind: str) -> list[dict[str, object]]:
    with ctx.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(AuditPayloadRow.payload)
            .join(AuditEventRow, AuditEventRow.seq == AuditPayloadRow.seq)  # type: ignore[arg-type]
            .where(AuditEventRow.version_id == version_id, AuditEventRow.kind == kind)  # type: ignore[arg-type]
            .order_by(AuditEventRow.seq)  # type: ignore[arg-type]
        ).scalars()
        return [json.loads(payload) for payload in rows]


def officer_mails(ctx: AppContext, version_id: int) -> list[tuple[str, str]]:
    """(recipient, subject) of the check's end mails queued for the version."""
    with ctx.uow(read_only=True) as uow:
        query = select(OutboxRow.recipient, OutboxRow.subject).where(
            OutboxRow.version_id == version_id,  # type: ignore[arg-type]
            OutboxRow.kind == "check_completed",  # type: ignore[arg-type]
        )
        return [(r, " ".join(subject.split())) for r, subject in uow.session.execute(query)]


def requests_of(ctx: AppContext, version_id: int) -> list[str]:
    """The parties asked about the version."""
    with ctx.uow(read_only=True) as uow:
        query = select(RequestRow.party_id).where(RequestRow.version_id == version_id)  # type: ignore[arg-type]
        return sorted(uow.session.execute(query).scalars())


@pytest.fixture
def brochure(tmp_path: Path) -> Path:
    return files.real_pdf(tmp_path / "brochure.pdf", pages=6)


@dataclass
class RaisingChecker:
    """A checker that fails the way a real one can: on the file, or on a bug."""

    error: Exception

    def check(
        self,
        document: Path,
        convention: Convention,
        *,
        annotate_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> LogoReport:
        raise self.error


class TestAccepted:
    def test_an_accepted_draft_waits_in_checking_with_its_submission_recorded_and_nobody_asked(
        self, demo: AppContext, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        row = version_row(demo, accepted.version_id)
        assert (row.status, row.logo_report, row.pages) == ("checking", {}, 6)
        assert len(events(demo, accepted.version_id, "draft_submitted")) == 1
        assert events(demo, accepted.version_id, "logo_check_completed") == []
        assert requests_of(demo, accepted.version_id) == []
        assert (demo.settings.data_dir / "derived" / accepted.sha256 / "preview.png").is_file()
        assert pending_checks(demo) == [accepted.version_id]

    def test_a_bad_file_is_refused_at_once_and_leaves_nothing(self, demo: AppContext, tmp_path: Path) -> None:
        png = files.real_png(tmp_path / "affiche.png")
        with pytest.raises(DocumentError, match="declared as PDF"):
            accept(demo, png, name="affiche.pdf")
        assert not list(demo.settings.documents_dir.rglob("*.png"))
        with demo.uow(read_only=True) as uow:
            assert uow.session.execute(select(VersionRow)).first() is None


class TestRunCheck:
    def test_a_compliant_draft_is_checked_once_and_routed(
        self, demo: AppContext, checker: FakeLogoChecker, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        outcome = run_check(demo, checker, accepted.version_id)
        assert outcome is not None and (outcome.status, outcome.error) == ("routing", None)
        assert requests_of(demo, accepted.version_id) == ["caf", "dsden", "dtpjj", "prefet"]
        row = version_row(demo, accepted.version_id)
        assert row.logo_report["compliant"] is True and row.check_claimed_until is None
        assert run_check(demo, checker, accepted.version_id) is None  # nothing left to take
        assert checker.calls == 1
        assert pending_checks(demo) == []
        assert [e["passed"] for e in events(demo, accepted.version_id, "logo_check_completed")] == [True]
        assert verify_trail(demo).ok
        # the officer, told they could leave the page, is told how it ended
        assert officer_mails(demo, accepted.version_id) == [
            (
                DEMO_OFFICER,
                "Contrôle terminé, version transmise : « Brochure « Semaine de l'assiduité » » (version 1)",
            )
        ]

    def test_a_failed_check_is_held_and_an_override_then_routes_it(
        self, demo: AppContext, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        outcome = run_check(demo, FakeLogoChecker({"caf": LogoStatus.MISSING}), accepted.version_id)
        assert outcome is not None and outcome.status == "rejected_by_check"
        assert requests_of(demo, accepted.version_id) == []
        assert [subject for _, subject in officer_mails(demo, accepted.version_id)] == [
            "Contrôle terminé, logos à revoir : « Brochure « Semaine de l'assiduité » » (version 1)"
        ]
        result = override_logo_check(
            demo,
            version_id=accepted.version_id,
            party_id="caf",
            justification="Le logo de la CAF figure en quatrième de couverture.",
            officer_email=DEMO_OFFICER,
        )
        assert result.status == "routing" and len(result.requests) == 4

    def test_a_file_the_checker_cannot_read_fails_the_check_with_its_reason_in_both_languages(
        self, demo: AppContext, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        error = DocumentError("page 4 is corrupt", "la page 4 est endommagée")
        outcome = run_check(demo, RaisingChecker(error), accepted.version_id)
        assert outcome is not None and (outcome.status, outcome.error) == (
            "rejected_by_check",
            "page 4 is corrupt",
        )
        row = version_row(demo, accepted.version_id)
        assert row.logo_report == {"error": {"en": "page 4 is corrupt", "fr": "la page 4 est endommagée"}}
        recorded = events(demo, accepted.version_id, "logo_check_completed")
        assert [(e["passed"], e["details"]) for e in recorded] == [(False, {"error": "page 4 is corrupt"})]
        assert [subject for _, subject in officer_mails(demo, accepted.version_id)] == [
            "Contrôle impossible : « Brochure « Semaine de l'assiduité » » (version 1)"
        ]
        with pytest.raises(SubmissionRefused, match="no logo report to override"):
            override_logo_check(
                demo,
                version_id=accepted.version_id,
                party_id="caf",
                justification="Le logo de la CAF figure en quatrième de couverture.",
                officer_email=DEMO_OFFICER,
            )
        assert pending_checks(demo) == [] and verify_trail(demo).ok

    def test_an_unexpected_error_fails_the_check_without_its_internals(
        self, demo: AppContext, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        outcome = run_check(
            demo, RaisingChecker(RuntimeError("/srv/secret/path exploded")), accepted.version_id
        )
        assert outcome is not None and outcome.status == "rejected_by_check"
        report = version_row(demo, accepted.version_id).logo_report
        assert report["error"]["fr"] == "le contrôle des logos a échoué (erreur imprévue)"
        assert "secret" not in json.dumps(report)

    def test_a_routing_refused_when_the_check_ends_fails_it_with_the_reason(
        self, demo: AppContext, checker: FakeLogoChecker, brochure: Path
    ) -> None:
        """Every other party's termination took effect while the check ran (Article 9): nobody left to ask."""
        accepted = accept(demo, brochure)
        with demo.uow() as uow:
            for row in uow.session.execute(
                select(PartyRow).where(PartyRow.party_id != "departement")
            ).scalars():  # type: ignore[arg-type]
                row.termination_effective_on = date(2026, 4, 1)
                uow.session.add(row)
            uow.commit()
        outcome = run_check(demo, checker, accepted.version_id)
        assert outcome is not None and outcome.status == "rejected_by_check"
        assert version_row(demo, accepted.version_id).logo_report["error"]["fr"] == (
            "aucune autre partie active n’est à consulter"
        )
        assert requests_of(demo, accepted.version_id) == []

    def test_who_is_asked_and_whose_logo_is_required_is_decided_on_the_submission_date(
        self, demo: AppContext, clock: ManualClock, brochure: Path
    ) -> None:
        """Article 9: a party is routed while active at submission. The CAF leaves on 1 May; a draft accepted
        on 23 April and checked on 2 May still asks it, and needs its logo; one submitted on 2 May does not."""
        with demo.uow() as uow:
            caf = uow.session.execute(select(PartyRow).where(PartyRow.party_id == "caf")).scalar_one()  # type: ignore[arg-type]
            caf.termination_effective_on = date(2026, 5, 1)
            uow.session.add(caf)
            uow.commit()
        before = accept(demo, brochure)
        clock.advance(timedelta(days=9))  # 2 May: the CAF has left
        missing_caf = FakeLogoChecker({"caf": LogoStatus.MISSING})
        outcome = run_check(demo, missing_caf, before.version_id)
        assert outcome is not None and outcome.status == "rejected_by_check"  # its logo was still required
        assert requests_of(demo, before.version_id) == []
        override_logo_check(
            demo,
            version_id=before.version_id,
            party_id="caf",
            justification="Le logo de la Caf figure au dos, en petit.",
            officer_email=DEMO_OFFICER,
        )
        assert requests_of(demo, before.version_id) == ["caf", "dsden", "dtpjj", "prefet"]
        after = accept(demo, files.real_pdf(brochure.parent / "later.pdf", pages=6))
        outcome = run_check(demo, missing_caf, after.version_id)
        assert outcome is not None and outcome.status == "routing"  # the CAF's logo is no longer required
        assert requests_of(demo, after.version_id) == ["dsden", "dtpjj", "prefet"]

    def test_progress_that_cannot_be_recorded_does_not_fail_the_check(self, tmp_path: Path) -> None:
        """A database hiccup while a page is told: logged, and the check goes on."""
        from comms_approval.bootstrap import build_context
        from comms_approval.config import Settings
        from comms_approval.services.submission import _ProgressWriter

        unreachable = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite'}",
        )
        ctx = build_context(unreachable, migrate=False)
        writer = _ProgressWriter(ctx, version_id=1, attempt=1)
        writer(1, 10)  # no exception
        writer(10, 10)


class TestClaims:
    def test_a_live_claim_is_left_alone_and_a_lapsed_one_is_taken_again(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, brochure: Path
    ) -> None:
        """A process that died mid-check leaves its claim; once the lease lapses, another worker takes it."""
        accepted = accept(demo, brochure)
        assert claim_check(demo, accepted.version_id)  # the worker that will die
        assert pending_checks(demo) == []
        assert run_check(demo, checker, accepted.version_id) is None
        clock.advance(CHECK_LEASE + timedelta(seconds=1))
        assert pending_checks(demo) == [accepted.version_id]
        outcome = run_check(demo, checker, accepted.version_id)
        assert outcome is not None and outcome.status == "routing"
        assert version_row(demo, accepted.version_id).check_attempts == 2

    def test_a_check_that_never_ends_fails_after_its_attempts_instead_of_looping(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        for _ in range(MAX_CHECK_ATTEMPTS):
            assert claim_check(demo, accepted.version_id)
            clock.advance(CHECK_LEASE + timedelta(seconds=1))
        assert run_check(demo, checker, accepted.version_id) is None
        row = version_row(demo, accepted.version_id)
        assert row.status == "rejected_by_check"
        assert "interrompu 3 fois" in row.logo_report["error"]["fr"]
        assert checker.calls == 0 and pending_checks(demo) == []

    def test_two_workers_at_once_check_and_route_the_version_once(
        self, demo: AppContext, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        checker = GatedChecker()
        first = threading.Thread(target=run_check, args=(demo, checker, accepted.version_id))
        first.start()
        try:
            assert checker.started.wait(timeout=10)  # the first worker holds the check
            assert run_check(demo, checker, accepted.version_id) is None  # the second finds it held
        finally:
            checker.gate.set()
            first.join(timeout=30)
        assert checker.calls == 1
        assert len(requests_of(demo, accepted.version_id)) == 4
        assert len(events(demo, accepted.version_id, "logo_check_completed")) == 1


class TestProgress:
    def test_a_running_check_keeps_its_progress_on_the_version(
        self, demo: AppContext, brochure: Path
    ) -> None:
        accepted = accept(demo, brochure)
        checker = GatedChecker(told=(3, 10))
        running = threading.Thread(target=run_check, args=(demo, checker, accepted.version_id))
        running.start()
        try:
            assert checker.started.wait(timeout=10)
            assert version_row(demo, accepted.version_id).check_progress == 0.3
        finally:
            checker.gate.set()
            running.join(timeout=30)
        row = version_row(demo, accepted.version_id)
        assert row.status == "routing" and row.check_progress == 0.3

    def test_each_progress_renews_the_claim_so_a_long_check_is_never_taken_from_a_live_worker(
        self, demo: AppContext, clock: ManualClock, brochure: Path
    ) -> None:
        @dataclass
        class SlowPages(GatedChecker):
            """Four minutes a page, as the clock goes."""

            def check(self, document: Path, convention: Convention, **kw: Any) -> LogoReport:
                for done in (1, 2):
                    clock.advance(timedelta(minutes=4))
                    kw["progress"](done, 10)
                return super().check(document, convention, annotate_dir=kw.get("annotate_dir"))

        accepted = accept(demo, brochure)
        claimed_at = clock.now()
        checker = SlowPages()
        running = threading.Thread(target=run_check, args=(demo, checker, accepted.version_id))
        running.start()
        try:
            assert checker.started.wait(timeout=10)
            # eight minutes after the claim, past its first lease: renewed at the last page, still held
            assert (
                version_row(demo, accepted.version_id).check_claimed_until
                == claimed_at + timedelta(minutes=8) + CHECK_LEASE
            )
            assert pending_checks(demo) == []
            clock.advance(CHECK_LEASE + timedelta(seconds=1))  # the worker went silent: its claim lapses
            assert pending_checks(demo) == [accepted.version_id]
        finally:
            checker.gate.set()
            running.join(timeout=30)

    def test_a_heartbeat_keeps_the_claim_while_the_check_reads_the_draft_after_its_pages(
        self, demo: AppContext, clock: ManualClock, checker: FakeLogoChecker, brochure: Path
    ) -> None:
        """Reading what the draft names reports no pages: minutes on a long PDF without a text layer. A live
        worker's heartbeat still renews its claim, so no other worker takes the check from it."""
        accepted = accept(demo, brochure)
        taken: list[bool] = []

        def slow_mentions(document: Path, convention: Convention) -> dict[str, object]:
            clock.advance(CHECK_LEASE + timedelta(minutes=1))  # past the lease the claim and the pages took
            give_up = time.monotonic() + 10
            while version_row(demo, accepted.version_id).check_claimed_until <= clock.now():  # type: ignore[operator]
                assert time.monotonic() < give_up, "the claim was never renewed"
                time.sleep(0.01)
            taken.append(claim_check(demo, accepted.version_id))  # another worker tries meanwhile
            return {"named_parties": []}

        outcome = run_check(
            demo,
            checker,
            accepted.version_id,
            find_mentions=slow_mentions,
            heartbeat=timedelta(milliseconds=20),
        )
        assert taken == [False]
        assert outcome is not None and outcome.status == "routing"
        assert version_row(demo, accepted.version_id).check_attempts == 1

    def test_a_worker_whose_claim_was_taken_over_does_not_renew_its_successors(
        self, demo: AppContext, clock: ManualClock, brochure: Path
    ) -> None:
        """Only the claim's holder renews it: the late one's renewal would hide its successor's death."""
        from comms_approval.services.submission import _ProgressWriter

        accepted = accept(demo, brochure)
        assert claim_check(demo, accepted.version_id)  # attempt 1: its lease lapses
        clock.advance(CHECK_LEASE + timedelta(seconds=1))
        assert claim_check(demo, accepted.version_id)  # attempt 2
        held_until = version_row(demo, accepted.version_id).check_claimed_until
        clock.advance(timedelta(minutes=1))
        _ProgressWriter(demo, accepted.version_id, attempt=1)(5, 10)
        assert version_row(demo, accepted.version_id).check_claimed_until == held_until
        _ProgressWriter(demo, accepted.version_id, attempt=2)(5, 10)
        assert version_row(demo, accepted.version_id).check_claimed_until == clock.now() + CHECK_LEASE


class TestNewVersionMeanwhile:
    def test_a_version_superseded_while_checked_keeps_its_report_and_asks_nobody(
        self, demo: AppContext, checker: FakeLogoChecker, brochure: Path, tmp_path: Path
    ) -> None:
        first = accept(demo, brochure)
        second = accept(
            demo, files.real_pdf(tmp_path / "v2.pdf", pages=7), communication_id=first.communication_id
        )
        assert version_row(demo, first.version_id).status == "superseded"
        assert run_check(demo, checker, first.version_id) is None  # superseded: nothing to take
        outcome = run_check(demo, checker, second.version_id)
        assert outcome is not None and outcome.status == "routing"
        assert requests_of(demo, first.version_id) == []

    def test_a_check_running_when_its_version_is_superseded_records_its_report_only(
        self, demo: AppContext, brochure: Path, tmp_path: Path
    ) -> None:
        first = accept(demo, brochure)
        checker = GatedChecker()
        running = threading.Thread(target=run_check, args=(demo, checker, first.version_id))
        running.start()
        try:
            assert checker.started.wait(timeout=10)
            accept(
                demo, files.real_pdf(tmp_path / "v2.pdf", pages=7), communication_id=first.communication_id
            )
        finally:
            checker.gate.set()
            running.join(timeout=30)
        row = version_row(demo, first.version_id)
        assert row.status == "superseded" and row.logo_report["compliant"] is True
        assert requests_of(demo, first.version_id) == []
        assert len(events(demo, first.version_id, "logo_check_completed")) == 1
        assert officer_mails(demo, first.version_id) == []  # the officer has moved on to the new version
        assert verify_trail(demo).ok
