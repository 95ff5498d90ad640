"""Shared fixtures: real databases (SQLite file and PostgreSQL), settings in a temporary data directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.bootstrap import AppContext, build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Settings

REPO = Path(__file__).resolve().parents[1]
DEMO_CONVENTION = REPO / "conventions" / "demo.toml"
POSTGRES_URL = os.environ.get(
    "COMMS_APPROVAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/comms_approval_test"
)


def postgres_available() -> bool:
    try:
        import psycopg

        dsn = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except Exception:
        return False


def reset_postgres_schema(url: str = POSTGRES_URL) -> None:
    """Give a test an empty database: drop and recreate the public schema (functions and triggers go too)."""
    from sqlalchemy import text

    engine = create_db_engine(url)
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def require_postgres() -> str:
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES_URL}")
        pytest.skip("PostgreSQL not reachable (local run); CI starts it")
    reset_postgres_schema()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("require_postgres"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
    )


@pytest.fixture
def clock() -> ManualClock:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return ManualClock(datetime(2026, 4, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris")))


@pytest.fixture
def ctx(settings: Settings, clock: ManualClock) -> Iterator[AppContext]:
    context = build_context(settings, clock=clock)
    yield context
    context.engine.dispose()
