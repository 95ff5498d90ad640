"""The officers' desk over HTTP: one-time sign-in links, uploads, the logo report, overrides, board, resend."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select

from comms_approval.adapters.db.tables import RequestRow, SigninLinkRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.logos import LogoStatus
from comms_approval.web.app import create_app
from tests.e2e.conftest import OFFICER, ORIGIN, PARTNERS, form_nonce, nonce_of, sign_in, signin_token
from tests.e2e.fakes import FakeMentionFinder
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, body_of, correct_approvers, dispatch, make_draft


def upload(
    client: TestClient,
    path: Path,
    *,
    title: str = "Dépliant « Assiduité »",
    party: str = "departement",
    url: str = "/desk/new",
    origin: str = ORIGIN,
    content_type: str = "image/png",
):  # type: ignore[no-untyped-def]
    form_page = client.get("/desk/new" if url == "/desk/new" else url.rsplit("/versions", 1)[0])
    data = {"nonce": form_nonce(form_page.text, url), "title": title, "party": f"demo-absenteisme-75/{party}"}
    with path.open("rb") as handle:
        return client.post(
            url, data=data, files={"file": (path.name, handle, content_type)}, headers={"origin": origin}
        )


def statuses(ctx: AppContext) -> dict[str, str]:
    with ctx.uow() as uow:
        return {r.party_id: r.status for r in uow.session.execute(select(RequestRow)).scalars()}


class TestSignIn:
    def test_a_declared_officer_signs_in_with_a_one_time_link(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """Ask, receive the mail, confirm: a secure, HTTP-only, SameSite session cookie; the link works once."""
        page = client.get("/signin")
        sent = client.post(
            "/signin", data={"nonce": nonce_of(page.text), "email": OFFICER}, headers={"origin": ORIGIN}
        )
        assert "Vérifiez votre messagerie" in sent.text
        dispatch(demo, smtp_server)
        token = signin_token(smtp_server, OFFICER)
        for _ in range(2):  # a mail scanner may open the link: nothing is consumed by a GET
            confirm = client.get(f"/signin/{token}")
            assert confirm.status_code == 200 and "Me connecter" in confirm.text
        done = client.post(
            f"/signin/{token}", data={"nonce": nonce_of(confirm.text)}, headers={"origin": ORIGIN}
        )
        assert done.status_code == 303 and done.headers["location"] == "/desk"
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert client.get("/desk").status_code == 200
        again = client.post(
            f"/signin/{token}", data={"nonce": nonce_of(confirm.text)}, headers={"origin": ORIGIN}
        )
        assert again.status_code == 404
        with demo.uow() as uow:
            stored = uow.session.execute(select(SigninLinkRow)).scalar_one()
            assert token not in stored.token_hash and stored.used_at is not None

    def test_an_undeclared_address_gets_the_same_answer_and_no_mail(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """No enumeration: the page reads the same; nothing is sent."""
        page = client.get("/signin")
        sent = client.post(
            "/signin",
            data={"nonce": nonce_of(page.text), "email": "curieux@example.org"},
            headers={"origin": ORIGIN},
        )
        assert sent.status_code == 200 and "Vérifiez votre messagerie" in sent.text
        dispatch(demo, smtp_server)
        assert smtp_server.received_messages() == []

    def test_the_desk_needs_a_session_and_sign_out_ends_it(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """Anonymous visitors are sent to the sign-in page; after sign-out the old cookie is worthless."""
        assert client.get("/desk").headers["location"] == "/signin"
        sign_in(client, demo, smtp_server, OFFICER)
        cookie = client.cookies.get("ca_session")
        desk = client.get("/desk")
        out = client.post(
            "/signout", data={"nonce": form_nonce(desk.text, "/signout")}, headers={"origin": ORIGIN}
        )
        assert out.status_code == 303
        replay = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        replay.cookies.set("ca_session", cookie or "")
        assert replay.get("/desk").status_code == 303


class TestUpload:
    def test_an_upload_is_checked_routed_and_shown_on_the_board(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """303 to the report; every logo present; the four partners asked; the board lists them."""
        sign_in(client, demo, smtp_server, OFFICER)
        response = upload(client, make_draft(tmp_path))
        assert response.status_code == 303
        report = client.get(response.headers["location"])
        assert "Tous les logos sont présents" in report.text
        assert report.text.count("badge--ok") >= 5
        version_id = response.headers["location"].rsplit("/", 1)[-1]
        assert client.get(f"/v/{version_id}/annotated/1.png").headers["content-type"] == "image/png"
        assert sorted(statuses(demo)) == ["caf", "dsden", "dtpjj", "prefet"]
        board = client.get("/desk").text
        assert "Dépliant « Assiduité »" in board and "Envoi en cours" in board

    def test_a_file_whose_content_is_not_what_its_name_says_is_refused(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The type is judged by content: a text file called .pdf gets a clear French error."""
        sign_in(client, demo, smtp_server, OFFICER)
        fake = tmp_path / "affiche.pdf"
        fake.write_text("ceci n'est pas un PDF")
        response = upload(client, fake, content_type="application/pdf")
        assert response.status_code == 422
        assert "n’est pas un document PDF, PNG, JPEG ou WebP" in response.text
        assert statuses(demo) == {}

    def test_an_upload_over_the_size_limit_is_stopped(
        self, demo: AppContext, checker: FakeLogoChecker, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """413 with the limit in words; nothing stored."""
        demo.settings.max_upload_bytes = 20_000
        client = TestClient(
            create_app(demo, logo_checker=checker, find_mentions=FakeMentionFinder()),
            base_url=ORIGIN,
            follow_redirects=False,
        )
        sign_in(client, demo, smtp_server, OFFICER)
        big = tmp_path / "big.png"
        big.write_bytes(make_draft(tmp_path).read_bytes() + b"\0" * 200_000)
        response = upload(client, big)
        assert response.status_code == 413
        assert "dépasse la taille autorisée" in response.text
        assert not list(demo.settings.documents_dir.rglob("*.png"))

    def test_a_streamed_upload_without_a_declared_length_is_cut_off_at_the_limit(self) -> None:
        """Chunked body, no Content-Length: the limit is enforced while receiving, long before the end."""
        import anyio
        import pytest
        from starlette.requests import Request

        from comms_approval.web.officers import UploadTooLarge, _read_limited_form

        received = 0

        async def receive() -> dict[str, object]:
            nonlocal received
            received += 1
            if received == 1:
                head = (
                    b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                    b"Content-Type: image/png\r\n\r\n"
                )
                return {"type": "http.request", "body": head, "more_body": True}
            return {"type": "http.request", "body": b"\0" * 32_000, "more_body": received < 200}

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/desk/new",
            "headers": [(b"content-type", b"multipart/form-data; boundary=XyZ")],
            "query_string": b"",
        }

        async def read() -> None:
            await _read_limited_form(Request(scope, receive), 50_000)

        with pytest.raises(UploadTooLarge):
            anyio.run(read)
        assert received < 10  # 6.4 MB offered, about 100 kB read

    def test_an_upload_from_another_site_is_refused(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """Same-origin check on the desk too."""
        sign_in(client, demo, smtp_server, OFFICER)
        assert upload(client, make_draft(tmp_path), origin="https://evil.example").status_code == 403
        assert statuses(demo) == {}

    def test_an_officer_cannot_submit_for_another_party(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """A forged party field is refused (the Département officer is not a CAF officer)."""
        sign_in(client, demo, smtp_server, OFFICER)
        assert upload(client, make_draft(tmp_path), party="caf").status_code == 403
        assert statuses(demo) == {}


class TestReportAndOverride:
    def test_a_failed_check_is_not_routed_until_a_justified_override(
        self, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The report names the missing logo; a short justification is refused; a real one routes the version."""
        checker = FakeLogoChecker({"caf": LogoStatus.UNCERTAIN})
        client = TestClient(
            create_app(demo, logo_checker=checker, find_mentions=FakeMentionFinder()),
            base_url=ORIGIN,
            follow_redirects=False,
        )
        sign_in(client, demo, smtp_server, OFFICER)
        location = upload(client, make_draft(tmp_path)).headers["location"]
        report = client.get(location)
        assert "À confirmer" in report.text
        assert "pas été transmise" in report.text
        assert statuses(demo) == {}
        nonce = form_nonce(report.text, f"{location}/overrides")
        short = client.post(
            f"{location}/overrides",
            data={"nonce": nonce, "party": "caf", "justification": "ok"},
            headers={"origin": ORIGIN},
        )
        assert short.status_code == 422
        done = client.post(
            f"{location}/overrides",
            headers={"origin": ORIGIN},
            data={
                "nonce": nonce,
                "party": "caf",
                "justification": "Le logo de la Caf figure en pied de page, en blanc sur fond bleu.",
            },
        )
        assert done.status_code == 303
        assert "La dérogation a été enregistrée" in client.get(done.headers["location"]).text
        assert sorted(statuses(demo)) == ["caf", "dsden", "dtpjj", "prefet"]


class TestBoardAndNewVersion:
    def test_a_new_version_supersedes_the_old_and_the_board_shows_decisions(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """An objection with its reason appears on the communication page; a new version asks everyone again."""
        from tests.e2e.conftest import route_draft

        sign_in(client, demo, smtp_server, OFFICER)
        checker: FakeLogoChecker = client.app.state.logo_checker  # type: ignore[attr-defined]
        routed = route_draft(demo, checker, smtp_server, tmp_path / "v1")
        partner = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        review = partner.get(f"/r/{routed.tokens['dtpjj']}")
        partner.post(
            f"/r/{routed.tokens['dtpjj']}",
            headers={"origin": ORIGIN},
            data={
                "nonce": nonce_of(review.text),
                "decision": "object",
                "text": "Le logo de la PJJ est l'ancien.",
            },
        )
        page = client.get(f"/desk/communications/{routed.communication_id}")
        assert "Bloquée par une objection" in page.text and "Le logo de la PJJ est l&#39;ancien." in page.text
        response = upload(
            client,
            make_draft(tmp_path / "v2", colour="#e8eef8"),
            url=f"/desk/communications/{routed.communication_id}/versions",
        )
        assert response.status_code == 303
        page = client.get(f"/desk/communications/{routed.communication_id}").text
        assert "Version 2" in page and "En consultation" in page

    def test_a_bad_new_version_comes_back_with_a_clear_error(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The same form, for this communication, with the reason; the current version is untouched."""
        from tests.e2e.conftest import route_draft

        sign_in(client, demo, smtp_server, OFFICER)
        checker: FakeLogoChecker = client.app.state.logo_checker  # type: ignore[attr-defined]
        routed = route_draft(demo, checker, smtp_server, tmp_path / "v1")
        broken = tmp_path / "v2.png"
        broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"tronque")
        response = upload(client, broken, url=f"/desk/communications/{routed.communication_id}/versions")
        assert response.status_code == 422
        assert f'action="/desk/communications/{routed.communication_id}/versions"' in response.text
        assert 'role="alert"' in response.text
        assert "Version 2" not in client.get(f"/desk/communications/{routed.communication_id}").text


class TestResend:
    def test_an_undeliverable_request_is_resent_to_a_corrected_address(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """550 for the CAF: the board says so, the officer corrects the address, a new mail goes out."""
        from comms_approval.services.submission import submit_draft

        smtp_server.refuse_recipient(PARTNERS["caf"])
        sign_in(client, demo, smtp_server, OFFICER)
        checker: FakeLogoChecker = client.app.state.logo_checker  # type: ignore[attr-defined]
        result = submit_draft(
            demo,
            checker,
            convention_id="demo-absenteisme-75",
            party_id="departement",
            title="Affiche",
            file=make_draft(tmp_path),
            officer_email=OFFICER,
        )
        dispatch(demo, smtp_server)
        assert statuses(demo)["caf"] == "undeliverable"
        page = client.get(f"/desk/communications/{result.communication_id}")
        assert "Non remise" in page.text and "Renvoyer" in page.text
        # the officer's alert links to that same page
        dispatch(demo, smtp_server)
        alerts = [
            m for m in smtp_server.messages_to(OFFICER) if "Demande non remise" in str(m.message["Subject"])
        ]
        assert alerts, "no delivery alert reached the officer"
        link = re.search(r"https?://[^\s\"'<>]+/communications/\d+", body_of(alerts[-1]))
        assert link
        assert client.get(urlsplit(link.group(0)).path).status_code == 200
        action = re.search(r'action="(/desk/requests/\d+/resend)"', page.text)
        assert action
        nonce = re.search(r'name="nonce" value="([^"]+)">\s*<p class="hint">Le courriel', page.text)
        assert nonce
        refused = client.post(
            action.group(1),
            headers={"origin": ORIGIN},
            data={"nonce": nonce.group(1), "addresses": OFFICER},  # the officer's own address: refused
        )
        assert refused.status_code == 422
        assert "n’est pas celle d’une personne habilitée à donner l’accord" in refused.text
        correct_approvers(demo, tmp_path, "caf", ["secretariat@caf.example.org"])
        done = client.post(
            action.group(1),
            headers={"origin": ORIGIN},
            data={"nonce": nonce.group(1), "addresses": "secretariat@caf.example.org"},
        )
        assert done.status_code == 303
        smtp_server.reset()
        dispatch(demo, smtp_server)
        assert smtp_server.messages_to("secretariat@caf.example.org")
        assert statuses(demo)["caf"] == "awaiting"
