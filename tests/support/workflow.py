"""Builders for workflow tests: a fake logo checker (the port's test double), drafts, a mailer on the test server."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext
from comms_approval.config import SmtpSecurity
from comms_approval.domain.convention import Convention
from comms_approval.domain.logos import LogoReport, LogoStatus, PartyLogoResult
from comms_approval.services.logo_check import Progress
from comms_approval.services.outbox import DispatchReport, dispatch_outbox
from comms_approval.services.submission import MentionFinder, SubmissionResult, submit_draft
from tests.support.smtp_server import ReceivedMessage, SmtpTestServer

LINK = re.compile(r"https?://[^\s\"'<>]+/r/([A-Za-z0-9_-]{30,64})")


@dataclass
class FakeLogoChecker:
    """Answers the logo check as told: every party present unless listed in `statuses`."""

    statuses: dict[str, LogoStatus] = field(default_factory=dict)
    calls: int = 0

    def check(
        self,
        document: Path,
        convention: Convention,
        *,
        annotate_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> LogoReport:
        self.calls += 1
        results = tuple(
            PartyLogoResult(
                party=p.id,
                status=self.statuses.get(p.id, LogoStatus.PRESENT),
                score=0.95 if self.statuses.get(p.id, LogoStatus.PRESENT) is LogoStatus.PRESENT else 0.1,
                page=1,
                box=(0.1, 0.8, 0.2, 0.9),
                width_mm=21.0,
            )
            for p in convention.parties
        )
        return LogoReport(file=document.name, pages=1, parties=results, elapsed_ms=1.0)


@dataclass
class GatedChecker(FakeLogoChecker):
    """A check that holds until the test opens its gate, having told `told` as its progress (if any): the test
    sees the version while its check runs, and a second worker try it, every time, with no sleep."""

    gate: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    told: tuple[int, int] | None = None

    def check(
        self,
        document: Path,
        convention: Convention,
        *,
        annotate_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> LogoReport:
        if progress is not None and self.told is not None:
            progress(*self.told)
        self.started.set()
        assert self.gate.wait(timeout=30), "the test never opened the gate"
        return super().check(document, convention, annotate_dir=annotate_dir)


def make_draft(
    directory: Path, name: str = "affiche.png", colour: str = "#f4efe6", text: str = "Affiche"
) -> Path:
    """A small but real PNG draft (a poster mock-up)."""
    directory.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (620, 877), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 580, 300), fill="#1f4e8c")
    draw.text((60, 60), text, fill="white")
    path = directory / name
    image.save(path)
    return path


def test_mailer(ctx: AppContext, server: SmtpTestServer, *, timeout: float = 5.0) -> SmtpMailer:
    return SmtpMailer(
        host=server.host,
        port=server.port,
        security=SmtpSecurity.NONE,
        username=None,
        password=None,
        mail_from=ctx.settings.mail_from,
        timeout_seconds=timeout,
        clock=ctx.clock,
    )


def dispatch(ctx: AppContext, server: SmtpTestServer, **kwargs: object) -> DispatchReport:
    return asyncio.run(dispatch_outbox(ctx, test_mailer(ctx, server), **kwargs))  # type: ignore[arg-type]


def body_of(message: ReceivedMessage) -> str:
    parts = []
    for part in message.message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            parts.append(part.get_content())
    return "\n".join(parts)


def tokens_for(messages: Iterable[ReceivedMessage], recipient: str) -> list[str]:
    found: list[str] = []
    for message in messages:
        if recipient.lower() in (r.lower() for r in message.rcpt_tos):
            for token in LINK.findall(body_of(message)):
                if token not in found:
                    found.append(token)
    return found


DSDEN_ADDRESSES = ("communication@dsden.example.org", "directeur@dsden.example.org")


DEMO_OFFICER = "com@departement.example.org"


def submit_demo_draft(
    ctx: AppContext,
    checker: FakeLogoChecker,
    draft: Path,
    *,
    communication_id: int | None = None,
    find_mentions: MentionFinder | None = None,
) -> SubmissionResult:
    """The demo routing: the department submits, 4 partners are asked, 5 request mails (DSDEN has two addresses)."""
    return submit_draft(
        ctx,
        checker,
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=draft,
        officer_email=DEMO_OFFICER,
        communication_id=communication_id,
        find_mentions=find_mentions,
    )


def correct_approvers(ctx: AppContext, folder: Path, party: str, approvers: list[str]) -> None:
    """The fix for a wrong address: the demo convention's roster of `party` corrected, and the file loaded again
    (a request is then resent to its party's approvers only)."""
    from comms_approval.services.conventions import load_convention_file

    demo = Path(__file__).resolve().parents[2] / "conventions" / "demo.toml"
    text = demo.read_text(encoding="utf-8").replace('"../assets/', f'"{demo.parent.parent / "assets"}/')
    listed = ", ".join(f'"{address}"' for address in approvers)
    text, found = re.subn(
        rf'(id = "{re.escape(party)}"\n(?:(?!\[\[parties\]\]).*\n)*?)approvers = \[[^\]]*\]',
        rf"\1approvers = [{listed}]",
        text,
    )
    assert found == 1, f"no approvers line for {party}"
    folder.mkdir(parents=True, exist_ok=True)
    corrected = folder / "demo-corrected.toml"
    corrected.write_text(text, encoding="utf-8")
    load_convention_file(ctx, corrected)
