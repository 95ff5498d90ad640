"""Articles 7 and 9 through the services: terminations, routing around them, renewal and expiry."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from comms_approval.adapters.db.tables import AuditEventRow, AuditPayloadRow, PartyRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.errors import NotFound, SubmissionRefused
from comms_approval.services.audit import verify_trail
from comms_approval.services.decisions import record_decision
from comms_approval.services.lifecycle import (
    LifecycleRefused,
    convention_term,
    party_lifecycles,
    record_expiry,
    record_renewal,
    record_termination,
)
from comms_approval.services.submission import SubmissionResult, submit_draft
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, dispatch, make_draft, tokens_for

PARIS = ZoneInfo("Europe/Paris")
CONVENTION = "demo-absenteisme-75"
OFFICER = "com@departement.example.org"
CAF_APPROVER = "direction@caf.example.org"


def submit(ctx: AppContext, checker: FakeLogoChecker, draft: Path) -> SubmissionResult:
    return submit_draft(
        ctx,
        checker,
        convention_id=CONVENTION,
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=draft,
        officer_email=OFFICER,
    )


def payload_of_last(ctx: AppContext, kind: str) -> dict[str, object]:
    with ctx.uow() as uow:
        event = uow.session.exec(
            select(AuditEventRow).where(AuditEventRow.kind == kind).order_by(AuditEventRow.seq.desc())  # type: ignore[attr-defined]
        ).first()
        assert event is not None, f"no {kind} event"
        payload = uow.session.get(AuditPayloadRow, event.seq)
        assert payload is not None
        return json.loads(payload.payload)  # type: ignore[no-any-return]


class TestTerminationEffectiveDate:
    @pytest.mark.parametrize(
        ("requested_on", "effective_on"),
        [
            (date(2026, 1, 10), date(2026, 9, 1)),  # well ahead of the next school year
            (date(2026, 6, 1), date(2026, 9, 1)),  # exactly three months before 1 September
            (date(2026, 6, 15), date(2027, 9, 1)),  # less than three months before the school year
            (date(2026, 7, 14), date(2027, 9, 1)),  # July
            (date(2026, 8, 20), date(2027, 9, 1)),  # August
            (date(2026, 8, 31), date(2027, 9, 1)),  # last day of the school year
            (date(2026, 9, 1), date(2027, 9, 1)),  # first day of the next one
        ],
    )
    def test_a_termination_takes_effect_on_the_first_of_september_after_three_months_notice(
        self, demo: AppContext, clock: ManualClock, requested_on: date, effective_on: date
    ) -> None:
        """Recorded through the service: stored on the party and audited with the letter's reference."""
        clock.set(datetime(2026, 9, 15, 9, 0, tzinfo=PARIS))
        result = record_termination(
            demo, CONVENTION, "caf", requested_on, "com@departement.example.org", "1A 234 567 8901 2"
        )
        assert result.effective_on == effective_on
        with demo.uow() as uow:
            row = uow.session.get(PartyRow, (CONVENTION, "caf"))
            assert row is not None
            assert (row.termination_requested_on, row.termination_effective_on) == (
                requested_on,
                effective_on,
            )
            assert row.termination_reference == "1A 234 567 8901 2"
        payload = payload_of_last(demo, "party_termination_recorded")
        assert payload["effective_on"] == effective_on.isoformat()
        assert payload["reference"] == "1A 234 567 8901 2"
        assert verify_trail(demo).ok

    def test_a_request_dated_in_the_future_is_refused(self, demo: AppContext) -> None:
        """The clock says 23 April 2026: a letter of May cannot have been received."""
        with pytest.raises(LifecycleRefused, match="postérieure à aujourd’hui"):
            record_termination(demo, CONVENTION, "caf", date(2026, 5, 2), "officer")

    def test_a_second_termination_of_the_same_party_is_refused(self, demo: AppContext) -> None:
        record_termination(demo, CONVENTION, "caf", date(2026, 1, 10), "officer")
        with pytest.raises(LifecycleRefused, match="déjà enregistrée"):
            record_termination(demo, CONVENTION, "caf", date(2026, 2, 10), "officer")

    def test_an_unknown_party_or_a_date_before_signature_is_refused(self, demo: AppContext) -> None:
        with pytest.raises(NotFound):
            record_termination(demo, CONVENTION, "nobody", date(2026, 1, 10), "officer")
        with pytest.raises(LifecycleRefused, match="précède la signature"):
            record_termination(demo, CONVENTION, "caf", date(2025, 1, 10), "officer")
        with pytest.raises(LifecycleRefused, match="qui enregistre"):
            record_termination(demo, CONVENTION, "caf", date(2026, 1, 10), "  ")


