"""Browser fixtures: the app served by uvicorn on loopback, headless Debian Chromium, axe-core, screenshots."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from PIL import Image, ImageDraw, ImageFont

from comms_approval.bootstrap import AppContext, build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Settings
from comms_approval.domain.convention import Convention
from comms_approval.domain.logos import LogoReport, LogoStatus, PartyLogoResult
from comms_approval.services.conventions import load_convention_file
from comms_approval.services.logo_check import Progress
from comms_approval.web.app import create_app
from tests.conftest import DEMO_CONVENTION, REPO
from tests.e2e.fakes import FakeMentionFinder
from tests.support.smtp_server import SmtpTestServer

CHROMIUM = os.environ.get("COMMS_APPROVAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = REPO / "tests" / "browser" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "browser"
DOCS_IMG = REPO / "docs" / "img"
LOGOS = REPO / "assets" / "logos"
# Where the poster below puts each party's logo (page fractions), so the fake checker reports real places.
LOGO_SLOTS = {
    "departement": ("conseil-departemental.png", 0.04),
    "dsden": ("dsden.png", 0.23),
    "prefet": ("prefet.png", 0.42),
    "dtpjj": ("dtpjj.png", 0.61),
    "caf": ("caf.png", 0.80),
}
SLOT_WIDTH = 0.16
SLOT_TOP, SLOT_BOTTOM = 0.86, 0.935

pytestmark = pytest.mark.browser


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path(f"/usr/share/fonts/truetype/dejavu/DejaVuSans{'-Bold' if bold else ''}.ttf")
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default(size)


def make_poster(path: Path, *, headline: str, colour: str = "#1f4e8c", subtitle: str = "") -> Path:
    """An A4 poster mock-up at 100 dpi with the five logos along the bottom."""
    width, height = 827, 1169
    image = Image.new("RGB", (width, height), "#fbf8f2")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 430), fill=colour)
    draw.text((56, 90), "SEMAINE DE", font=_font(40, True), fill="#ffffff")
    draw.text((56, 140), headline, font=_font(64, True), fill="#ffd166")
    draw.text(
        (56, 250), subtitle or "Du 4 au 8 mai 2026 — dans tous les collèges", font=_font(26), fill="#ffffff"
    )
    for index, line in enumerate(
        (
            "Chaque jour compte : venez échanger avec les équipes éducatives,",
            "les familles et les partenaires sur l'assiduité scolaire.",
            "Ateliers, permanences et rencontres dans chaque établissement.",
        )
    ):
        draw.text((56, 500 + index * 44), line, font=_font(24), fill="#222222")
    draw.rounded_rectangle((56, 660, width - 56, 900), radius=18, outline="#1f4e8c", width=4)
    draw.text((86, 700), "Renseignements :", font=_font(26, True), fill="#1f4e8c")
    draw.text((86, 748), "votre collège ou le 01 23 45 67 89", font=_font(26), fill="#222222")
    for name, left in LOGO_SLOTS.values():
        with Image.open(LOGOS / name) as logo:
            slot_w = int(SLOT_WIDTH * width)
            slot_h = int((SLOT_BOTTOM - SLOT_TOP) * height)
            logo.thumbnail((slot_w, slot_h))
            x = int(left * width) + (slot_w - logo.width) // 2
            y = int(SLOT_TOP * height) + (slot_h - logo.height) // 2
            image.paste(logo, (x, y), logo)
    image.save(path, dpi=(100, 100))
    return path


@dataclass
class PosterChecker:
    """The logo port's stand-in for browser runs: reports each logo where the poster puts it."""

    statuses: dict[str, LogoStatus] = field(default_factory=dict)
    gate: threading.Event | None = None  # when set, each check waits for it: the page is seen while checking

    def check(
        self,
        document: Path,
        convention: Convention,
        *,
        annotate_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> LogoReport:
        if self.gate is not None:
            if progress is not None:
                progress(5, 12)  # as a real check of a 6-page brochure would, five page searches in
            assert self.gate.wait(timeout=60), "the test never opened the gate"
        results = []
        for party in convention.parties:
            status = self.statuses.get(party.id, LogoStatus.PRESENT)
            left = LOGO_SLOTS[party.id][1]
            found = status is not LogoStatus.MISSING
            results.append(
                PartyLogoResult(
                    party=party.id,
                    status=status,
                    score=0.93 if status is LogoStatus.PRESENT else 0.58,
                    page=1 if found else None,
                    box=(left, SLOT_TOP, left + SLOT_WIDTH, SLOT_BOTTOM) if found else None,
                    width_mm=33.0 if found else None,
                    reason="weak_match" if status is LogoStatus.UNCERTAIN else None,
                )
            )
        return LogoReport(file=document.name, pages=1, parties=tuple(results), elapsed_ms=12.0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveApp:
    ctx: AppContext
    base_url: str
    smtp: SmtpTestServer
    checker: PosterChecker
    workdir: Path


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """One server for the whole browser run (SQLite file, real SMTP test server, uvicorn in a thread)."""
    workdir = tmp_path_factory.mktemp("browser")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        _env_file=None,
        data_dir=workdir / "data",  # type: ignore[call-arg]
        database_url=f"sqlite:///{workdir / 'web.db'}",
        base_url=base_url,
    )
    clock = ManualClock(datetime(2026, 4, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris")))
    ctx = build_context(settings, clock=clock)
    load_convention_file(ctx, DEMO_CONVENTION)
    smtp = SmtpTestServer().start()
    checker = PosterChecker()
    # The posters "say" three of the parties (what OCR would read on them), without running Tesseract.
    finder = FakeMentionFinder("Le Conseil départemental, la DSDEN et la Préfecture vous invitent.")
    app = create_app(ctx, logo_checker=checker, find_mentions=finder)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield LiveApp(ctx, base_url, smtp, checker, workdir)
    server.should_exit = True
    thread.join(5)
    smtp.stop()
    ctx.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in the main thread
    # while it is open, which would make every later asyncio.run() in the same pytest process fail.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.problems = problems
    yield tab
    context.close()


def check_accessibility(page: Any, name: str) -> None:
    """Run axe-core (WCAG 2.1 A/AA rules) on the page; no serious or critical violation is accepted."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci --prefix tests/browser/vendor`")
    if not hasattr(check_accessibility, "source"):
        check_accessibility.source = AXE.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    page.evaluate(check_accessibility.source)  # type: ignore[attr-defined]
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    assert result["passes"], "axe-core ran no rule: the check itself is broken"
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: accessibility violations: {bad}"


def screenshot(page: Any, name: str, *, docs: bool = False) -> Path:
    """Full-page screenshot under test-artifacts/browser (and docs/img for the README's rooms)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / f"web-{name}.png"), full_page=False)
    return path
