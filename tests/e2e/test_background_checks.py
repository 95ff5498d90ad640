"""A long draft over HTTP: the upload answers at once, the version page follows the check until its report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comms_approval.adapters.db.tables import RequestRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.errors import DocumentError
from comms_approval.services.submission import AcceptedDraft, accept_draft, claim_check, pending_checks
from comms_approval.web.app import create_app
from tests.e2e.conftest import OFFICER, ORIGIN, sign_in
from tests.e2e.fakes import FakeMentionFinder
from tests.e2e.test_officer_desk import upload
from tests.integration.hostile import files
from tests.integration.workflow.test_background_check import RaisingChecker
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, GatedChecker, body_of, dispatch


def accept_brochure(ctx: AppContext, folder: Path) -> AcceptedDraft:
    """A 6-page brochure accepted, its check not started (as a process that died would leave it)."""
    return accept_draft(
        ctx,
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title="Brochure",
        file=files.real_pdf(folder / "brochure.pdf", pages=6),
        officer_email=OFFICER,
    )


def asked(ctx: AppContext) -> list[str]:
    with ctx.uow(read_only=True) as uow:
        return sorted(uow.session.execute(select(RequestRow.party_id)).scalars())


def status_of(ctx: AppContext, version_id: int) -> str:
    with ctx.uow(read_only=True) as uow:
        row = uow.session.get(VersionRow, version_id)
        assert row is not None
        return row.status


@pytest.fixture
def short_inline(demo: AppContext) -> AppContext:
    """Drafts of more than two pages are checked apart (the default is four)."""
    demo.settings.inline_check_max_pages = 2
    return demo


def client_for(ctx: AppContext, checker: object) -> TestClient:
    app = create_app(ctx, logo_checker=checker, find_mentions=FakeMentionFinder())  # type: ignore[arg-type]
    return TestClient(app, base_url=ORIGIN, follow_redirects=False)


@pytest.fixture
def gated() -> Iterator[GatedChecker]:
    checker = GatedChecker()
    yield checker
    checker.gate.set()  # never leave a worker thread waiting


@pytest.fixture
def slow_client(short_inline: AppContext, gated: GatedChecker) -> Iterator[TestClient]:
    with client_for(short_inline, gated) as client:
        yield client


class TestLongDrafts:
    def test_the_upload_answers_before_the_check_and_the_page_follows_it_to_the_report(
        self,
        slow_client: TestClient,
        gated: GatedChecker,
        short_inline: AppContext,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        sign_in(slow_client, short_inline, smtp_server, OFFICER)
        form = slow_client.get("/desk/new").text
        assert (
            "200 pages au plus. Au-delà de 2 pages, le contrôle des logos se poursuit après l’envoi" in form
        )
        brochure = files.real_pdf(tmp_path / "brochure.pdf", pages=6)
        response = upload(slow_client, brochure, content_type="application/pdf")
        assert response.status_code == 303
        version_id = int(response.headers["location"].rsplit("/", 1)[-1])
        waiting = slow_client.get(response.headers["location"])
        assert "Contrôle des logos en cours" in waiting.text
        assert "Le document compte 6 pages" in waiting.text
        assert f'data-check-status="/desk/versions/{version_id}/check"' in waiting.text
        assert slow_client.get(f"/desk/versions/{version_id}/check").json() == {
            "checking": True,
            "status": "checking",
            "progress": None,
        }
        assert "Démarrage du contrôle…" in waiting.text
        assert 'id="h-annotated"' not in waiting.text
        assert slow_client.get(f"/v/{version_id}/annotated/1.png").status_code == 404
        assert asked(short_inline) == []
        assert "Contrôle en cours" in slow_client.get("/desk").text

        gated.gate.set()
        slow_client.app.state.checks.wait()  # type: ignore[attr-defined]
        done = slow_client.get(response.headers["location"])
        assert "Tous les logos sont présents" in done.text
        assert "data-check-status" not in done.text
        assert slow_client.get(f"/desk/versions/{version_id}/check").json() == {
            "checking": False,
            "status": "routing",
            "progress": None,
        }
        assert asked(short_inline) == ["caf", "dsden", "dtpjj", "prefet"]
        # the officer may have left the page: a mail says how the check ended and links back to it
        dispatch(short_inline, smtp_server)
        told = [
            m for m in smtp_server.messages_to(OFFICER) if "Contrôle terminé" in str(m.message["Subject"])
        ]
        assert len(told) == 1
        link = re.search(r"https?://[^\s\"'<>]+/desk/versions/\d+", body_of(told[0]))
        assert link and urlsplit(link.group(0)).path == response.headers["location"]
        assert "Tous les logos sont présents" in slow_client.get(urlsplit(link.group(0)).path).text

    def test_a_short_draft_is_still_checked_within_the_upload(
        self,
        slow_client: TestClient,
        gated: GatedChecker,
        short_inline: AppContext,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        gated.gate.set()
        sign_in(slow_client, short_inline, smtp_server, OFFICER)
        response = upload(
            slow_client, files.real_pdf(tmp_path / "affiche.pdf", pages=2), content_type="application/pdf"
        )
        assert "Tous les logos sont présents" in slow_client.get(response.headers["location"]).text
        assert asked(short_inline) == ["caf", "dsden", "dtpjj", "prefet"]
        dispatch(short_inline, smtp_server)
        assert not [m for m in smtp_server.messages_to(OFFICER) if "Contrôle" in str(m.message["Subject"])]

    def test_a_check_that_could_not_run_says_why_in_french_and_in_english(
        self, short_inline: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        checker = RaisingChecker(DocumentError("page 5 is corrupt", "la page 5 est endommagée"))
        with client_for(short_inline, checker) as client:
            sign_in(client, short_inline, smtp_server, OFFICER)
            response = upload(
                client, files.real_pdf(tmp_path / "brochure.pdf", pages=6), content_type="application/pdf"
            )
            client.app.state.checks.wait()  # type: ignore[attr-defined]
            page = client.get(response.headers["location"])
            assert "Le contrôle des logos n&#39;a pas pu être mené (la page 5 est endommagée)" in page.text
            assert "Enregistrer une dérogation" not in page.text
            english = client.get(response.headers["location"] + "?lang=en")
            assert "The logo check could not be carried out (page 5 is corrupt)" in english.text
        assert asked(short_inline) == []

    def test_a_web_process_set_to_run_no_checks_leaves_them_pending_for_the_workers(
        self, short_inline: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """COMMS_APPROVAL_BACKGROUND_CHECK_WORKERS=0: the `check-drafts` flow takes them (tests/integration/flows)."""
        short_inline.settings.background_check_workers = 0
        checker = FakeLogoChecker()
        with client_for(short_inline, checker) as client:
            sign_in(client, short_inline, smtp_server, OFFICER)
            response = upload(
                client, files.real_pdf(tmp_path / "brochure.pdf", pages=6), content_type="application/pdf"
            )
            version_id = int(response.headers["location"].rsplit("/", 1)[-1])
            assert client.get(f"/desk/versions/{version_id}/check").json()["checking"] is True
            client.app.state.checks.wait()  # type: ignore[attr-defined]
        assert checker.calls == 0 and status_of(short_inline, version_id) == "checking"
        assert pending_checks(short_inline) == [version_id]


class TestResumed:
    def test_a_check_left_by_a_dead_process_is_taken_up_when_the_app_starts(
        self, short_inline: AppContext, tmp_path: Path
    ) -> None:
        accepted = accept_brochure(short_inline, tmp_path)
        with client_for(short_inline, FakeLogoChecker()) as client:
            client.app.state.checks.wait()  # type: ignore[attr-defined]
        assert status_of(short_inline, accepted.version_id) == "routing"
        assert asked(short_inline) == ["caf", "dsden", "dtpjj", "prefet"]

    def test_the_officers_page_takes_up_a_check_whose_claim_lapsed(
        self, short_inline: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The app was already up when the other process died: the page (or its poll) queues the check."""
        from datetime import timedelta

        from comms_approval.clock import ManualClock
        from comms_approval.services.submission import CHECK_LEASE

        with client_for(short_inline, FakeLogoChecker()) as client:
            accepted = accept_brochure(short_inline, tmp_path)
            assert claim_check(short_inline, accepted.version_id)  # held by a process that then dies
            sign_in(client, short_inline, smtp_server, OFFICER)
            location = f"/desk/versions/{accepted.version_id}"
            assert "Contrôle des logos en cours" in client.get(location).text
            client.app.state.checks.wait()  # type: ignore[attr-defined]
            assert status_of(short_inline, accepted.version_id) == "checking"  # the claim is still live
            clock = short_inline.clock
            assert isinstance(clock, ManualClock)
            clock.advance(CHECK_LEASE + timedelta(seconds=1))
            assert client.get(f"{location}/check").json()["checking"] is True  # the page's poll queues it
            client.app.state.checks.wait()  # type: ignore[attr-defined]
            assert "Tous les logos sont présents" in client.get(location).text
        assert asked(short_inline) == ["caf", "dsden", "dtpjj", "prefet"]

    def test_a_running_app_takes_up_a_check_whose_claim_lapsed_without_anyone_asking(
        self, short_inline: AppContext, tmp_path: Path
    ) -> None:
        """A restart killed a check mid-way: its lease was live when the app came back, and the officer, told
        to leave the page, never opens it. The app looks again while it runs."""
        import time
        from datetime import timedelta

        from comms_approval.clock import ManualClock
        from comms_approval.services.submission import CHECK_LEASE

        app = create_app(short_inline, logo_checker=FakeLogoChecker(), find_mentions=FakeMentionFinder())  # type: ignore[arg-type]
        app.state.checks.resume_every = 0.05
        accepted = accept_brochure(short_inline, tmp_path)
        assert claim_check(short_inline, accepted.version_id)  # held by the process the restart killed
        with TestClient(app, base_url=ORIGIN):
            time.sleep(0.2)
            assert status_of(short_inline, accepted.version_id) == "checking"  # its claim is still live
            clock = short_inline.clock
            assert isinstance(clock, ManualClock)
            clock.advance(CHECK_LEASE + timedelta(seconds=1))
            give_up = time.monotonic() + 10
            while status_of(short_inline, accepted.version_id) == "checking" and time.monotonic() < give_up:
                time.sleep(0.05)
            app.state.checks.wait()
        assert status_of(short_inline, accepted.version_id) == "routing"
        assert asked(short_inline) == ["caf", "dsden", "dtpjj", "prefet"]

    def test_the_check_status_needs_a_signed_in_officer(
        self, short_inline: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        accepted = accept_brochure(short_inline, tmp_path)
        with client_for(short_inline, FakeLogoChecker()) as client:
            assert (
                client.get(f"/desk/versions/{accepted.version_id}/check").status_code == 303
            )  # sign in first
            assert client.get("/desk/versions/999/check").status_code == 303
