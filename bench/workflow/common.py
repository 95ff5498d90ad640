"""Shared by the workflow and scale benchmarks: databases, a counting SMTP sink, bulk seeding, timing."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import insert, text
from sqlalchemy.engine.url import make_url

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.adapters.db.tables import CommunicationRow, RequestRow, VersionRow
from comms_approval.bootstrap import AppContext, build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Settings
from comms_approval.domain.deadlines import DeadlineRule, compute_deadline
from comms_approval.services.conventions import load_convention_file

REPO = Path(__file__).resolve().parents[2]
DEMO_CONVENTION = REPO / "conventions" / "demo.toml"
POSTGRES_URL = os.environ.get(
    "COMMS_APPROVAL_BENCH_POSTGRES_URL",
    os.environ.get(
        "COMMS_APPROVAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/comms_approval_test"
    ),
)
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
PARTNERS = ("dsden", "prefet", "dtpjj", "caf")
RECIPIENTS = {
    "dsden": ["communication@dsden.example.org", "directeur@dsden.example.org"],
    "prefet": ["pref-communication@prefecture.example.org"],
    "dtpjj": ["dtpjj-direction@pjj.example.org"],
    "caf": ["direction@caf.example.org"],
}


def fresh_database(backend: str, workdir: Path, name: str = "bench") -> str:
    """An empty database: a new SQLite file, or our own PostgreSQL database (never the shared test one)."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = make_url(POSTGRES_URL)
    database = f"{url.database}_{name}"
    admin = create_db_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def context(url: str, data_dir: Path, now: datetime = NOW, *, migrate: bool = True) -> AppContext:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=url,
        base_url="https://comms-approval.example.org",
    )
    return build_context(settings, clock=ManualClock(now), migrate=migrate)


def with_demo_convention(ctx: AppContext) -> AppContext:
    load_convention_file(ctx, DEMO_CONVENTION)
    return ctx


