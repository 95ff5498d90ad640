"""The Prefect flows run under a real (test) Prefect API and have their effect on the database and the relay."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from comms_approval.adapters.db.tables import AuditEventRow, AuditPayloadRow
from comms_approval.bootstrap import AppContext
from comms_approval.config import Settings
from comms_approval.domain.errors import ConfigurationError
from comms_approval.services.audit import verify_trail
from comms_approval.services.decisions import record_decision
from comms_approval.services.status import status_report
from comms_approval.services.submission import submit_draft as submit_service
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, dispatch, make_draft, tokens_for

OFFICER = "com@departement.example.org"
PARTNERS = {
    "dsden": "communication@dsden.example.org",
    "prefet": "pref-communication@prefecture.example.org",
    "dtpjj": "dtpjj-direction@pjj.example.org",
    "caf": "direction@caf.example.org",
}


def submit_compliant(ctx: AppContext, tmp_path: Path) -> None:
    """Submit through the service with the checker's test double, so the flows under test start from a route."""
    submit_service(
        ctx,
        FakeLogoChecker(),
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=make_draft(tmp_path / "uploads"),
        officer_email=OFFICER,
    )


def requests_by_party(ctx: AppContext) -> dict[str, dict[str, object]]:
    return {r["party"]: r for r in status_report(ctx, 1)[0]["versions"][0]["requests"]}


def audit_kinds(ctx: AppContext) -> list[str]:
    with ctx.uow() as uow:
        return list(uow.session.execute(select(AuditEventRow.kind).order_by(AuditEventRow.seq)).scalars())  # type: ignore[arg-type]


