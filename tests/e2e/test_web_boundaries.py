"""The web layer's edges: revoked links, cached drawings per version, same-site links, huge ids, long titles, and
what the officers of a party that left still see."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from comms_approval.adapters.db.tables import OutboxRow, RequestRow
from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.logos import LogoStatus
from comms_approval.services.delivery import resend_request
from comms_approval.services.lifecycle import record_termination
from comms_approval.services.submission import submit_draft
from tests.e2e.conftest import AUDITOR, OFFICER, PARTNERS, Routed, nonce_of, sign_in
from tests.e2e.test_officer_desk import upload
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, dispatch, make_draft, tokens_for

CONVENTION = "demo-absenteisme-75"
DSDEN_OFFICER = "charge.com@dsden.example.org"
PARIS = ZoneInfo("Europe/Paris")


def submit(ctx: AppContext, checker: FakeLogoChecker, draft: Path, title: str = "Affiche") -> int:
    result = submit_draft(
        ctx,
        checker,
        convention_id=CONVENTION,
        party_id="departement",
        title=title,
        file=draft,
        officer_email=OFFICER,
    )
    return result.version_id


def digest(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    return hashlib.sha256(response.content).hexdigest()


class TestRevokedLinks:
    def test_a_revoked_link_stays_gone_after_its_request_is_decided(
        self,
        client: TestClient,
        demo: AppContext,
        checker: FakeLogoChecker,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        """A resend revokes the first links (they went where the mail was refused, maybe to a wrong address):
        once the new link answers, the old one must not show the draft again (Article 6), page nor images."""
        smtp_server.refuse_recipient(PARTNERS["caf"])
        submit(demo, checker, make_draft(tmp_path))
        dispatch(demo, smtp_server)
        with demo.uow() as uow:
            mails = [
                o.body_text
                for o in uow.session.execute(select(OutboxRow)).scalars()
                if o.recipient == PARTNERS["caf"]
            ]
            request_id = next(
                r.id for r in uow.session.execute(select(RequestRow)).scalars() if r.party_id == "caf"
            )
        old = re.findall(r"/r/([A-Za-z0-9_-]{30,64})", " ".join(mails))[-1]
        assert client.get(f"/r/{old}").status_code == 200
        smtp_server.clear_faults()
        resend_request(demo, request_id=request_id or 0, officer_email=OFFICER)
        dispatch(demo, smtp_server)
        new = tokens_for(smtp_server.received_messages(), PARTNERS["caf"])[-1]
        assert new != old and client.get(f"/r/{old}").status_code == 410
        answer = client.post(
            f"/r/{new}",
            data={"nonce": nonce_of(client.get(f"/r/{new}").text), "decision": "approve", "text": ""},
            headers={"origin": "http://testserver"},
        )
        assert answer.status_code == 303
        assert client.get(f"/r/{new}").status_code == 200  # the answering link still shows its answer
        assert client.get(f"/r/{old}").status_code == 410
        assert client.get(f"/r/{old}/pages/1.png").status_code == 410
        assert client.get(f"/r/{old}/annotated/1.png").status_code == 410


class TestAnnotatedImages:
    def test_two_versions_of_one_file_show_each_its_own_logo_report(
        self,
        client: TestClient,
        demo: AppContext,
        checker: FakeLogoChecker,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
    ) -> None:
        """The same file checked twice (another communication, or after a logo changed) can get another report:
        each version's annotated pages draw its own findings, not those of the first version drawn."""
        draft = make_draft(tmp_path)
        first = submit(demo, checker, draft, "Tout est là")
        sign_in(client, demo, smtp_server, OFFICER)
        drawn_first = digest(client.get(f"/v/{first}/annotated/1.png"))
        checker.statuses = {"caf": LogoStatus.MISSING, "dsden": LogoStatus.MISSING}
        second = submit(demo, checker, draft, "Deux logos manquent")
        drawn_second = digest(client.get(f"/v/{second}/annotated/1.png"))
        assert drawn_second != drawn_first
        assert digest(client.get(f"/v/{first}/annotated/1.png")) == drawn_first  # each keeps its own


class TestSameSiteLinks:
    def test_the_language_switch_never_points_to_another_site(self, client: TestClient) -> None:
        """`GET //evil.example/x` is a 404 page of ours; its language link must not become `//evil.example/...`,
        which a browser reads as another site."""
        page = client.get("http://testserver//evil.example/x?lang=fr")
        assert page.status_code == 404
        found = re.search(r'class="lang" href="([^"]+)"', page.text)
        assert found and found.group(1) == "?lang=en"
        assert "//evil.example" not in found.group(1)
        assert re.search(r'class="lang" href="\?lang=fr&amp;q=1"', client.get("/signin?lang=en&q=1").text)


