"""The partner's review page over HTTP: GET never decides, POST decides once, safely, with the right headers."""

from __future__ import annotations

import logging
import re
import statistics
import threading
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comms_approval.adapters.db.tables import AuditEventRow, RequestRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.web.app import create_app
from tests.e2e.conftest import ORIGIN, PARTNERS, Routed, nonce_of, route_draft
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, body_of, dispatch


def events(ctx: AppContext, kind: str | None = None) -> int:
    with ctx.uow() as uow:
        query = select(func.count()).select_from(AuditEventRow)
        if kind:
            query = query.where(AuditEventRow.kind == kind)  # type: ignore[arg-type]
        return int(uow.session.execute(query).scalar_one())


def request_state(ctx: AppContext, party: str, version_id: int) -> str:
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(RequestRow).where(RequestRow.party_id == party, RequestRow.version_id == version_id)  # type: ignore[arg-type]
        ).scalar_one()
        return row.status


def post_decision(
    client: TestClient,
    token: str,
    decision: str,
    text: str = "",
    *,
    nonce: str | None = None,
    origin: str | None = ORIGIN,
    **headers: str,
):  # type: ignore[no-untyped-def]
    if nonce is None:
        nonce = nonce_of(client.get(f"/r/{token}").text)
    sent = {"origin": origin} if origin else {}
    sent.update(headers)
    return client.post(f"/r/{token}", data={"nonce": nonce, "decision": decision, "text": text}, headers=sent)


class TestShowingTheRequest:
    def test_the_page_says_who_asks_who_answers_what_and_until_when(
        self, client: TestClient, routed: Routed
    ) -> None:
        """Acting party and address, requesting party, version hash, deadline with the consequence of silence."""
        page = client.get(f"/r/{routed.tokens['caf']}")
        assert page.status_code == 200
        html = page.text
        assert '<html lang="fr">' in html
        assert "Vous répondez au nom de :" in html and "direction@caf.example.org" in html
        assert "Conseil départemental" in html and "com@departement.example.org" in html
        assert re.search(r"<code class=\"hash\">[0-9a-f]{64}</code>", html)
        assert "votre accord sera réputé acquis" in html and "à 24 h (heure de Paris)" in html
        assert "Il s&#39;agit de la première version" in html or "première version" in html

    def test_no_answer_is_preselected_and_nothing_submits_itself(
        self, client: TestClient, routed: Routed
    ) -> None:
        """Three choices, none checked, and a plain form (no auto-submit script)."""
        html = client.get(f"/r/{routed.tokens['caf']}").text
        radios = re.findall(r'<input type="radio"[^>]*>', html)
        assert len(radios) == 3
        assert not any("checked" in radio for radio in radios)
        assert ".submit()" not in html and "<script>" not in html

    def test_the_page_reads_in_english_on_request(self, client: TestClient, routed: Routed) -> None:
        """?lang=en and Accept-Language both switch the page to English; French stays the default."""
        token = routed.tokens["caf"]
        assert "You are answering on behalf of:" in client.get(f"/r/{token}?lang=en").text
        fresh = TestClient(client.app, base_url=ORIGIN)
        english = fresh.get(f"/r/{token}", headers={"accept-language": "en-GB,en;q=0.9"}).text
        assert '<html lang="en">' in english and "I object" in english
        assert "Je m&#39;oppose" in TestClient(client.app, base_url=ORIGIN).get(f"/r/{token}").text


