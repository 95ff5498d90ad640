"""Article 8 end to end through the services: routing, delivery over real SMTP, decisions, silence, conclusion."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.errors import DecisionRefused, NotFound
from comms_approval.domain.logos import LogoStatus
from comms_approval.services.audit import verify_trail
from comms_approval.services.decisions import LinkGone, record_decision
from comms_approval.services.delivery import resend_request
from comms_approval.services.status import status_report
from comms_approval.services.submission import override_logo_check, submit_draft
from comms_approval.services.sweep import run_sweep
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import (
    DEMO_OFFICER,
    FakeLogoChecker,
    body_of,
    correct_approvers,
    dispatch,
    make_draft,
    submit_demo_draft,
    tokens_for,
)

PARIS = ZoneInfo("Europe/Paris")
PARTNERS = {
    "dsden": "communication@dsden.example.org",
    "prefet": "pref-communication@prefecture.example.org",
    "dtpjj": "dtpjj-direction@pjj.example.org",
    "caf": "direction@caf.example.org",
}


def requests_by_party(
    ctx: AppContext, communication: int = 1, version: int = 1
) -> dict[str, dict[str, object]]:
    data = status_report(ctx, communication)[0]
    return {r["party"]: r for r in data["versions"][version - 1]["requests"]}


class TestSubmission:
    def test_a_compliant_draft_is_routed_to_every_other_party(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path
    ) -> None:
        """Four partners get a request; the submitting party does not ask itself."""
        result = submit_demo_draft(demo, checker, draft)
        assert result.status == "routing"
        assert sorted(p for p, _ in result.requests) == ["caf", "dsden", "dtpjj", "prefet"]
        assert all(s == "pending_delivery" for _, s in result.requests)
        stored = list((demo.settings.documents_dir).rglob(f"{result.sha256}.png"))
        assert len(stored) == 1  # stored by content hash, never by the upload's name

    def test_the_parties_a_draft_names_are_stored_beside_the_logo_report(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path
    ) -> None:
        """Article 8 covers documents naming a party: the finder's answer is kept with the version."""
        seen: list[str] = []

        def finder(path: Path, convention: object) -> dict[str, object]:
            seen.append(path.name)
            return {"named_parties": ["caf"]}

        result = submit_demo_draft(demo, checker, draft, find_mentions=finder)
        data = status_report(demo, result.communication_id)[0]
        assert seen == [f"{result.sha256}.png"]  # it reads the stored copy, not the upload
        with demo.uow(read_only=True) as uow:
            from comms_approval.adapters.db.tables import VersionRow

            stored = uow.session.get(VersionRow, data["versions"][0]["version_id"])
            assert stored is not None
            assert stored.logo_report["mentions"] == {"named_parties": ["caf"]}

    def test_a_draft_missing_a_logo_is_not_routed(self, demo: AppContext, draft: Path) -> None:
        """Article 8: the CAF logo is missing, so nobody is asked."""
        result = submit_demo_draft(demo, FakeLogoChecker({"caf": LogoStatus.MISSING}), draft)
        assert result.status == "rejected_by_check"
        assert result.requests == []

    def test_an_override_with_justification_routes_the_draft_and_is_audited(
        self, demo: AppContext, draft: Path, smtp_server: SmtpTestServer
    ) -> None:
        """The officer vouches for the missed logo; partners see the justification."""
        result = submit_demo_draft(demo, FakeLogoChecker({"caf": LogoStatus.UNCERTAIN}), draft)
        routed = override_logo_check(
            demo,
            version_id=result.version_id,
            party_id="caf",
            justification="Le logo de la Caf figure en pied de page, en blanc sur fond bleu.",
            officer_email=DEMO_OFFICER,
        )
        assert routed.status == "routing"
        assert len(routed.requests) == 4
        dispatch(demo, smtp_server)
        body = body_of(smtp_server.messages_to(PARTNERS["prefet"])[0])
        assert "en blanc sur fond bleu" in body

    def test_an_officer_of_another_party_cannot_submit_for_it(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path
    ) -> None:
        """Only the party's declared officers submit for it."""
        from comms_approval.domain.errors import SubmissionRefused

        with pytest.raises(SubmissionRefused):
            submit_draft(
                demo,
                checker,
                convention_id="demo-absenteisme-75",
                party_id="departement",
                title="x",
                file=draft,
                officer_email="charge.com@dsden.example.org",
            )