class _Counting:
    """aiosmtpd handler that accepts everything and only counts (the relay is not what is measured)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 2.0.0 Ok"


@contextmanager
def smtp_sink() -> Iterator[tuple[int, _Counting]]:
    """A local SMTP server on a free port that accepts and counts every message."""
    from comms_approval.adapters.mail.sink import FreePortController

    handler = _Counting()
    controller: Controller = FreePortController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield int(controller.port), handler
    finally:
        controller.stop()


@dataclass
class Timing:
    seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def bulk_open_requests(
    ctx: AppContext,
    *,
    open_requests: int,
    due: int,
    now: datetime = NOW,
    convention_id: str = "demo-absenteisme-75",
    batch: int = 5000,
    pending_delivery: bool = False,
) -> None:
    """Insert `open_requests` awaiting requests (4 per version); `due` of them past their deadline.

    The due ones are spread one per version (the other three still run), as silence happens in real life:
    one partner forgets, the others answered or still have time.
    """
    versions = open_requests // len(PARTNERS)
    delivered = now - timedelta(days=10)
    deadline = compute_deadline(
        delivered, days=15, rule=DeadlineRule.CPC, territory="75", timezone="Europe/Paris"
    )
    past = compute_deadline(
        now - timedelta(days=20), days=15, rule=DeadlineRule.CPC, territory="75", timezone="Europe/Paris"
    )
    with ctx.engine.begin() as conn:
        first_comm = conn.execute(text("SELECT coalesce(max(id), 0) FROM communications")).scalar_one() + 1
        first_version = conn.execute(text("SELECT coalesce(max(id), 0) FROM versions")).scalar_one() + 1
        for start in range(0, versions, batch):
            chunk = range(start, min(versions, start + batch))
            conn.execute(
                insert(CommunicationRow),
                [
                    {
                        "id": first_comm + i,
                        "convention_id": convention_id,
                        "submitting_party": "departement",
                        "officer_email": "com@departement.example.org",
                        "title": f"Communication {first_comm + i}",
                        "created_at": delivered,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                insert(VersionRow),
                [
                    {
                        "id": first_version + i,
                        "communication_id": first_comm + i,
                        "number": 1,
                        "sha256": hashlib.sha256(str(first_version + i).encode()).hexdigest(),
                        "stored_path": "documents/none.png",
                        "original_filename": "affiche.png",
                        "media_kind": "png",
                        "pages": 1,
                        "size_bytes": 1000,
                        "status": "routing",
                        "logo_report": {},
                        "submitted_at": delivered,
                    }
                    for i in chunk
                ],
            )
            rows = []
            for i in chunk:
                for index, party in enumerate(PARTNERS):
                    is_due = index == 0 and i < due
                    basis = past if is_due else deadline
                    if pending_delivery:
                        rows.append(
                            {
                                "version_id": first_version + i,
                                "party_id": party,
                                "status": "pending_delivery",
                                "recipients": RECIPIENTS[party][:1],
                                "send_round": 1,
                                "opened_at": now,
                            }
                        )
                        continue
                    rows.append(
                        {
                            "version_id": first_version + i,
                            "party_id": party,
                            "status": "awaiting",
                            "recipients": RECIPIENTS[party],
                            "send_round": 1,
                            "opened_at": basis.delivered_at,
                            "delivered_at": basis.delivered_at,
                            "deadline_at": basis.deadline_utc(),
                            "deadline_basis": basis.as_dict(),
                            "next_reminder_at": None if is_due else basis.deadline_utc() - timedelta(days=2),
                        }
                    )
            conn.execute(insert(RequestRow), rows)
    if ctx.engine.dialect.name == "postgresql":
        with ctx.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


class AllPresent:
    """A logo checker that finds every logo: for benchmarks of the mail path, not of the detector."""

    def check(
        self, document: Path, convention: Any, *, annotate_dir: Path | None = None, progress: Any = None
    ) -> Any:
        from comms_approval.domain.logos import LogoReport, LogoStatus, PartyLogoResult

        parties = tuple(
            PartyLogoResult(
                party=p.id,
                status=LogoStatus.PRESENT,
                score=0.99,
                page=1,
                box=(0.1, 0.8, 0.2, 0.9),
                width_mm=25.0,
            )
            for p in convention.parties
        )
        return LogoReport(file=document.name, pages=1, parties=parties, elapsed_ms=0.0)


def request_mail_template(ctx: AppContext, workdir: Path) -> dict[str, Any]:
    """One genuine request mail (rendered by the product, preview and .ics attached) to copy in bulk."""
    from PIL import Image

    from comms_approval.services.submission import submit_draft

    draft = workdir / "affiche.png"
    Image.new("RGB", (1240, 1754), "#f4efe6").save(draft)
    submit_draft(
        ctx,
        AllPresent(),
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title="Affiche « Semaine de l'assiduité »",
        file=draft,
        officer_email="com@departement.example.org",
    )
    with ctx.engine.begin() as conn:
        row = conn.execute(
            text(
                "SELECT subject, body_text, body_html, attachments FROM outbox WHERE kind = 'request' LIMIT 1"
            )
        ).one()
        conn.execute(text("DELETE FROM outbox"))
    attachments = row[3] if isinstance(row[3], list) else json.loads(row[3])
    return {"subject": row[0], "body_text": row[1], "body_html": row[2], "attachments": attachments}


def bulk_request_mails(
    ctx: AppContext, template: dict[str, Any], now: datetime = NOW, batch: int = 2000
) -> int:
    """One outbox row per pending request, as routing writes them (unique key, deterministic Message-ID)."""
    from comms_approval.adapters.db.tables import OutboxRow
    from comms_approval.services.notifications import message_id_for

    with ctx.engine.begin() as conn:
        pending = conn.execute(
            text(
                "SELECT id, version_id, recipients FROM requests WHERE status = 'pending_delivery' ORDER BY id"
            )
        ).all()
        for start in range(0, len(pending), batch):
            rows = []
            for request_id, version_id, recipients in pending[start : start + batch]:
                address = (
                    recipients if isinstance(recipients, list) else __import__("json").loads(recipients)
                )[0]
                key = f"request:{request_id}:round1:{address}"
                rows.append(
                    {
                        "idempotency_key": key,
                        "message_id": message_id_for(key, ctx.settings.mail_from),
                        "kind": "request",
                        "request_id": request_id,
                        "version_id": version_id,
                        "recipient": address,
                        "status": "queued",
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                        **template,
                    }
                )
            conn.execute(insert(OutboxRow), rows)
    return len(pending)