class TestGetNeverDecides:
    def test_scanners_fetching_the_link_record_nothing(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """GET, HEAD and image fetches, repeated: no audit event, the request still awaits."""
        token = routed.tokens["dsden"]
        before = events(demo)
        for _ in range(3):
            assert client.get(f"/r/{token}").status_code == 200
            head = client.head(f"/r/{token}")
            assert head.status_code == 200 and head.content == b""
            assert client.get(f"/r/{token}/pages/1.png").status_code == 200
        assert events(demo) == before
        assert request_state(demo, "dsden", routed.version_id) == "awaiting"


class TestHeaders:
    def test_token_pages_send_the_safety_headers(self, client: TestClient, routed: Routed) -> None:
        """no-referrer, no-store, nosniff, strict CSP with frame-ancestors 'none' — on the page, HEAD and images."""
        token = routed.tokens["caf"]
        for response in (
            client.get(f"/r/{token}"),
            client.head(f"/r/{token}"),
            client.get(f"/r/{token}/pages/1.png"),
            client.get("/r/" + "x" * 43),
        ):
            headers = response.headers
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["cache-control"] == "no-store"
            assert headers["x-content-type-options"] == "nosniff"
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
            assert "unsafe-inline" not in csp and "http" not in csp

    def test_the_page_loads_nothing_from_third_parties(self, client: TestClient, routed: Routed) -> None:
        """Every src and href is local (same origin) or a fragment."""
        html = client.get(f"/r/{routed.tokens['caf']}").text
        urls = re.findall(r'(?:src|href|action)="([^"]*)"', html)
        assert urls
        assert all(url.startswith(("/", "#", "?")) for url in urls), urls


class TestDeciding:
    def test_an_approval_is_recorded_shown_read_only_and_acknowledged_by_mail(
        self, client: TestClient, demo: AppContext, routed: Routed, smtp_server: SmtpTestServer
    ) -> None:
        """303 to the same link, which then shows the recorded answer; the acknowledgement reaches the approver."""
        token = routed.tokens["caf"]
        response = post_decision(client, token, "approve")
        assert response.status_code == 303
        assert response.headers["location"].startswith(f"/r/{token}")
        assert request_state(demo, "caf", routed.version_id) == "approved"
        page = client.get(response.headers["location"]).text
        assert "Réponse « Accord » enregistrée" in page
        assert 'type="radio"' not in page
        smtp_server.reset()
        dispatch(demo, smtp_server)
        acknowledgements = smtp_server.messages_to(PARTNERS["caf"])
        assert len(acknowledgements) == 1
        assert "Accord" in body_of(acknowledgements[0]) or "accord" in body_of(acknowledgements[0])

    def test_a_replayed_post_records_nothing_new(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """The same answer posted twice (double click, back button) gives one decision event."""
        token = routed.tokens["dsden"]
        nonce = nonce_of(client.get(f"/r/{token}").text)
        first = post_decision(client, token, "approve_with_remarks", "Merci de grossir le logo.", nonce=nonce)
        second = post_decision(
            client, token, "approve_with_remarks", "Merci de grossir le logo.", nonce=nonce
        )
        assert first.status_code == second.status_code == 303
        assert events(demo, "decision_recorded") == 1

    def test_a_different_second_answer_is_refused_politely(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """409 with an explanation; the first answer stands."""
        token = routed.tokens["dsden"]
        nonce = nonce_of(client.get(f"/r/{token}").text)  # a second tab opened before the first answer
        assert post_decision(client, token, "approve", nonce=nonce).status_code == 303
        second = post_decision(client, token, "object", "Finalement non.", nonce=nonce)
        assert second.status_code == 409
        assert "ne peut pas être modifiée" in second.text
        assert request_state(demo, "dsden", routed.version_id) == "approved"
        assert events(demo, "decision_recorded") == 1

    def test_two_simultaneous_posts_record_one_decision(
        self, demo: AppContext, checker: FakeLogoChecker, routed: Routed
    ) -> None:
        """Two browsers post at the same instant: one decision, the other sees a replay or a polite refusal."""
        token = routed.tokens["prefet"]
        app = create_app(demo, logo_checker=checker)
        clients = [TestClient(app, base_url=ORIGIN, follow_redirects=False) for _ in range(2)]
        nonces = [nonce_of(c.get(f"/r/{token}").text) for c in clients]
        barrier = threading.Barrier(2)
        codes: list[int] = []

        def go(index: int, decision: str) -> None:
            barrier.wait()
            codes.append(
                post_decision(
                    clients[index], token, decision, "Motif : le logo est déformé.", nonce=nonces[index]
                ).status_code
            )

        threads = [
            threading.Thread(target=go, args=(0, "object")),
            threading.Thread(target=go, args=(1, "object")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(codes) == [303, 303]
        assert events(demo, "decision_recorded") == 1

    def test_an_objection_needs_a_reason(self, client: TestClient, demo: AppContext, routed: Routed) -> None:
        """No reason: 422 with the message, nothing recorded; the choice stays selected for the retry."""
        token = routed.tokens["dtpjj"]
        response = post_decision(client, token, "object", "   ")
        assert response.status_code == 422
        assert "motif de votre objection" in response.text
        assert re.search(r'value="object"[^>]*checked', response.text)
        assert events(demo, "decision_recorded") == 0

    def test_a_post_without_a_choice_is_refused(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """Nothing is assumed: an empty choice is an error, not an approval."""
        response = post_decision(client, routed.tokens["dtpjj"], "")
        assert response.status_code == 422
        assert events(demo, "decision_recorded") == 0

    def test_an_answer_after_the_deadline_is_refused(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """Silence already counts as approval: the late answer is refused and the page says so."""
        token = routed.tokens["caf"]
        nonce = nonce_of(client.get(f"/r/{token}").text)
        clock = demo.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(days=30))
        response = post_decision(client, token, "object", "Trop tard ?", nonce=nonce)
        assert response.status_code in (200, 409)
        assert "silence" in client.get(f"/r/{token}").text
        assert request_state(demo, "caf", routed.version_id) == "deemed_approved"


class TestForgedPosts:
    def test_a_cross_site_post_is_refused(self, client: TestClient, demo: AppContext, routed: Routed) -> None:
        """A foreign Origin, or Sec-Fetch-Site: cross-site, is refused even with a valid nonce."""
        token = routed.tokens["caf"]
        nonce = nonce_of(client.get(f"/r/{token}").text)
        foreign = post_decision(client, token, "approve", nonce=nonce, origin="https://evil.example")
        sneaky = post_decision(
            client, token, "approve", nonce=nonce, origin=None, **{"sec-fetch-site": "cross-site"}
        )
        null = post_decision(
            client, token, "approve", nonce=nonce, origin="null", **{"sec-fetch-site": "cross-site"}
        )
        assert foreign.status_code == sneaky.status_code == null.status_code == 403
        assert "ne provient pas de ce site" in foreign.text
        assert events(demo, "decision_recorded") == 0

    def test_a_same_origin_browser_post_with_a_null_origin_is_accepted(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """Chromium sends `Origin: null` under no-referrer, with Sec-Fetch-Site: same-origin: that is us."""
        response = post_decision(
            client, routed.tokens["caf"], "approve", origin="null", **{"sec-fetch-site": "same-origin"}
        )
        assert response.status_code == 303
        assert request_state(demo, "caf", routed.version_id) == "approved"

    def test_a_wrong_or_missing_nonce_is_refused(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """Forged, truncated and absent nonces are all refused; nothing is recorded."""
        token = routed.tokens["caf"]
        good = nonce_of(client.get(f"/r/{token}").text)
        # its last hex digit changed, always: a signature that happened to end in "00" once made the
        # "tampered" nonce the good one (1 run in 256)
        tampered = good[:-1] + ("1" if good.endswith("0") else "0")
        for nonce in ("", "123.abc.def", tampered, str(int(time.time())) + ".00.00"):
            assert post_decision(client, token, "approve", nonce=nonce).status_code == 403
        assert events(demo, "decision_recorded") == 0

    def test_a_nonce_from_another_link_does_not_work(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """The nonce is bound to its link: one partner's page cannot answer for another's."""
        foreign_nonce = nonce_of(client.get(f"/r/{routed.tokens['dsden']}").text)
        assert post_decision(client, routed.tokens["caf"], "approve", nonce=foreign_nonce).status_code == 403
        assert request_state(demo, "caf", routed.version_id) == "awaiting"


class TestClosedAndUnknownLinks:
    def test_links_of_a_superseded_version_are_gone(
        self,
        client: TestClient,
        demo: AppContext,
        checker: FakeLogoChecker,
        routed: Routed,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        """A new version withdraws the old requests: 410 on GET and POST, and the new link works."""
        old = routed.tokens["caf"]
        nonce = nonce_of(client.get(f"/r/{old}").text)
        smtp_server.reset()
        second = route_draft(
            demo,
            checker,
            smtp_server,
            tmp_path / "v2",
            communication_id=routed.communication_id,
            colour="#dfe8f5",
        )
        gone = client.get(f"/r/{old}")
        assert gone.status_code == 410
        assert "n&#39;est plus ouverte" in gone.text or "plus ouverte" in gone.text
        assert post_decision(client, old, "approve", nonce=nonce).status_code == 410
        fresh = client.get(f"/r/{second.tokens['caf']}")
        assert fresh.status_code == 200
        assert "Comparaison avec la version 1" in fresh.text
        assert client.get(f"/r/{second.tokens['caf']}/diff/1.png").headers["content-type"] == "image/png"

    def test_an_objection_closes_the_other_partners_links(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """The version is blocked at once: the objector still reads the answer, the others get 410."""
        assert (
            post_decision(
                client, routed.tokens["dtpjj"], "object", "Le logo de la PJJ est obsolète."
            ).status_code
            == 303
        )
        assert client.get(f"/r/{routed.tokens['dtpjj']}").status_code == 200
        assert client.get(f"/r/{routed.tokens['caf']}").status_code == 410

    def test_an_unknown_token_is_a_plain_404_as_slow_as_a_closed_link(
        self, client: TestClient, demo: AppContext, routed: Routed
    ) -> None:
        """404 without detail; its timing matches a 410 so response times do not reveal which links exist."""
        post_decision(client, routed.tokens["dtpjj"], "object", "Motif.")
        closed = routed.tokens["caf"]
        unknown = "A" * 43

        def timed(path: str, status: int) -> float:
            started = time.perf_counter()
            assert client.get(path).status_code == status
            return time.perf_counter() - started

        for _ in range(2):  # warm up
            timed(f"/r/{unknown}", 404)
            timed(f"/r/{closed}", 410)
        missing = statistics.median(timed(f"/r/{unknown}", 404) for _ in range(7))
        revoked = statistics.median(timed(f"/r/{closed}", 410) for _ in range(7))
        assert abs(missing - revoked) < 0.025, (missing, revoked)
        body = client.get(f"/r/{unknown}").text
        assert "Page introuvable" in body and "Conseil" not in body
        assert client.get("/r/short").status_code == 404


class TestLogs:
    def test_access_log_lines_never_show_a_token(self, client: TestClient, routed: Routed, caplog) -> None:  # type: ignore[no-untyped-def]
        """The app installs a filter on uvicorn's access logger that masks review and sign-in tokens."""
        token = routed.tokens["caf"]
        logger = logging.getLogger("uvicorn.access")
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/r/{token}?done=1", "1.1", 200)
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/signin/{token}", "1.1", 200)
        assert token not in caplog.text
        assert "/r/[redacted]?done=1" in caplog.text and "/signin/[redacted]" in caplog.text

    def test_a_real_uvicorn_access_log_shows_no_token(
        self,
        demo: AppContext,
        checker: FakeLogoChecker,
        routed: Routed,
        capfd,  # type: ignore[no-untyped-def]
    ) -> None:
        """uvicorn with its own logging set-up and access log on: the line is written, the token is not."""
        import socket

        import httpx
        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        app = create_app(demo, logo_checker=checker)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", lifespan="off")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            for _ in range(200):
                if server.started:
                    break
                time.sleep(0.02)
            token = routed.tokens["caf"]
            assert httpx.get(f"http://127.0.0.1:{port}/r/{token}").status_code == 200
            time.sleep(0.1)
        finally:
            server.should_exit = True
            thread.join(5)
        out, err = capfd.readouterr()
        assert "GET /r/[redacted] HTTP/1.1" in out + err
        assert token not in out + err