class TestDeliveryStartsTheClock:
    def test_the_relay_acceptance_starts_each_request_clock(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """delivered_at is the instant of the 250; the deadline follows the cpc rule from that local date."""
        submit_demo_draft(demo, checker, draft)
        report = dispatch(demo, smtp_server)
        assert report.sent == 5  # DSDEN has two approvers: one message per recipient
        requests = requests_by_party(demo)
        assert {r["status"] for r in requests.values()} == {"awaiting"}
        assert requests["caf"]["delivered_at"] == clock.now().isoformat()
        # Delivered Thursday 23 April 2026 → day 15 is Friday 8 May (holiday) → Monday 11 May, 24:00 Paris.
        assert (
            requests["caf"]["deadline"]
            == datetime(2026, 5, 12, 0, 0, tzinfo=PARIS).astimezone(ZoneInfo("UTC")).isoformat()
        )
        mail = smtp_server.messages_to(PARTNERS["caf"])[0]
        assert "lundi 11 mai 2026" in body_of(mail)

    def test_a_451_is_retried_and_the_clock_starts_at_the_success(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Greylisting: one mail, and the clock starts when the relay finally says 250."""
        smtp_server.fail_temporarily(PARTNERS["caf"], times=1)
        submit_demo_draft(demo, checker, draft)
        first = dispatch(demo, smtp_server)
        assert first.retried == 1
        assert requests_by_party(demo)["caf"]["status"] == "pending_delivery"
        clock.advance(timedelta(hours=2))
        second = dispatch(demo, smtp_server)
        assert second.sent == 1
        caf = requests_by_party(demo)["caf"]
        assert caf["status"] == "awaiting"
        assert caf["delivered_at"] == clock.now().isoformat()
        assert len(smtp_server.messages_to(PARTNERS["caf"])) == 1

    def test_a_550_makes_the_request_undeliverable_alerts_the_officer_and_never_deems_approval(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """No delivery, no clock: even a month later silence does not count."""
        smtp_server.fail_permanently(PARTNERS["caf"])
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        dispatch(demo, smtp_server)  # the alert to the officer
        assert requests_by_party(demo)["caf"]["status"] == "undeliverable"
        alert = smtp_server.messages_to(DEMO_OFFICER)
        assert len(alert) == 1
        assert PARTNERS["caf"] in body_of(alert[0])
        clock.advance(timedelta(days=40))
        run_sweep(demo)
        assert requests_by_party(demo)["caf"]["status"] == "undeliverable"
        assert requests_by_party(demo)["prefet"]["status"] == "deemed_approved"

    def test_resending_to_a_corrected_address_starts_a_new_clock(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        """The officer fixes the address; the new delivery date drives the deadline."""
        smtp_server.fail_permanently(PARTNERS["caf"])
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        request_id = int(requests_by_party(demo)["caf"]["request_id"])  # type: ignore[call-overload]
        clock.advance(timedelta(days=3))
        correct_approvers(demo, tmp_path, "caf", ["accueil@caf.example.org"])
        resend_request(
            demo, request_id=request_id, officer_email=DEMO_OFFICER, addresses=["accueil@caf.example.org"]
        )
        dispatch(demo, smtp_server)
        caf = requests_by_party(demo)["caf"]
        assert caf["status"] == "awaiting"
        assert caf["delivered_at"] == clock.now().isoformat()
        assert len(smtp_server.messages_to("accueil@caf.example.org")) == 1

    def test_a_request_is_resent_only_to_its_partys_approvers(
        self,
        demo: AppContext,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """The submitting officer cannot send the CAF's link to an address of their choosing (their own, say)
        and answer for the CAF: a wrong roster is corrected in the convention first."""
        from comms_approval.domain.errors import SubmissionRefused

        smtp_server.fail_permanently(PARTNERS["caf"])
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        caf = int(requests_by_party(demo)["caf"]["request_id"])  # type: ignore[call-overload]
        with pytest.raises(SubmissionRefused, match="not an approver of caf"):
            resend_request(demo, request_id=caf, officer_email=DEMO_OFFICER, addresses=[DEMO_OFFICER])
        assert requests_by_party(demo)["caf"]["status"] == "undeliverable"

    def test_a_link_whose_address_left_the_roster_no_longer_answers(
        self,
        demo: AppContext,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        """The decision is the party's: an address removed from its approvers since the link was sent cannot
        give it."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        token = tokens_for(smtp_server.accepted_messages(), PARTNERS["caf"])[0]
        correct_approvers(demo, tmp_path, "caf", ["accueil@caf.example.org"])
        with pytest.raises(DecisionRefused, match="not an approver"):
            record_decision(demo, token=token, decision="approve")
        assert requests_by_party(demo)["caf"]["status"] == "awaiting"


class TestBounces:
    def test_a_bounce_after_the_250_stops_the_clock_and_silence_never_counts(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """The relay accepted, then a bounce arrived: undeliverable, no reminder, never deemed; resend restarts."""
        from comms_approval.services.delivery import record_bounce

        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        caf = requests_by_party(demo)["caf"]
        record_bounce(demo, request_id=int(caf["request_id"]), detail="550 5.1.1 mailbox unknown")  # type: ignore[call-overload]
        clock.advance(timedelta(days=40))
        report = run_sweep(demo)
        assert requests_by_party(demo)["caf"]["status"] == "undeliverable"
        assert requests_by_party(demo)["caf"]["reminders_sent"] == 0
        assert report.deemed == 3  # the three others, not the bounced one
        resend_request(demo, request_id=int(caf["request_id"]), officer_email=DEMO_OFFICER)  # type: ignore[call-overload]
        dispatch(demo, smtp_server)
        assert requests_by_party(demo)["caf"]["delivered_at"] == clock.now().isoformat()

    def test_a_request_resent_after_a_bounce_gets_its_own_reminders(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        """The first address had its day-7 reminder, then bounced: the corrected one has a new clock, and a
        day-7 reminder of its own before its silence can count."""
        from comms_approval.services.delivery import record_bounce

        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        caf = int(requests_by_party(demo)["caf"]["request_id"])  # type: ignore[call-overload]
        clock.advance(timedelta(days=7, hours=1))
        assert run_sweep(demo).reminders == 4  # the first round's day-7 reminders, the CAF's among them
        record_bounce(demo, request_id=caf, detail="550 5.1.1 mailbox unknown")
        correct_approvers(demo, tmp_path, "caf", ["accueil@caf.example.org"])
        resend_request(
            demo, request_id=caf, officer_email=DEMO_OFFICER, addresses=["accueil@caf.example.org"]
        )
        dispatch(demo, smtp_server)
        clock.advance(timedelta(days=7, hours=1))
        run_sweep(demo)
        dispatch(demo, smtp_server)
        subjects = [str(m.message["Subject"]) for m in smtp_server.messages_to("accueil@caf.example.org")]
        assert len(subjects) == 2, subjects  # the request, then its own day-7 reminder
        assert "rappel" in subjects[1].lower(), subjects

    def test_a_bounce_is_recorded_from_the_command_line(
        self, demo: AppContext, checker: FakeLogoChecker, draft: Path, smtp_server: SmtpTestServer
    ) -> None:
        """A relay that accepts everything bounces later: the administrator records it, and the clock stops."""
        from typer.testing import CliRunner

        from comms_approval.cli.main import app

        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        caf = int(requests_by_party(demo)["caf"]["request_id"])  # type: ignore[call-overload]
        env = {
            "COMMS_APPROVAL_DATA_DIR": str(demo.settings.data_dir),
            "COMMS_APPROVAL_DATABASE_URL": demo.settings.effective_database_url,
            "COMMS_APPROVAL_SMTP_HOST": "",
        }
        result = CliRunner().invoke(
            app, ["bounce", str(caf), "--detail", "550 5.1.1 mailbox unknown"], env=env
        )
        assert result.exit_code == 0, result.output
        assert "délai est arrêté" in " ".join(result.output.split())
        caf_request = requests_by_party(demo)["caf"]
        assert caf_request["status"] == "undeliverable"
        again = CliRunner().invoke(app, ["bounce", "999999", "--detail", "550"], env=env)
        assert again.exit_code != 0


class TestDecisions:
    def test_two_approvals_one_with_remarks_and_silence_clear_the_version(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """The story of Article 8: explicit, with remarks, and by silence at the deadline."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        mails = smtp_server.accepted_messages()
        record_decision(demo, token=tokens_for(mails, PARTNERS["prefet"])[0], decision="approve")
        record_decision(
            demo,
            token=tokens_for(mails, PARTNERS["dsden"])[0],
            decision="approve_with_remarks",
            text="Merci d'agrandir le logo de la DSDEN.",
        )
        record_decision(demo, token=tokens_for(mails, PARTNERS["dtpjj"])[0], decision="approve")
        deadline = datetime.fromisoformat(str(requests_by_party(demo)["caf"]["deadline"]))
        clock.set(deadline - timedelta(microseconds=1))
        assert run_sweep(demo).deemed == 0
        clock.set(deadline)
        sweep = run_sweep(demo)
        assert sweep.deemed == 1
        caf = requests_by_party(demo)["caf"]
        assert caf["status"] == "deemed_approved"
        assert caf["decided_at"] == deadline.isoformat()
        data = status_report(demo, 1)[0]
        assert data["versions"][0]["status"] == "cleared"
        smtp_server.reset()
        dispatch(demo, smtp_server)
        conclusions = [
            m for m in smtp_server.accepted_messages() if "valid" in str(m.message["Subject"]).lower()
        ]
        assert conclusions, [str(m.message["Subject"]) for m in smtp_server.accepted_messages()]
        head = verify_trail(demo)
        assert head.ok
        assert any(head.head_hash[:16] in body_of(m) or "piste" in body_of(m) for m in conclusions)

    def test_an_objection_blocks_the_version_and_withdraws_the_other_requests(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Blocked at the first objection; the others get no more reminders; their links say 'withdrawn'."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        mails = smtp_server.accepted_messages()
        result = record_decision(
            demo,
            token=tokens_for(mails, PARTNERS["caf"])[0],
            decision="object",
            text="Le logo de la Caf est l'ancienne version.",
        )
        assert result.version_status == "blocked"
        states = {p: r["status"] for p, r in requests_by_party(demo).items()}
        assert states == {
            "caf": "objected",
            "dsden": "withdrawn",
            "prefet": "withdrawn",
            "dtpjj": "withdrawn",
        }
        with pytest.raises(LinkGone):
            record_decision(demo, token=tokens_for(mails, PARTNERS["prefet"])[0], decision="approve")
        clock.advance(timedelta(days=10))
        assert run_sweep(demo).reminders == 0

    def test_a_replayed_decision_records_nothing_new_and_a_different_one_is_refused(
        self,
        demo: AppContext,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Double submissions are harmless; a decision is final for its version."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        token = tokens_for(smtp_server.accepted_messages(), PARTNERS["prefet"])[0]
        first = record_decision(demo, token=token, decision="approve")
        events_before = verify_trail(demo).events_checked
        again = record_decision(demo, token=token, decision="approve")
        assert (first.replay, again.replay) == (False, True)
        assert verify_trail(demo).events_checked == events_before
        with pytest.raises(DecisionRefused):
            record_decision(demo, token=token, decision="object", text="Finalement non.")

    def test_an_objection_without_reason_is_refused(
        self,
        demo: AppContext,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """The reason is required."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        token = tokens_for(smtp_server.accepted_messages(), PARTNERS["prefet"])[0]
        with pytest.raises(DecisionRefused):
            record_decision(demo, token=token, decision="object", text="   ")

    def test_a_decision_after_the_deadline_is_refused_and_silence_applies(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """The decision path applies the same rule as the sweep, whatever the sweep's delay."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        token = tokens_for(smtp_server.accepted_messages(), PARTNERS["prefet"])[0]
        deadline = datetime.fromisoformat(str(requests_by_party(demo)["prefet"]["deadline"]))
        clock.set(deadline)
        with pytest.raises(DecisionRefused, match="deadline"):
            record_decision(demo, token=token, decision="object", text="Trop tard ?")
        prefet = requests_by_party(demo)["prefet"]
        assert prefet["status"] == "deemed_approved"
        assert prefet["decided_at"] == deadline.isoformat()

    def test_an_objection_after_another_partys_deadline_leaves_that_silence_an_approval(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Silence counts from the deadline on, sweep or not: a later objection does not withdraw it."""
        smtp_server.fail_temporarily(PARTNERS["caf"], times=1)
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        clock.advance(
            timedelta(days=4)
        )  # the CAF's request is delivered on Monday 27 April: a later deadline
        dispatch(demo, smtp_server)
        requests = requests_by_party(demo)
        deadline = datetime.fromisoformat(str(requests["dsden"]["deadline"]))
        assert datetime.fromisoformat(str(requests["caf"]["deadline"])) > deadline + timedelta(hours=1)
        clock.set(deadline + timedelta(hours=1))  # the other deadlines have passed; no sweep has run
        token = tokens_for(smtp_server.accepted_messages(), PARTNERS["caf"])[0]
        result = record_decision(demo, token=token, decision="object", text="Le numéro d'accueil a changé.")
        assert result.version_status == "blocked"
        after = requests_by_party(demo)
        assert {p: r["status"] for p, r in after.items()} == {
            "caf": "objected",
            "dsden": "deemed_approved",
            "prefet": "deemed_approved",
            "dtpjj": "deemed_approved",
        }
        assert after["dsden"]["decided_at"] == deadline.isoformat()
        assert verify_trail(demo).ok

    def test_a_new_version_after_the_last_silence_elapsed_leaves_the_previous_one_cleared(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        tmp_path: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Three approvals and one silence past its deadline cleared the version, even before the sweep."""
        first = submit_demo_draft(demo, checker, make_draft(tmp_path, "v1.png", text="v1"))
        dispatch(demo, smtp_server)
        mails = smtp_server.accepted_messages()
        for party in ("prefet", "dtpjj", "caf"):
            record_decision(demo, token=tokens_for(mails, PARTNERS[party])[0], decision="approve")
        deadline = datetime.fromisoformat(str(requests_by_party(demo)["dsden"]["deadline"]))
        clock.set(deadline + timedelta(minutes=5))
        second = submit_demo_draft(
            demo, checker, make_draft(tmp_path, "v2.png", text="v2"), communication_id=first.communication_id
        )
        data = status_report(demo, first.communication_id)[0]
        assert data["versions"][0]["status"] == "cleared"
        assert requests_by_party(demo)["dsden"]["status"] == "deemed_approved"
        assert (second.version, second.status) == (2, "routing")
        smtp_server.reset()
        dispatch(demo, smtp_server)
        subjects = [str(m.message["Subject"]) for m in smtp_server.accepted_messages()]
        assert any("validée" in subject for subject in subjects), subjects

    def test_an_unknown_token_is_not_found(self, demo: AppContext) -> None:
        """Forged tokens find nothing."""
        with pytest.raises(NotFound):
            record_decision(demo, token="A" * 43, decision="approve")


class TestReminders:
    def test_reminders_go_out_once_per_slot_even_when_the_sweep_runs_three_times(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Seven days after delivery, then two days before the deadline; never twice."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        smtp_server.reset()
        clock.advance(timedelta(days=7))
        assert [run_sweep(demo).reminders for _ in range(3)] == [4, 0, 0]
        deadline = datetime.fromisoformat(str(requests_by_party(demo)["caf"]["deadline"]))
        clock.set(deadline - timedelta(days=2))
        assert [run_sweep(demo).reminders for _ in range(3)] == [4, 0, 0]
        dispatch(demo, smtp_server)
        caf = smtp_server.messages_to(PARTNERS["caf"])
        assert len(caf) == 2
        assert "lundi 11 mai 2026" in body_of(caf[0])
        assert requests_by_party(demo)["caf"]["reminders_sent"] == 2

    def test_no_reminder_after_a_decision(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        draft: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """A party that answered is left alone."""
        submit_demo_draft(demo, checker, draft)
        dispatch(demo, smtp_server)
        record_decision(
            demo, token=tokens_for(smtp_server.accepted_messages(), PARTNERS["caf"])[0], decision="approve"
        )
        clock.advance(timedelta(days=7, hours=1))
        run_sweep(demo)
        assert requests_by_party(demo)["caf"]["reminders_sent"] == 0
        assert requests_by_party(demo)["prefet"]["reminders_sent"] == 1


class TestVersions:
    def test_a_new_version_supersedes_the_previous_one_with_a_fresh_clock(
        self,
        demo: AppContext,
        clock: ManualClock,
        checker: FakeLogoChecker,
        tmp_path: Path,
        smtp_server: SmtpTestServer,
    ) -> None:
        """Open requests are withdrawn; everyone is asked again; old links are gone."""
        first = submit_demo_draft(demo, checker, make_draft(tmp_path, "v1.png", text="v1"))
        dispatch(demo, smtp_server)
        old_token = tokens_for(smtp_server.accepted_messages(), PARTNERS["caf"])[0]
        clock.advance(timedelta(days=2))
        second = submit_demo_draft(
            demo, checker, make_draft(tmp_path, "v2.png", text="v2"), communication_id=first.communication_id
        )
        assert second.version == 2
        data = status_report(demo, first.communication_id)[0]
        assert data["versions"][0]["status"] == "superseded"
        assert {r["status"] for r in data["versions"][0]["requests"]} == {"withdrawn"}
        with pytest.raises(LinkGone):
            record_decision(demo, token=old_token, decision="approve")
        dispatch(demo, smtp_server)
        assert requests_by_party(demo, 1, 2)["caf"]["delivered_at"] == clock.now().isoformat()
        latest = smtp_server.messages_to(PARTNERS["caf"])[-1]
        assert "version 1 → 2" in " ".join(body_of(latest).split())  # partners see what changed

    def test_two_new_versions_uploaded_at_once_follow_each_other(
        self, demo: AppContext, checker: FakeLogoChecker, tmp_path: Path
    ) -> None:
        """Both uploads read version 1 and wait for its lock: the second must follow the first's version 2."""
        import threading
        import time

        from comms_approval.services.locks import lock_version

        first = submit_demo_draft(demo, checker, make_draft(tmp_path, "v1.png", text="v1"))
        holding, release = threading.Event(), threading.Event()

        def hold_version_1() -> None:
            with demo.uow() as uow:
                lock_version(uow.session, first.version_id)
                holding.set()
                release.wait(timeout=30)

        results: list[object] = []

        def upload(name: str) -> None:
            try:
                draft = make_draft(tmp_path / name, f"{name}.png", text=name)
                results.append(
                    submit_demo_draft(demo, checker, draft, communication_id=first.communication_id)
                )
            except Exception as exc:  # the test reports what a request would have answered
                results.append(exc)

        holder = threading.Thread(target=hold_version_1)
        holder.start()
        assert holding.wait(timeout=10)
        uploads = [threading.Thread(target=upload, args=(name,)) for name in ("a", "b")]
        for thread in uploads:
            thread.start()
        time.sleep(0.5)  # both have read the versions and wait for version 1's lock
        release.set()
        holder.join(timeout=30)
        for thread in uploads:
            thread.join(timeout=60)
        assert not [r for r in results if isinstance(r, Exception)], results
        data = status_report(demo, first.communication_id)[0]
        assert [v["version"] for v in data["versions"]] == [1, 2, 3]
        assert [v["status"] for v in data["versions"]] == ["superseded", "superseded", "routing"]
        assert verify_trail(demo).ok
