"""The auditors' room over HTTP: read-only history, live chain status, exports, certificates, views recorded."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comms_approval.adapters.db.tables import AuditEventRow, RequestRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.services.audit import AuditRefs, record
from comms_approval.services.sweep import run_sweep
from tests.e2e.conftest import AUDITOR, OFFICER, ORIGIN, Routed, nonce_of, sign_in
from tests.support.smtp_server import SmtpTestServer


def count(ctx: AppContext, kind: str | None = None) -> int:
    with ctx.uow() as uow:
        query = select(func.count()).select_from(AuditEventRow)
        if kind:
            query = query.where(AuditEventRow.kind == kind)  # type: ignore[arg-type]
        return int(uow.session.execute(query).scalar_one())


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def decide(client: TestClient, token: str, decision: str, text: str = "") -> None:
    partner = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    page = partner.get(f"/r/{token}")
    response = partner.post(
        f"/r/{token}",
        headers={"origin": ORIGIN},
        data={"nonce": nonce_of(page.text), "decision": decision, "text": text},
    )
    assert response.status_code == 303


def cleared_by_silence(client: TestClient, demo: AppContext, routed: Routed) -> None:
    """Three explicit approvals (one with remarks), the CAF stays silent until its deadline passes."""
    decide(client, routed.tokens["dsden"], "approve")
    decide(
        client,
        routed.tokens["prefet"],
        "approve_with_remarks",
        "Merci de citer la préfecture en toutes lettres.",
    )
    decide(client, routed.tokens["dtpjj"], "approve")
    clock = demo.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=25))
    run_sweep(demo)


class TestRoom:
    def test_the_room_shows_the_live_chain_status_and_records_each_view(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """'intact up to event N, head hash …' computed now; opening the page is itself an audit event."""
        sign_in(client, demo, smtp_server, AUDITOR)
        before = count(demo, "auditor_page_viewed")
        page = client.get("/audit")
        assert page.status_code == 200
        assert "Chaîne intacte jusqu&#39;à l&#39;événement n°" in page.text or "Chaîne intacte" in page.text
        with demo.uow() as uow:
            head = (
                uow.session.execute(select(AuditEventRow).order_by(AuditEventRow.seq.desc()))
                .scalars()
                .first()
            )  # type: ignore[attr-defined]
            assert head is not None
            assert head.hash in page.text
        assert count(demo, "auditor_page_viewed") == before + 1
        client.get(f"/audit/communications/{routed.communication_id}")
        assert count(demo, "auditor_page_viewed") == before + 2

    def test_the_history_filters_by_convention_party_state_and_period(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """A state nobody is in empties the list; the right one keeps the communication; a past period hides it."""
        sign_in(client, demo, smtp_server, AUDITOR)
        title = "Affiche « Semaine de l&#39;assiduité »"
        assert title in client.get("/audit?convention=demo-absenteisme-75&party=caf&state=awaiting").text
        assert title not in client.get("/audit?state=objected").text
        assert title not in client.get("/audit?from=2020-01-01&to=2020-12-31").text
        events_for_caf = client.get("/audit?party=caf").text
        assert "request_delivered" in events_for_caf and "draft_submitted" not in events_for_caf

    def test_auditors_change_nothing_and_officers_do_not_enter(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """The auditor has no desk (403); an officer has no room (403)."""
        sign_in(client, demo, smtp_server, AUDITOR)
        assert client.get("/desk").status_code == 403
        assert client.post("/desk/new", headers={"origin": ORIGIN}).status_code == 403
        officer = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        sign_in(officer, demo, smtp_server, OFFICER)
        assert officer.get("/audit").status_code == 403


class TestExports:
    def test_the_trail_exports_as_jsonl_and_csv_with_every_event(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """Attachments with the hashes; JSONL lines parse; CSV has the documented columns."""
        sign_in(client, demo, smtp_server, AUDITOR)
        jsonl = client.get("/audit/export.jsonl")
        assert jsonl.status_code == 200 and "attachment" in jsonl.headers["content-disposition"]
        lines = [json.loads(line) for line in jsonl.text.splitlines()]
        assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
        assert all(len(e["hash"]) == 64 for e in lines)
        rows = list(csv.DictReader(io.StringIO(client.get("/audit/export.csv").text)))
        assert rows[0]["seq"] == "1" and "prev_hash" in rows[0]
        assert len(rows) >= len(lines)  # the CSV export is itself recorded first

    def test_an_export_withholds_every_payload_outside_the_auditors_conventions(
        self,
        client: TestClient,
        demo: AppContext,
        smtp_server: SmtpTestServer,
        routed: Routed,
        tmp_path: Path,
    ) -> None:
        """Sign-ins and page views belong to no convention and carry addresses and queries: withheld, as the
        events of another convention are; the audited convention keeps its payloads; the bundle verifies."""
        officer = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        sign_in(officer, demo, smtp_server, OFFICER)
        sign_in(client, demo, smtp_server, AUDITOR)
        client.get("/audit?party=caf")
        with demo.uow() as uow:
            record(
                uow.session,
                demo.clock,
                "decision_recorded",
                AuditRefs(convention_id="another-convention"),
                {"comment": "confidential remark"},
            )
            uow.commit()
        text = client.get("/audit/export.jsonl").text
        lines = [json.loads(line) for line in text.splitlines()]
        outside = [e for e in lines if e["convention_id"] != "demo-absenteisme-75"]
        assert {"web_signed_in", "auditor_page_viewed", "decision_recorded"} <= {e["kind"] for e in outside}
        assert all(e["payload"] is None and e["payload_withheld"] is True for e in outside)
        assert "party=caf" not in text and "confidential remark" not in text
        assert not any(e["kind"] == "web_signed_in" and OFFICER in json.dumps(e) for e in lines)
        inside = [e for e in lines if e["convention_id"] == "demo-absenteisme-75"]
        assert inside and all(e["payload"] is not None and "payload_withheld" not in e for e in inside)

        rows = list(csv.DictReader(io.StringIO(client.get("/audit/export.csv").text)))
        assert all(r["payload"] == "null" for r in rows if r["convention_id"] != "demo-absenteisme-75")
        assert "payload_withheld" not in rows[0]

        bundle = tmp_path / "auditor.jsonl"
        bundle.write_text(text, encoding="utf-8")
        verifier = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"
        checked = subprocess.run(
            [sys.executable, "-I", "-S", str(verifier), str(bundle), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        report = json.loads(checked.stdout)
        assert (report["payloads_withheld"], report["payloads_erased"]) == (len(outside), 0)


class TestCertificates:
    def test_the_approval_certificate_states_each_partys_decision_and_how(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """Explicit answers with who and when; the silent party by silence with the deadline rule; hashes."""
        cleared_by_silence(client, demo, routed)
        sign_in(client, demo, smtp_server, AUDITOR)
        response = client.get(f"/audit/communications/{routed.communication_id}/certificate.pdf")
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.content)
        assert "Certificat d'approbation" in text
        assert "silence valant accord" in text and "réponse expresse" in text
        assert "communication@dsden.example.org" in text
        assert "Merci de citer la préfecture" in text
        assert "cpc" in text and "Europe/Paris" in text
        with demo.uow() as uow:
            sha = uow.session.execute(select(RequestRow)).scalars().first()
            assert sha is not None
        assert "decision_recorded" in text and "deemed_approved" in text

    def test_a_silent_party_gets_an_attestation_of_approval_by_silence(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """The attestation explains the deadline computation; a party that answered gets none (404)."""
        cleared_by_silence(client, demo, routed)
        sign_in(client, demo, smtp_server, AUDITOR)
        with demo.uow() as uow:
            by_party = {r.party_id: r.id for r in uow.session.execute(select(RequestRow)).scalars()}
        page = client.get(f"/audit/communications/{routed.communication_id}")
        assert f"/audit/requests/{by_party['caf']}/attestation.pdf" in page.text
        response = client.get(f"/audit/requests/{by_party['caf']}/attestation.pdf")
        assert response.status_code == 200
        text = pdf_text(response.content)
        assert "Attestation d'accord tacite" in text and "Caisse d'allocations familiales" in text
        assert "n'est pas compté" in text and "Échéance" in text
        assert client.get(f"/audit/requests/{by_party['dsden']}/attestation.pdf").status_code == 404


def test_the_certificate_is_written_in_english_on_request(
    client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed, tmp_path: Path
) -> None:
    """?lang=en gives the English certificate."""
    sign_in(client, demo, smtp_server, AUDITOR)
    response = client.get(f"/audit/communications/{routed.communication_id}/certificate.pdf?lang=en")
    assert "The parties' answers" in pdf_text(response.content)
