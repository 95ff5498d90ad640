"""The convention over time on the web: lifecycle pages, the yearly report, name mentions, retention, refusals."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlmodel import col

from comms_approval.adapters.db.tables import RequestRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.errors import DecisionRefused, IllegalTransition, SubmissionRefused
from comms_approval.domain.logos import LogoStatus
from comms_approval.services.auth import session_user
from comms_approval.services.mentions import document_mentions
from comms_approval.services.retention import apply_retention
from comms_approval.web.app import create_app
from comms_approval.web.common import nonce_for
from comms_approval.web.refusals import explain
from tests.e2e.conftest import AUDITOR, OFFICER, ORIGIN, Routed, form_nonce, nonce_of, sign_in
from tests.e2e.fakes import FakeMentionFinder
from tests.e2e.test_auditor_room import count, decide, pdf_text
from tests.e2e.test_officer_desk import upload
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, dispatch, make_draft, tokens_for

CONVENTION = "demo-absenteisme-75"
PAGE = f"/desk/conventions/{CONVENTION}"


def post_form(client: TestClient, action: str, data: dict[str, str], *, origin: str = ORIGIN):  # type: ignore[no-untyped-def]
    page = client.get(PAGE)
    nonce = form_nonce(page.text, action.split("?", maxsplit=1)[0])
    return client.post(action, data={"nonce": nonce, **data}, headers={"origin": origin})


class TestLifecyclePage:
    def test_a_recorded_termination_shows_its_effective_date_and_the_party_leaving(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """A letter of 20 April 2026 takes effect on 1 September 2026; the page says who leaves and when."""
        sign_in(client, demo, smtp_server, OFFICER)
        page = client.get(PAGE)
        assert page.status_code == 200 and "Active" in page.text and "Départ le" not in page.text
        assert "prendrait effet le mardi 1er septembre 2026" in page.text  # Article 9 shown before recording
        before = count(demo)
        done = post_form(
            client,
            f"{PAGE}/terminations",
            {"party": "departement", "requested_on": "2026-04-20", "reference": "1A 234 567 8901 2"},
        )
        assert done.status_code == 303
        shown = client.get(done.headers["location"]).text
        assert "elle prend effet le mardi 1er septembre 2026 (article 9)" in shown
        assert (
            "La dénonciation de la convention par la partie « Conseil départemental » est enregistrée"
            in shown
        )
        assert "Départ le mardi 1er septembre 2026" in shown and "1A 234 567 8901 2" in shown
        assert count(demo, "party_termination_recorded") == 1 and count(demo) == before + 1
        client.get(PAGE)
        assert count(demo) == before + 1  # reading the page records nothing

    def test_a_refused_termination_is_explained_in_french_and_in_english(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """A date in the future is refused with the service's French (or English) sentence; nothing recorded."""
        sign_in(client, demo, smtp_server, OFFICER)
        action = f"{PAGE}/terminations"
        french = post_form(client, action, {"party": "departement", "requested_on": "2027-01-10"})
        assert french.status_code == 422 and "est postérieure à aujourd’hui" in french.text
        garbled = post_form(client, action, {"party": "departement", "requested_on": "le 3 mai"})
        assert garbled.status_code == 422 and "Veuillez indiquer une date valide" in garbled.text
        english = post_form(
            client, action + "?lang=en", {"party": "departement", "requested_on": "10/01/2027"}
        )
        assert english.status_code == 422 and "is in the future" in english.text
        assert count(demo, "party_termination_recorded") == 0

    def test_an_officer_records_only_their_own_partys_termination(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """A party that left is no longer asked: another party's officer cannot make it leave (a backdated
        letter would let their drafts skip it); the form offers their own party only."""
        sign_in(client, demo, smtp_server, OFFICER)
        page = client.get(PAGE).text
        form = page.split('id="t-party"', 1)[1].split("</select>", 1)[0]
        assert 'value="departement"' in form and 'value="caf"' not in form
        refused = post_form(client, f"{PAGE}/terminations", {"party": "caf", "requested_on": "2025-01-10"})
        assert refused.status_code == 403
        assert "que la résiliation de votre propre partie" in refused.text
        assert count(demo, "party_termination_recorded") == 0

    def test_renewal_and_expiry_are_recorded_and_an_expired_convention_refuses_drafts(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The renewal moves the period end; the end needs a ticked confirmation; then uploads are refused."""
        sign_in(client, demo, smtp_server, OFFICER)
        renewed = post_form(client, f"{PAGE}/renewals", {})
        assert renewed.status_code == 303
        page = client.get(renewed.headers["location"]).text
        assert "Le renouvellement de la convention est enregistré" in page and "31 août 2031" in page
        unconfirmed = post_form(client, f"{PAGE}/expiry", {"expired_on": "2026-04-23"})
        assert unconfirmed.status_code == 422 and "case de confirmation" in unconfirmed.text
        ended = post_form(client, f"{PAGE}/expiry", {"expired_on": "2026-04-23", "confirm": "yes"})
        assert ended.status_code == 303
        assert "Plus en vigueur" in client.get(PAGE).text
        refused = upload(client, make_draft(tmp_path))
        assert refused.status_code == 422 and "a pris fin le jeudi 23 avril 2026" in refused.text
        client.get("/desk?lang=en")  # the language cookie: the next pages speak English
        english = upload(client, make_draft(tmp_path))
        assert "ended on jeudi 23 avril 2026: new drafts can no longer be submitted" in english.text
        assert count(demo, "convention_renewed") == 1 and count(demo, "convention_expiry_recorded") == 1

    def test_lifecycle_forms_refuse_other_sites_and_people_outside_the_convention(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """Cross-site POST: 403 and nothing recorded; an auditor (not an officer) gets 403 on the page."""
        sign_in(client, demo, smtp_server, OFFICER)
        forged = post_form(client, f"{PAGE}/renewals", {}, origin="https://evil.example")
        assert forged.status_code == 403 and count(demo, "convention_renewed") == 0
        assert client.get("/desk/conventions/another-convention").status_code == 404
        auditor = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        sign_in(auditor, demo, smtp_server, AUDITOR)
        assert auditor.get(PAGE).status_code == 403


class TestYearlyReportPage:
    def test_an_auditor_reads_the_figures_and_downloads_the_pdf_and_csv_each_view_recorded(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """One communication, four requests, one objection with its reason: on the page, in the PDF and CSV."""
        decide(client, routed.tokens["dsden"], "approve")
        decide(client, routed.tokens["dtpjj"], "object", "Le logo de la PJJ est l'ancien.")
        sign_in(client, demo, smtp_server, AUDITOR)
        views = count(demo, "auditor_page_viewed")
        page = client.get(f"/audit/report?convention={CONVENTION}&year=2025-2026")
        assert page.status_code == 200
        figures = dict(
            re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>', page.text)
        )
        assert figures["Communications"] == "1" and figures["Demandes d&#39;avis"] == "4"
        assert figures["Objections"] == "1" and figures["Accords exprès"] == "1"
        assert "Le logo de la PJJ est l&#39;ancien." in page.text
        query = f"convention={CONVENTION}&year=2025-2026"
        pdf = client.get(f"/audit/report.pdf?{query}")
        assert (
            pdf.headers["content-type"] == "application/pdf"
            and "attachment" in pdf.headers["content-disposition"]
        )
        assert "2025-2026" in pdf_text(pdf.content)
        summary = client.get(f"/audit/report/synthese.csv?{query}")
        rows = {
            r["metric"]: r["value"] for r in csv.DictReader(io.StringIO(summary.content.decode("utf-8-sig")))
        }
        assert rows["communications"] == "1" and rows["objections"] == "1"
        objections = client.get(f"/audit/report/objections.csv?{query}").content.decode("utf-8-sig")
        assert "Le logo de la PJJ est l'ancien." in objections
        assert client.get(f"/audit/report/secret.csv?{query}").status_code == 404
        assert count(demo, "auditor_page_viewed") == views + 4

    def test_the_report_is_for_auditors_of_that_convention_only(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """An officer is refused (403); an auditor asking for a convention he does not audit gets 404."""
        sign_in(client, demo, smtp_server, OFFICER)
        assert client.get("/audit/report").status_code == 403
        auditor = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        sign_in(auditor, demo, smtp_server, AUDITOR)
        assert auditor.get("/audit/report?convention=elsewhere").status_code == 404
        assert auditor.get("/audit/report?year=n'importe").status_code == 200  # falls back to this year


class TestMentionsBesideTheLogoReport:
    def test_a_named_party_whose_logo_is_missing_is_flagged_in_bold_words(
        self, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The draft names the CAF, whose logo is missing: 'Nommée mais logo absent' in <strong>, on both pages."""
        checker = FakeLogoChecker({"caf": LogoStatus.MISSING})
        finder = FakeMentionFinder("Avec la Caisse d'allocations familiales (CAF) et la Préfecture.")
        app = create_app(demo, logo_checker=checker, find_mentions=finder)
        client = TestClient(app, base_url=ORIGIN, follow_redirects=False)
        sign_in(client, demo, smtp_server, OFFICER)
        location = upload(client, make_draft(tmp_path)).headers["location"]
        report = client.get(location).text
        assert finder.calls == 1 and "Nommée dans le document" in report
        assert '<strong class="flag">Nommée mais logo absent</strong>' in report
        assert report.count("Nommée mais logo absent") == 1  # the Préfecture is named and its logo present
        english = client.get(location + "?lang=en").text
        assert '<strong class="flag">Named but logo missing</strong>' in english
        done = client.post(
            f"{location}/overrides",
            headers={"origin": ORIGIN},
            data={
                "nonce": form_nonce(report, f"{location}/overrides"),
                "party": "caf",
                "justification": "Le logo de la Caf figure au verso, hors du fichier transmis.",
            },
        )
        assert done.status_code == 303
        dispatch(demo, smtp_server)
        token = tokens_for(smtp_server.received_messages(), "direction@caf.example.org")[-1]
        review = TestClient(app, base_url=ORIGIN, follow_redirects=False).get(f"/r/{token}").text
        assert '<strong class="flag">Nommée mais logo absent</strong>' in review
        assert 'name="decision"' in review  # read-only report beside the usual choices

    def test_production_reads_the_drafts_text_and_tests_can_switch_it_off(self, demo: AppContext) -> None:
        """The default finder is the real one (text layer, OCR); None leaves the report without mentions."""
        assert create_app(demo).state.find_mentions is document_mentions
        assert create_app(demo, find_mentions=None).state.find_mentions is None


class TestRetention:
    def test_a_version_whose_document_was_purged_says_so_instead_of_failing(
        self, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """Four years after a failed check the draft is erased: the page says when, images answer 404."""
        checker = FakeLogoChecker({"caf": LogoStatus.MISSING})
        app = create_app(demo, logo_checker=checker, find_mentions=None)
        client = TestClient(app, base_url=ORIGIN, follow_redirects=False)
        sign_in(client, demo, smtp_server, OFFICER)
        location = upload(client, make_draft(tmp_path)).headers["location"]
        version_id = location.rsplit("/", 1)[-1]
        assert client.get(f"/v/{version_id}/annotated/1.png").status_code == 200
        clock = demo.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(days=4 * 365 + 30))
        apply_retention(demo)
        assert count(demo, "retention_purged") >= 1
        sign_in(client, demo, smtp_server, OFFICER)  # the old session expired meanwhile
        page = client.get(location)
        assert page.status_code == 200
        assert (
            "Document supprimé le" in page.text and "conformément à la politique de conservation" in page.text
        )
        assert "/annotated/1.png" not in page.text and "Absent" in page.text  # the report itself stays
        assert client.get(f"/v/{version_id}/annotated/1.png").status_code == 404
        assert client.get(f"/v/{version_id}/pages/1.png").status_code == 404

    def test_a_partners_recorded_answer_stays_readable_after_the_draft_is_purged(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """The link of a cleared version still shows the answer; previews give way to the retention notice."""
        for party in ("dsden", "prefet", "dtpjj", "caf"):
            decide(client, routed.tokens[party], "approve")
        clock = demo.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(days=4 * 365 + 30))
        apply_retention(demo)
        partner = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        page = partner.get(f"/r/{routed.tokens['caf']}")
        assert page.status_code == 200 and "Document supprimé le" in page.text
        assert "/pages/1.png" not in page.text and "Accord" in page.text
        assert partner.get(f"/r/{routed.tokens['caf']}/pages/1.png").status_code == 404


class TestRefusalsInFrench:
    def test_known_service_messages_are_translated_and_unknown_ones_kept_in_details(self) -> None:
        """A table keyed by class and pattern; unmatched text gets a polite sentence plus the raw message."""
        known = explain(DecisionRefused("a different decision is already recorded for this version"), "fr")
        assert known.text.startswith("Une autre réponse est déjà enregistrée") and known.raw is None
        officer = explain(SubmissionRefused("x@y.org is not an officer of CAF in this convention"), "fr")
        assert (
            officer.text
            == "L’adresse x@y.org n’est pas celle d’un chargé de communication de CAF dans cette convention."
        )
        moved = explain(IllegalTransition("request", "resend", "approved"), "fr")
        assert "la demande est à l'état « Accord »" in moved.text and "le renvoi" in moved.text
        assert "“Approved”" in explain(IllegalTransition("request", "resend", "approved"), "en").text
        unknown = explain(SubmissionRefused("quota exceeded for tenant 7"), "fr")
        assert (
            unknown.text.startswith("Votre demande n'a pas pu être traitée")
            and unknown.raw == "quota exceeded for tenant 7"
        )

    def test_resending_a_delivered_request_gets_a_french_sentence_not_the_machine_message(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """An illegal transition reaches the page as French words (409), never as 'event ... not allowed'."""
        sign_in(client, demo, smtp_server, OFFICER)
        with demo.uow() as uow:
            request_id = uow.session.execute(
                select(col(RequestRow.id)).where(col(RequestRow.party_id) == "caf")
            ).scalar_one()
        user = session_user(demo, client.cookies.get("ca_session"))
        assert user is not None  # the form only exists for undeliverable requests: forge a genuine nonce
        response = client.post(
            f"/desk/requests/{request_id}/resend",
            headers={"origin": ORIGIN},
            data={"nonce": nonce_for(demo, "resend", user.session_hash), "addresses": ""},
        )
        assert response.status_code == 409
        assert "Cette action n&#39;est pas possible" in response.text and "not allowed" not in response.text


class TestReadOnlyPages:
    def test_a_review_page_answers_while_another_writer_holds_the_database(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """GET pages read in deferred transactions: a long write elsewhere does not make them wait."""
        holding = threading.Event()
        release = threading.Event()

        def writer() -> None:
            with demo.uow() as uow:
                uow.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is ours
                holding.set()
                release.wait(10)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert holding.wait(5)
            started = time.perf_counter()
            page = TestClient(client.app, base_url=ORIGIN).get(f"/r/{routed.tokens['caf']}")
            elapsed = time.perf_counter() - started
        finally:
            release.set()
            thread.join()
        assert page.status_code == 200 and "Vous répondez au nom de" in page.text
        assert elapsed < 2.0
        assert nonce_of(page.text)