class TestDispatchOutboxFlow:
    def test_the_outbox_flow_delivers_every_request_once_and_starts_the_clocks(
        self, officer_ctx: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """Four requests queued by the submission reach the relay; a second run sends nothing more."""
        from flows.dispatch_outbox import dispatch_outbox

        submit_compliant(officer_ctx, tmp_path)
        first = dispatch_outbox()
        second = dispatch_outbox()
        assert first["sent"] == len(smtp_server.accepted_messages()) >= 4
        assert second["claimed"] == 0
        assert {
            party: len(smtp_server.messages_to(address)) for party, address in PARTNERS.items()
        } == dict.fromkeys(PARTNERS, 1)
        assert all(
            r["status"] == "awaiting" and r["delivered_at"] for r in requests_by_party(officer_ctx).values()
        )


class TestDeadlineSweepFlow:
    def test_silence_at_the_moved_deadline_is_deemed_approval_and_the_conclusion_is_mailed(
        self, officer_ctx: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """Three explicit approvals, one silence: the sweep flow at the deadline clears the version and mails it."""
        from flows.deadline_sweep import deadline_sweep

        submit_compliant(officer_ctx, tmp_path)
        dispatch(officer_ctx, smtp_server)
        mails = smtp_server.accepted_messages()
        for party in ("prefet", "dsden", "dtpjj"):
            record_decision(officer_ctx, token=tokens_for(mails, PARTNERS[party])[0], decision="approve")
        deadline = datetime.fromisoformat(str(requests_by_party(officer_ctx)["caf"]["deadline"]))
        smtp_server.reset()

        early = deadline_sweep(now=(deadline - timedelta(microseconds=1)).isoformat())
        assert early["sweep"]["deemed"] == 0
        assert requests_by_party(officer_ctx)["caf"]["status"] == "awaiting"
        smtp_server.reset()  # the early run delivered the acknowledgements and the due reminders

        result = deadline_sweep(now=deadline.isoformat())
        assert result["sweep"] == {"deemed": 1, "reminders": 0, "concluded": 1, "skipped_locked": 0}
        caf = requests_by_party(officer_ctx)["caf"]
        assert (caf["status"], caf["decided_at"]) == ("deemed_approved", deadline.isoformat())
        assert status_report(officer_ctx, 1)[0]["versions"][0]["status"] == "cleared"
        conclusions = [
            m for m in smtp_server.accepted_messages() if "valid" in str(m.message["Subject"]).lower()
        ]
        assert result["delivery"]["sent"] == len(smtp_server.accepted_messages()) >= len(conclusions) > 0
        assert verify_trail(officer_ctx).ok

    def test_a_moved_clock_is_recorded_in_the_audit_trail_with_the_flow_that_moved_it(
        self, officer_ctx: AppContext
    ) -> None:
        """Moving 'now' is itself an audited fact, naming the flow."""
        from flows.deadline_sweep import deadline_sweep

        deadline_sweep(now="2026-06-01T00:00:00+02:00")
        assert audit_kinds(officer_ctx)[-1] == "clock_overridden"
        with officer_ctx.uow() as uow:
            payload = uow.session.execute(
                select(AuditPayloadRow.payload).order_by(AuditPayloadRow.seq.desc()).limit(1)  # type: ignore[union-attr]
            ).scalar_one()
        assert json.loads(payload)["overridden_by"] == "flow:deadline-sweep"

    def test_moving_the_clock_is_refused_in_production_and_nothing_is_deemed(
        self,
        officer_ctx: AppContext,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The production guard holds for flows too: the run fails and the silent partners keep their time."""
        from flows.deadline_sweep import deadline_sweep

        submit_compliant(officer_ctx, tmp_path)
        dispatch(officer_ctx, smtp_server)
        monkeypatch.setenv("COMMS_APPROVAL_ENV", "production")
        monkeypatch.setenv("COMMS_APPROVAL_SECRET_KEY", "k" * 48)
        monkeypatch.setenv("COMMS_APPROVAL_SMTP_HOST", "smtp.example.org")
        monkeypatch.setenv("COMMS_APPROVAL_MAIL_FROM", "Visas <no-reply@visas.example.org>")
        with pytest.raises(ConfigurationError, match="refused in production"):
            deadline_sweep(now="2027-01-01T00:00:00+01:00")
        assert {r["status"] for r in requests_by_party(officer_ctx).values()} == {"awaiting"}


class TestSubmitDraftFlow:
    def test_a_draft_without_logos_is_checked_stored_and_not_routed(
        self, officer_ctx: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The flow runs the real logo check: no logo at all means no request and no mail."""
        from flows.submit_draft import submit_draft

        draft = make_draft(tmp_path / "uploads", text="Affiche sans logos")
        result = submit_draft(str(draft), "demo-absenteisme-75", "departement", "Affiche sans logos", OFFICER)
        assert (result["status"], result["requests"], result["compliant"]) == ("rejected_by_check", [], False)
        assert list(officer_ctx.settings.documents_dir.rglob(f"{result['sha256']}.png"))
        assert smtp_server.received_messages() == []


class TestCheckDraftsFlow:
    def test_a_pending_check_is_run_once_with_the_real_checker_and_its_officer_told(
        self, officer_ctx: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """Where the web runs no checks of its own, a worker takes the long drafts' checks left pending."""
        from comms_approval.services.submission import accept_draft
        from flows.check_drafts import check_drafts

        accepted = accept_draft(
            officer_ctx,
            convention_id="demo-absenteisme-75",
            party_id="departement",
            title="Brochure sans logos",
            file=make_draft(tmp_path / "uploads", text="Brochure sans logos"),
            officer_email=OFFICER,
        )
        result = check_drafts()
        assert result["checked"] == {str(accepted.version_id): "rejected_by_check"}
        told = [str(m.message["Subject"]) for m in smtp_server.messages_to(OFFICER)]
        assert [" ".join(subject.split()) for subject in told] == [
            "Contrôle terminé, logos à revoir : « Brochure sans logos » (version 1)"
        ]
        assert check_drafts()["checked"] == {}  # nothing left pending


class TestTransientErrors:
    def test_only_database_hiccups_are_retried(self, flow_env: Settings) -> None:
        """An unreachable database is worth a retry; a business refusal is not."""
        from prefect.states import Failed
        from sqlalchemy.exc import OperationalError

        from flows import is_transient

        hiccup = Failed(data=OperationalError("SELECT 1", {}, Exception("database is locked")))
        refusal = Failed(data=ConfigurationError("moving the clock (--now) is refused in production"))
        assert (is_transient(None, None, hiccup), is_transient(None, None, refusal)) == (True, False)
