"""The composition root: builds settings, engine, clock and adapters once, and hands them down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.adapters.db.migrate import upgrade
from comms_approval.adapters.db.uow import UnitOfWork
from comms_approval.clock import Clock, ManualClock, SystemClock
from comms_approval.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO_ROOT / "templates"


@dataclass
class AppContext:
    """Everything a service needs from the outside world, built in one place."""

    settings: Settings
    engine: Engine
    clock: Clock
    clock_overridden: bool = False
    extras: dict[str, object] = field(default_factory=dict)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A transaction; `read_only` ones take no write lock on SQLite and refuse to commit."""
        return UnitOfWork(self.engine, read_only=read_only)


def build_context(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    now: datetime | None = None,
    migrate: bool = True,
) -> AppContext:
    """Build the application context; `now` moves the clock (refused in production)."""
    settings = settings or Settings()
    override = now or settings.clock_override
    overridden = override is not None
    if override is not None:
        settings.ensure_clock_override_allowed()
        clock = ManualClock(override)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.effective_database_url)
    if migrate:
        upgrade(engine)
    return AppContext(
        settings=settings, engine=engine, clock=clock or SystemClock(), clock_overridden=overridden
    )
