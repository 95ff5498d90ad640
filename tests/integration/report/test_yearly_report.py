"""The yearly CDEN report checked against a scenario played through the real services, with known answers."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.logos import LogoStatus
from comms_approval.services.decisions import record_decision
from comms_approval.services.submission import submit_draft
from comms_approval.services.sweep import run_sweep
from comms_approval.services.yearly_report import (
    ReportRefused,
    YearlyReport,
    build_yearly_report,
    generate_reports,
    parse_school_year,
)
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, dispatch, make_draft, tokens_for

PARIS = ZoneInfo("Europe/Paris")
CONVENTION = "demo-absenteisme-75"
OFFICER = "com@departement.example.org"
APPROVER = {
    "dsden": "communication@dsden.example.org",
    "prefet": "pref-communication@prefecture.example.org",
    "dtpjj": "dtpjj-direction@pjj.example.org",
    "caf": "direction@caf.example.org",
}
OBJECTION = "Le logo de la préfecture est déformé et la mention légale manque."


def token(server: SmtpTestServer, party: str, nth: int = -1) -> str:
    return tokens_for(server.messages_to(APPROVER[party]), APPROVER[party])[nth]


def play_scenario(ctx: AppContext, clock: ManualClock, server: SmtpTestServer, drafts: Path) -> None:
    """School year 2025-2026 of the demo convention, with known figures:

    - communication 1 (23 April 2026): the prefecture approves after 2 days, the DSDEN with remarks after
      3, the DTPJJ after 5; the Caf stays silent, is reminded twice and is deemed to approve: cleared;
    - communication 2 (1 June 2026): version 1 fails the logo check (Caf logo missing); version 2 is
      routed and the prefecture objects after 1 day: blocked, the three other requests withdrawn;
    - communication 3 (2 September 2026) belongs to the next school year and must not be counted.
    """

    def submit(checker: FakeLogoChecker, name: str, title: str, communication: int | None = None) -> None:
        submit_draft(
            ctx,
            checker,
            convention_id=CONVENTION,
            party_id="departement",
            title=title,
            file=make_draft(drafts, name, text=name),
            officer_email=OFFICER,
            communication_id=communication,
        )

    start = datetime(2026, 4, 23, 10, 0, tzinfo=PARIS)
    clock.set(start)
    submit(FakeLogoChecker(), "c1.png", "Affiche « Semaine de l'assiduité »")
    dispatch(ctx, server)
    for days, party, decision, text in [
        (2, "prefet", "approve", None),
        (3, "dsden", "approve_with_remarks", "Merci d'agrandir le numéro vert."),
        (5, "dtpjj", "approve", None),
    ]:
        clock.set(start + timedelta(days=days))
        record_decision(ctx, token=token(server, party), decision=decision, text=text)
    for instant in (
        datetime(2026, 4, 30, 10, 30, tzinfo=PARIS),  # 7 days after delivery
        datetime(2026, 5, 10, 9, 0, tzinfo=PARIS),  # 2 days before the deadline
        datetime(2026, 5, 12, 0, 1, tzinfo=PARIS),  # the deadline has passed
    ):
        clock.set(instant)
        run_sweep(ctx)
        dispatch(ctx, server)

    second = datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
    clock.set(second)
    submit(FakeLogoChecker({"caf": LogoStatus.MISSING}), "c2v1.png", "Dépliant « Parents, partenaires »")
    submit(FakeLogoChecker(), "c2v2.png", "Dépliant « Parents, partenaires »", communication=2)
    dispatch(ctx, server)
    clock.set(second + timedelta(days=1))
    record_decision(ctx, token=token(server, "prefet"), decision="object", text=OBJECTION)
    dispatch(ctx, server)

    clock.set(datetime(2026, 9, 2, 9, 0, tzinfo=PARIS))
    submit(FakeLogoChecker(), "c3.png", "Affiche de rentrée")
    dispatch(ctx, server)


@pytest.fixture
def scenario(demo: AppContext, clock: ManualClock, smtp_server: SmtpTestServer, tmp_path: Path) -> AppContext:
    play_scenario(demo, clock, smtp_server, tmp_path / "drafts")
    return demo


class TestFigures:
    def test_the_figures_match_the_scenario(self, scenario: AppContext) -> None:
        report = build_yearly_report(scenario, (2025, 2026), CONVENTION)
        assert report.summary() == {
            "communications": 2,
            "versions": 3,
            "versions_cleared": 1,
            "versions_blocked": 1,
            "versions_superseded": 1,  # the version that failed the check, replaced by version 2
            "versions_in_progress": 0,
            "requests": 8,
            "explicit_approvals": 3,
            "approvals_with_remarks": 1,
            "silent_approvals": 1,
            "objections": 1,
            "reminders_sent": 2,
            "logo_check_failures": 1,
            "logo_overrides": 0,
            "median_days_to_decision": 2.5,  # 1, 2, 3, 5
        }

    def test_each_party_has_its_own_answers_delays_and_reminders(self, scenario: AppContext) -> None:
        parties = {p.party: p for p in build_yearly_report(scenario, (2025, 2026), CONVENTION).parties}
        prefet, caf, dsden = parties["prefet"], parties["caf"], parties["dsden"]
        assert (prefet.approved, prefet.objected) == (1, 1)
        assert sorted(prefet.decision_days) == [1.0, 2.0]
        assert prefet.median_days == 1.5
        assert (dsden.approved_with_remarks, dsden.withdrawn, dsden.decision_days) == (1, 1, [3.0])
        assert (caf.deemed_approved, caf.reminders, caf.decision_days, caf.logo_failures) == (1, 2, [], 1)
        assert parties["departement"].requests == 0  # the submitting party is never asked

    def test_objections_come_with_their_reason(self, scenario: AppContext) -> None:
        objections = build_yearly_report(scenario, (2025, 2026), CONVENTION).objections
        assert [(o.communication_id, o.version, o.party, o.reason) for o in objections] == [
            (2, 2, "prefet", OBJECTION)
        ]
        assert objections[0].decided_on.isoformat() == "2026-06-02"

    def test_the_next_school_year_holds_only_its_own_communication(self, scenario: AppContext) -> None:
        report = build_yearly_report(scenario, (2026, 2027), CONVENTION)
        assert (report.communications, report.versions, report.requests) == (1, 1, 4)
        assert report.objections == []


class TestFiles:
    def test_the_pdf_is_in_french_with_three_pages_and_the_csv_hold_the_same_figures(
        self, scenario: AppContext, tmp_path: Path
    ) -> None:
        [files] = generate_reports(scenario, "2025-2026", tmp_path / "out", CONVENTION)
        pdf = pdfium.PdfDocument(files.pdf)
        try:
            assert len(pdf) == 3
            first = pdf[0].get_textpage().get_text_range()
            third = pdf[2].get_textpage().get_text_range()
        finally:
            pdf.close()
        assert "Rapport annuel à la section du CDEN" in first
        assert "Accords tacites (silence)" in first
        assert "Année scolaire 2025-2026" in first
        assert "déformé" in third
        summary, parties, objections = files.csv
        with summary.open(encoding="utf-8-sig") as handle:
            rows = {row["metric"]: row["value"] for row in csv.DictReader(handle)}
        assert rows["silent_approvals"] == "1" and rows["reminders_sent"] == "2"
        with parties.open(encoding="utf-8-sig") as handle:
            prefet = next(row for row in csv.DictReader(handle) if row["party"] == "prefet")
        assert prefet["median_days"] == "1.5"
        with objections.open(encoding="utf-8-sig") as handle:
            assert next(csv.DictReader(handle))["reason"] == OBJECTION


class TestSchoolYear:
    def test_a_school_year_is_two_consecutive_years(self) -> None:
        assert parse_school_year("2026-2027") == (2026, 2027)
        for bad in ("2026", "2026-2028", "deux-mille"):
            with pytest.raises(ReportRefused, match="2026-2027"):
                parse_school_year(bad)

    def test_an_empty_year_still_gives_a_readable_report(self, demo: AppContext, tmp_path: Path) -> None:
        [files] = generate_reports(demo, (2030, 2031), tmp_path)
        report: YearlyReport = files.report
        assert report.requests == 0 and report.median_days is None
        assert files.pdf.stat().st_size > 1000