class TestHugeIds:
    BIG = "99999999999999999999999"

    def test_ids_beyond_any_row_are_unknown_not_a_crash(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, routed: Routed
    ) -> None:
        """A number larger than the database can compare used to raise OverflowError (a bare 500): every route
        taking an integer id answers 404, as for any unknown id, the officers', the auditors' and the links'."""
        big = self.BIG
        sign_in(client, demo, smtp_server, OFFICER)
        for url in (
            f"/desk/versions/{big}",
            f"/desk/versions/{big}/check",
            f"/desk/communications/{big}",
            f"/v/{big}/pages/1.png",
            f"/v/{routed.version_id}/pages/{big}.png",
            f"/r/{routed.tokens['caf']}/pages/{big}.png",
            f"/desk/versions/-{big}",
        ):
            assert client.get(url).status_code == 404, url
        for url in (f"/desk/versions/{big}/overrides", f"/desk/requests/{big}/resend"):
            assert client.post(url, headers={"origin": "http://testserver"}).status_code == 404, url
        client.cookies.clear()
        sign_in(client, demo, smtp_server, AUDITOR)
        for url in (
            f"/audit/communications/{big}",
            f"/audit/communications/{big}/certificate.pdf",
            f"/audit/requests/{big}/attestation.pdf",
        ):
            assert client.get(url).status_code == 404, url
        assert client.get(f"/audit/communications/{routed.communication_id}").status_code == 200


class TestTitles:
    def test_a_title_over_300_characters_is_refused_with_a_clear_message(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer, tmp_path: Path
    ) -> None:
        """The field's maxlength binds only browsers; the title goes into every mail subject and page, so the
        server refuses a longer one, in French or English, and stores nothing; 300 characters pass."""
        sign_in(client, demo, smtp_server, OFFICER)
        draft = make_draft(tmp_path)
        refused = upload(client, draft, title="A" * 301)
        assert refused.status_code == 422
        assert "Le titre dépasse 300 caractères" in refused.text
        assert 'maxlength="300"' in refused.text and 'value="' + "A" * 300 + '"' in refused.text
        client.get("/desk?lang=en")
        english = upload(client, draft, title="B" * 5000)
        assert english.status_code == 422 and "The title is longer than 300 characters" in english.text
        with demo.uow() as uow:
            assert uow.session.execute(select(RequestRow)).first() is None
        assert upload(client, draft, title="C" * 300).status_code == 303


class TestPartiesThatLeft:
    def test_the_officers_of_a_party_that_left_no_longer_read_the_drafts(
        self,
        client: TestClient,
        demo: AppContext,
        checker: FakeLogoChecker,
        smtp_server: SmtpTestServer,
        tmp_path: Path,
        clock: ManualClock,
    ) -> None:
        """Article 9: DSDEN's termination takes effect on 1 September 2026 (Paris date): from then its officers
        are no longer among the convention's officers who may read its drafts (Article 6), session or not."""
        record_termination(demo, CONVENTION, "dsden", date(2026, 1, 10), by="admin")
        clock.set(datetime(2026, 8, 31, 22, 0, tzinfo=PARIS))
        version = submit(demo, checker, make_draft(tmp_path))
        sign_in(client, demo, smtp_server, DSDEN_OFFICER)
        assert client.get(f"/desk/versions/{version}").status_code == 200  # the last day: still a party
        clock.set(datetime(2026, 9, 1, 0, 30, tzinfo=PARIS))  # still 31 August in UTC
        assert client.get(f"/desk/versions/{version}").status_code == 303  # to the sign-in page
        assert client.get(f"/v/{version}/pages/1.png").status_code == 404
        assert client.get("/desk").status_code == 303
        smtp_server.reset()
        client.post(
            "/signin",
            data={"nonce": nonce_of(client.get("/signin").text), "email": DSDEN_OFFICER},
            headers={"origin": "http://testserver"},
        )
        dispatch(demo, smtp_server)
        assert not smtp_server.messages_to(DSDEN_OFFICER)  # no new sign-in link either
        client.cookies.clear()
        sign_in(client, demo, smtp_server, OFFICER)  # the parties still in keep reading
        assert client.get(f"/desk/versions/{version}").status_code == 200
