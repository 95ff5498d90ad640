"""Brute force of review links: after a few dozen unknown tokens a client gets 429, then may try again."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from comms_approval.bootstrap import AppContext
from comms_approval.clock import ManualClock
from tests.e2e.conftest import Routed


def forged(index: int) -> str:
    return f"{index:04d}" + "A" * 39


def test_a_guesser_is_stopped_but_partners_and_other_clients_are_not(
    client: TestClient, demo: AppContext, clock: ManualClock, routed: Routed
) -> None:
    """30 unknown links → 404; the 31st try → 429 with Retry-After; the window passes → 404 again."""
    limiter = client.app.state.lookup_limiter  # type: ignore[attr-defined]
    for index in range(limiter.limit):
        assert client.get(f"/r/{forged(index)}").status_code == 404
    blocked = client.get(f"/r/{forged(999)}")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.headers["Cache-Control"] == "no-store"
    # Another client is not affected.
    with TestClient(client.app, base_url="http://testserver", client=("203.0.113.7", 5000)) as other:
        assert other.get(f"/r/{forged(1000)}").status_code == 404
    clock.advance(limiter.window + timedelta(seconds=1))
    assert client.get(f"/r/{forged(1001)}").status_code == 404


def test_a_partner_behind_the_same_address_as_a_guesser_still_answers(
    client: TestClient, demo: AppContext, routed: Routed
) -> None:
    """One proxy for a whole administration: its guesser is stopped, its partners' valid links still open."""
    limiter = client.app.state.lookup_limiter  # type: ignore[attr-defined]
    for index in range(limiter.limit):
        client.get(f"/r/{forged(index)}")
    assert client.get(f"/r/{forged(999)}").status_code == 429
    assert client.get(f"/r/{routed.tokens['caf']}").status_code == 200
    assert client.get(f"/r/{forged(998)}").status_code == 429  # and unknown links stay refused


def test_valid_links_never_count_against_a_client(client: TestClient, routed: Routed) -> None:
    """A partner reloading the page many times is never limited."""
    limiter = client.app.state.lookup_limiter  # type: ignore[attr-defined]
    for _ in range(limiter.limit + 5):
        assert client.get(f"/r/{routed.tokens['prefet']}").status_code == 200
