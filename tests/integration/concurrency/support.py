"""Shared by the multi-process, fault and hostile-input tests: an own PostgreSQL database, seeded workflows."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine.url import make_url

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.adapters.db.tables import AuditEventRow, OutboxRow, RequestRow
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext, build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Settings, SmtpSecurity
from comms_approval.services.conventions import load_convention_file
from comms_approval.services.outbox import DispatchReport, dispatch_outbox
from comms_approval.services.submission import submit_draft
from tests.conftest import DEMO_CONVENTION, POSTGRES_URL, postgres_available
from tests.support.workflow import FakeLogoChecker, make_draft

OFFICER = "com@departement.example.org"
CONVENTION_ID = "demo-absenteisme-75"
# Thursday 23 April 2026, 10:00 Paris: the worked example of DESIGN.md (deadline Tue 12 May 00:00 Paris).
START = datetime.fromisoformat("2026-04-23T08:00:00+00:00")
DEADLINE = datetime.fromisoformat("2026-05-11T22:00:00+00:00")


_CREATED: set[str] = set()


def own_postgres_url(suffix: str = "prod") -> str:
    """A database of our own next to the shared test database, one per test run (process), emptied per test.

    The multi-process tests hold connections for seconds and terminate backends on purpose; running them
    in the database other test modules reset (DROP SCHEMA) at any moment, or sharing one with a parallel
    run of the same suite, would make both sides flaky.
    """
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{suffix}_{os.getpid()}"
    if name not in _CREATED:
        admin = create_db_engine(url.set(database="postgres").render_as_string(hide_password=False))
        try:
            with admin.connect() as raw:
                conn = raw.execution_options(isolation_level="AUTOCOMMIT")
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        _CREATED.add(name)
        atexit.register(_drop_database, name)
    own = url.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(own)
    try:
        with engine.connect() as raw:
            conn = raw.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return own


def _drop_database(name: str) -> None:
    admin = create_db_engine(
        make_url(POSTGRES_URL).set(database="postgres").render_as_string(hide_password=False)
    )
    # Best effort at exit: a database left behind is dropped by the next run that gets the same pid.
    with contextlib.suppress(Exception), admin.connect() as raw:
        raw.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )
    admin.dispose()


def require_own_postgres(suffix: str = "prod") -> str:
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES_URL}")
        pytest.skip("PostgreSQL not reachable (local run); CI starts it")
    return own_postgres_url(suffix)


def make_settings(url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=url,
        base_url="http://testserver",
        smtp_retry_window_hours=48.0,
    )


def context_at(url: str, data_dir: Path, now: datetime, *, migrate: bool = False) -> AppContext:
    return build_context(make_settings(url, data_dir), clock=ManualClock(now), migrate=migrate)


def mailer_for(ctx: AppContext, port: int, *, timeout: float = 5.0) -> SmtpMailer:
    return SmtpMailer(
        host="127.0.0.1",
        port=port,
        security=SmtpSecurity.NONE,
        username=None,
        password=None,
        mail_from=ctx.settings.mail_from,
        timeout_seconds=timeout,
        clock=ctx.clock,
    )


def dispatch_to(ctx: AppContext, port: int, **kwargs: object) -> DispatchReport:
    return asyncio.run(dispatch_outbox(ctx, mailer_for(ctx, port), **kwargs))  # type: ignore[arg-type]


@dataclass
class Seeded:
    """A database with routed communications, their request mails not yet sent (or sent)."""

    url: str
    data_dir: Path
    ctx: AppContext
    communications: int

    def at(self, now: datetime) -> AppContext:
        return context_at(self.url, self.data_dir, now)


def seed_communications(url: str, data_dir: Path, count: int, *, uploads: Path) -> Seeded:
    """Load the demo convention and submit `count` compliant drafts at START (4 requests each)."""
    ctx = context_at(url, data_dir, START, migrate=True)
    load_convention_file(ctx, DEMO_CONVENTION)
    checker = FakeLogoChecker()
    for index in range(count):
        draft = make_draft(uploads, name=f"affiche-{index}.png", text=f"Affiche {index}")
        submit_draft(
            ctx,
            checker,
            convention_id=CONVENTION_ID,
            party_id="departement",
            title=f"Affiche n° {index}",
            file=draft,
            officer_email=OFFICER,
        )
    return Seeded(url, data_dir, ctx, count)


def count_events(ctx: AppContext, kind: str) -> dict[int | None, int]:
    """Audit events of one kind, counted per request id (or per version id when no request)."""
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.request_id, AuditEventRow.version_id).where(AuditEventRow.kind == kind)  # type: ignore[arg-type]
        ).all()
    counts: dict[int | None, int] = {}
    for request_id, version_id in rows:
        key = request_id if request_id is not None else version_id
        counts[key] = counts.get(key, 0) + 1
    return counts


def request_states(ctx: AppContext) -> dict[int, str]:
    with ctx.uow() as uow:
        return {
            int(i or 0): s for i, s in uow.session.execute(select(RequestRow.id, RequestRow.status)).all()
        }  # type: ignore[arg-type]


def outbox_states(ctx: AppContext) -> dict[str, int]:
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)  # type: ignore[arg-type]
        ).all()
    return {str(s): int(n) for s, n in rows}


def outbox_message_ids(ctx: AppContext) -> list[str]:
    with ctx.uow() as uow:
        return [str(m) for m in uow.session.execute(select(OutboxRow.message_id)).scalars()]  # type: ignore[arg-type]


def after(days: float = 0, **kw: float) -> datetime:
    return START + timedelta(days=days, **kw)
