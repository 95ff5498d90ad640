"""E2E fixtures: the web app over real SQLite and a real SMTP test server, driven through HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from comms_approval.bootstrap import AppContext
from comms_approval.services.conventions import load_convention_file
from comms_approval.services.submission import submit_draft
from comms_approval.web.app import create_app
from tests.conftest import DEMO_CONVENTION
from tests.e2e.fakes import FakeMentionFinder
from tests.support.smtp_server import SmtpTestServer, make_smtp_server, smtp_server  # noqa: F401  (fixtures)
from tests.support.workflow import FakeLogoChecker, body_of, dispatch, make_draft, tokens_for

ORIGIN = "http://testserver"
OFFICER = "com@departement.example.org"
AUDITOR = "audit@cden.example.org"
PARTNERS = {
    "dsden": "communication@dsden.example.org",
    "prefet": "pref-communication@prefecture.example.org",
    "dtpjj": "dtpjj-direction@pjj.example.org",
    "caf": "direction@caf.example.org",
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The web tests run on a SQLite file (the workflow suite covers PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    load_convention_file(ctx, DEMO_CONVENTION)
    return ctx


@pytest.fixture
def checker() -> FakeLogoChecker:
    return FakeLogoChecker()


@pytest.fixture
def finder() -> FakeMentionFinder:
    """The draft 'says' the Département and the Préfecture (no OCR in these tests)."""
    return FakeMentionFinder("Une action du Conseil départemental et de la Préfecture.")


@pytest.fixture
def client(demo: AppContext, checker: FakeLogoChecker, finder: FakeMentionFinder) -> Iterator[TestClient]:
    app = create_app(demo, logo_checker=checker, find_mentions=finder)
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as c:
        yield c


@dataclass
class Routed:
    """A draft routed to the four partners, request mails delivered: one review token per partner."""

    communication_id: int
    version_id: int
    tokens: dict[str, str]


def route_draft(
    ctx: AppContext,
    checker: FakeLogoChecker,
    server: SmtpTestServer,
    folder: Path,
    *,
    communication_id: int | None = None,
    colour: str = "#f4efe6",
) -> Routed:
    draft = make_draft(folder, name=f"affiche-{colour.strip('#')}.png", colour=colour)
    result = submit_draft(
        ctx,
        checker,
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=draft,
        officer_email=OFFICER,
        communication_id=communication_id,
    )
    dispatch(ctx, server)
    messages = server.received_messages()
    tokens = {party: tokens_for(messages, address)[-1] for party, address in PARTNERS.items()}
    return Routed(result.communication_id, result.version_id, tokens)


@pytest.fixture
def routed(demo: AppContext, checker: FakeLogoChecker, smtp_server: SmtpTestServer, tmp_path: Path) -> Routed:  # noqa: F811
    return route_draft(demo, checker, smtp_server, tmp_path / "drafts")


SIGNIN_LINK = re.compile(r"https?://[^\s\"'<>]+/signin/([A-Za-z0-9_-]{30,64})")
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def nonce_of(html: str) -> str:
    found = NONCE.search(html)
    assert found, "the page has no form nonce"
    return found.group(1)


def signin_token(server: SmtpTestServer, address: str) -> str:
    tokens = [t for m in server.messages_to(address) for t in SIGNIN_LINK.findall(body_of(m))]
    assert tokens, f"no sign-in link reached {address}"
    return tokens[-1]


def sign_in(client: TestClient, ctx: AppContext, server: SmtpTestServer, address: str) -> None:
    """The whole one-time-link dance: ask, receive the mail, confirm."""
    page = client.get("/signin")
    client.post("/signin", data={"nonce": nonce_of(page.text), "email": address}, headers={"origin": ORIGIN})
    dispatch(ctx, server)
    token = signin_token(server, address)
    confirm = client.get(f"/signin/{token}")
    done = client.post(f"/signin/{token}", data={"nonce": nonce_of(confirm.text)}, headers={"origin": ORIGIN})
    assert done.status_code == 303, done.text


def form_nonce(html: str, action: str) -> str:
    """The nonce of the form posting to `action` (pages may hold several forms, e.g. sign-out)."""
    found = re.search(
        r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>\s*<input type="hidden" name="nonce" '
        r'value="([^"]+)"',
        html,
    )
    assert found, f"no form posting to {action}"
    return found.group(1)
