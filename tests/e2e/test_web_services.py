"""The services behind the web pages: sign-in link and session lifetimes, page differences, language choice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from comms_approval.domain.errors import NotFound
from comms_approval.services.auth import consume_signin, request_signin, session_user
from comms_approval.services.visual_diff import HIGHLIGHT, difference_png
from comms_approval.web.security import check_nonce, is_same_origin, make_nonce, redact
from tests.e2e.conftest import OFFICER, ORIGIN, signin_token
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import dispatch


def moved(ctx: AppContext, delta: timedelta) -> None:
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    clock.advance(delta)


class TestSignInLifetimes:
    def test_a_sign_in_link_older_than_twenty_minutes_is_refused(
        self, client: TestClient, demo: AppContext, smtp_server: SmtpTestServer
    ) -> None:
        """The confirmation page says the link expired (404) and the service refuses it."""
        assert request_signin(demo, OFFICER)
        dispatch(demo, smtp_server)
        token = signin_token(smtp_server, OFFICER)
        moved(demo, timedelta(minutes=21))
        page = client.get(f"/signin/{token}")
        assert page.status_code == 404
        assert "plus valable" in page.text
        with pytest.raises(NotFound):
            consume_signin(demo, token)

    def test_a_session_ends_after_eight_hours(self, demo: AppContext, smtp_server: SmtpTestServer) -> None:
        """A forgotten browser does not stay signed in."""
        request_signin(demo, OFFICER)
        dispatch(demo, smtp_server)
        cookie, user = consume_signin(demo, signin_token(smtp_server, OFFICER))
        assert user.may_submit_for("demo-absenteisme-75", "departement")
        assert session_user(demo, cookie) is not None
        moved(demo, timedelta(hours=8, seconds=1))
        assert session_user(demo, cookie) is None

    def test_a_review_token_is_no_session_cookie(self, demo: AppContext, smtp_server: SmtpTestServer) -> None:
        """Hashes are keyed per purpose: a sign-in token cannot be replayed as a session cookie."""
        request_signin(demo, OFFICER)
        dispatch(demo, smtp_server)
        token = signin_token(smtp_server, OFFICER)
        assert session_user(demo, token) is None


class TestPageDifferences:
    def test_identical_pages_show_no_change(self) -> None:
        """Ratio 0 and no highlight on a page compared with itself."""
        page = Image.new("RGB", (200, 280), "white")
        data, ratio = difference_png(page, page.copy())
        assert ratio == 0.0
        assert data.startswith(b"\x89PNG")

    def test_a_changed_block_is_measured_and_highlighted(self) -> None:
        """A 20 x 28 block changed on a 200 x 280 page: 1 % of the pixels, painted magenta."""
        import io

        before = Image.new("RGB", (200, 280), "white")
        after = before.copy()
        ImageDraw.Draw(after).rectangle((50, 50, 69, 77), fill="black")
        data, ratio = difference_png(before, after)
        assert ratio == pytest.approx(0.01, rel=0.01)
        with Image.open(io.BytesIO(data)) as image:
            assert image.convert("RGB").getpixel((60, 60)) == HIGHLIGHT
            assert image.convert("RGB").getpixel((150, 200)) != HIGHLIGHT


class TestEdgeRules:
    def test_a_nonce_expires_after_twelve_hours_and_is_bound_to_its_page(self) -> None:
        """Issued now: valid for its page only, and only for twelve hours."""
        nonce = make_nonce("k" * 32, "decide", "link-a", now=1_000_000)
        assert check_nonce("k" * 32, "decide", "link-a", nonce, now=1_000_000 + 3600)
        assert not check_nonce("k" * 32, "decide", "link-b", nonce, now=1_000_000 + 3600)
        assert not check_nonce("k" * 32, "decide", "link-a", nonce, now=1_000_000 + 13 * 3600)
        assert not check_nonce("other-secret" * 3, "decide", "link-a", nonce, now=1_000_000)

    def test_sec_fetch_site_decides_even_against_a_matching_origin(self, client: TestClient) -> None:
        """A same-site sibling (sec-fetch-site: same-site) is not our origin."""
        from starlette.requests import Request

        def request(headers: dict[str, str]) -> Request:
            raw = [(k.encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()]
            return Request(
                {"type": "http", "scheme": "http", "path": "/", "headers": raw, "query_string": b""}
            )

        assert not is_same_origin(request({"origin": ORIGIN, "sec-fetch-site": "same-site"}), ORIGIN)
        assert is_same_origin(request({"origin": ORIGIN}), ORIGIN)
        assert not is_same_origin(request({"referer": "https://evil.example/x"}), ORIGIN)

    def test_redaction_masks_tokens_and_keeps_the_rest(self) -> None:
        """Paths keep their shape in logs; only the secret part goes."""
        assert (
            redact("GET /r/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/pages/1.png")
            == "GET /r/[redacted]/pages/1.png"
        )
        assert redact("GET /desk/versions/12") == "GET /desk/versions/12"