class TestRoutingAroundATermination:
    def test_a_party_is_routed_until_its_effective_date_and_its_open_request_runs_to_its_end(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        tmp_path: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Submitted on 31 August: the Caf is asked; on 1 September it is not; its August request still counts."""
        clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=PARIS))
        assert record_termination(demo, CONVENTION, "caf", date(2026, 3, 2), "officer").effective_on == date(
            2026, 9, 1
        )
        clock.set(datetime(2026, 8, 31, 23, 30, tzinfo=PARIS))
        before = submit(demo, checker, make_draft(tmp_path, "v1.png", text="Avant"))
        assert "caf" in {party for party, _ in before.requests}
        dispatch(demo, smtp_server)

        clock.set(datetime(2026, 9, 1, 0, 30, tzinfo=PARIS))
        after = submit(demo, checker, make_draft(tmp_path, "v2.png", text="Après"))
        assert sorted(party for party, _ in after.requests) == ["dsden", "dtpjj", "prefet"]
        assert {p.party_id: p.active for p in party_lifecycles(demo, CONVENTION)}["caf"] is False

        token = tokens_for(smtp_server.messages_to(CAF_APPROVER), CAF_APPROVER)[0]
        decided = record_decision(demo, token=token, decision="approve")
        assert decided.state == "approved"  # the request opened in August is still answered


class TestRenewalAndExpiry:
    def test_an_expired_convention_refuses_new_submissions_with_a_clear_message(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        tmp_path: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Its end is recorded for 1 September: drafts of 31 August pass, those of 1 September do not."""
        term = record_expiry(
            demo, CONVENTION, "officer", expired_on=date(2026, 9, 1), reason="non-reconduction"
        )
        assert term.expired_on == date(2026, 9, 1) and term.in_force
        assert payload_of_last(demo, "convention_expiry_recorded")["reason"] == "non-reconduction"
        clock.set(datetime(2026, 8, 31, 12, 0, tzinfo=PARIS))
        submit(demo, checker, make_draft(tmp_path, "v1.png"))
        dispatch(demo, smtp_server)
        clock.set(datetime(2026, 9, 1, 9, 0, tzinfo=PARIS))
        with pytest.raises(SubmissionRefused, match="a pris fin le mardi 1er septembre 2026"):
            submit(demo, checker, make_draft(tmp_path, "v2.png", text="Trop tard"))
        assert not convention_term(demo, CONVENTION).in_force
        token = tokens_for(smtp_server.messages_to(CAF_APPROVER), CAF_APPROVER)[0]
        assert record_decision(demo, token=token, decision="approve").state == "approved"
        with pytest.raises(LifecycleRefused, match="ne peut pas être renouvelée"):
            record_renewal(demo, CONVENTION, "officer")
        with pytest.raises(LifecycleRefused, match="déjà pris fin"):
            record_expiry(demo, CONVENTION, "officer")

    def test_a_renewal_extends_the_period_and_is_audited(self, demo: AppContext) -> None:
        """Signed 1 September 2025 for three years: the first renewal runs to 31 August 2031."""
        assert convention_term(demo, CONVENTION).period_end == date(2028, 8, 31)
        term = record_renewal(demo, CONVENTION, "officer")
        assert (term.renewals, term.period_end) == (1, date(2031, 8, 31))
        assert payload_of_last(demo, "convention_renewed")["period_end"] == "2031-08-31"
        assert verify_trail(demo).ok

    def test_the_default_end_is_the_day_after_the_current_period(self, demo: AppContext) -> None:
        """A party stops the tacit renewal: the convention ends with its current period."""
        term = record_expiry(demo, CONVENTION, "officer")
        assert term.expired_on == date(2028, 9, 1)
        with pytest.raises(LifecycleRefused, match="postérieure à la signature"):
            record_expiry(demo, CONVENTION, "officer", expired_on=date(2025, 9, 1))
