"""Links under attack through the web app: cross-site and forged posts, replays, and timing of failures."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from comms_approval.bootstrap import AppContext
from comms_approval.services.decisions import record_decision
from comms_approval.web.app import create_app
from comms_approval.web.partners import FAILURE_FLOOR_SECONDS
from tests.integration.concurrency.support import (
    after,
    count_events,
    dispatch_to,
    request_states,
    seed_communications,
)
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, tokens_for

CAF = "direction@caf.example.org"
PREFET = "pref-communication@prefecture.example.org"
NONCE = re.compile(r'name="nonce"\s+value="([^"]+)"')
SAME_ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def site(
    tmp_path: Path, smtp_server: SmtpTestServer
) -> Iterator[tuple[AppContext, TestClient, dict[str, str]]]:
    seeded = seed_communications(
        f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "data", 2, uploads=tmp_path / "up"
    )
    dispatch_to(seeded.ctx, smtp_server.port)
    mails = smtp_server.accepted_messages()
    tokens = {
        "caf": tokens_for(mails, CAF)[0],
        "prefet": tokens_for(mails, PREFET)[0],
        "caf2": tokens_for(mails, CAF)[1],
    }
    ctx = seeded.at(after(days=1))
    with TestClient(create_app(ctx, logo_checker=FakeLogoChecker()), follow_redirects=False) as client:
        yield ctx, client, tokens


def nonce_of(client: TestClient, token: str) -> str:
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    found = NONCE.search(page.text)
    assert found is not None
    return found.group(1)


class TestForgedPosts:
    def test_a_cross_site_post_is_refused_and_records_nothing(
        self, site: tuple[AppContext, TestClient, dict[str, str]]
    ) -> None:
        ctx, client, tokens = site
        nonce = nonce_of(client, tokens["caf"])
        answer = client.post(
            f"/r/{tokens['caf']}",
            data={"nonce": nonce, "decision": "approve"},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
        assert count_events(ctx, "decision_recorded") == {}

    def test_a_post_without_the_page_nonce_or_with_another_links_nonce_is_refused(
        self, site: tuple[AppContext, TestClient, dict[str, str]]
    ) -> None:
        ctx, client, tokens = site
        other = nonce_of(client, tokens["prefet"])
        for nonce in ("", "forged", other):
            answer = client.post(
                f"/r/{tokens['caf']}", data={"nonce": nonce, "decision": "approve"}, headers=SAME_ORIGIN
            )
            assert answer.status_code == 403
        assert count_events(ctx, "decision_recorded") == {}

    def test_a_forged_token_is_not_found_even_with_a_genuine_nonce(
        self, site: tuple[AppContext, TestClient, dict[str, str]]
    ) -> None:
        ctx, client, tokens = site
        nonce = nonce_of(client, tokens["caf"])
        forged = tokens["caf"][:-2] + ("AA" if not tokens["caf"].endswith("AA") else "BB")
        answer = client.post(
            f"/r/{forged}", data={"nonce": nonce, "decision": "approve"}, headers=SAME_ORIGIN
        )
        assert answer.status_code == 404
        assert count_events(ctx, "decision_recorded") == {}

    def test_a_replayed_post_records_the_decision_once(
        self, site: tuple[AppContext, TestClient, dict[str, str]]
    ) -> None:
        ctx, client, tokens = site
        nonce = nonce_of(client, tokens["caf"])
        for _ in range(3):
            answer = client.post(
                f"/r/{tokens['caf']}", data={"nonce": nonce, "decision": "approve"}, headers=SAME_ORIGIN
            )
            assert answer.status_code == 303
        assert list(count_events(ctx, "decision_recorded").values()) == [1]
        assert sorted(request_states(ctx).values()).count("approved") == 1


class TestTiming:
    def test_unknown_and_withdrawn_links_answer_after_the_same_floor(
        self, site: tuple[AppContext, TestClient, dict[str, str]]
    ) -> None:
        """A link guesser cannot tell a withdrawn link (410) from one that never existed (404) by the clock."""
        ctx, client, tokens = site
        record_decision(
            ctx, token=tokens["prefet"], decision="object", text="Le logo de la préfecture est absent."
        )
        unknown = "x" * 43

        def median_seconds(path: str, status: int) -> float:
            samples = []
            for _ in range(7):
                started = time.perf_counter()
                assert client.get(path).status_code == status
                samples.append(time.perf_counter() - started)
            return statistics.median(samples)

        gone = median_seconds(f"/r/{tokens['caf']}", 410)
        missing = median_seconds(f"/r/{unknown}", 404)
        assert gone >= FAILURE_FLOOR_SECONDS and missing >= FAILURE_FLOOR_SECONDS
        assert abs(gone - missing) < 0.04
