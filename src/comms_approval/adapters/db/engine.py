"""Engine factory: SQLite in WAL mode with writes serialised by BEGIN IMMEDIATE, or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.url import make_url
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "comms_read_only"


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """Build the engine for `url`; on SQLite every transaction takes the write lock up front."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            # Pooled, not NullPool: closing the last connection to a WAL database checkpoints and removes
            # the WAL, which cost ~5 ms per transaction (the sweep runs one per version; bench/workflow).
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
        )
        _make_sqlite_transactions_immediate(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    # A deferred BEGIN fails at once with "database is locked" when a second writer upgrades its lock;
    # BEGIN IMMEDIATE waits for the busy timeout instead. pysqlite's own BEGIN handling is switched off.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Read-only units of work (pages, status) take no write lock: WAL readers never block writers.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
