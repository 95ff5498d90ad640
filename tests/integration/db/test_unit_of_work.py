"""Units of work: writers serialise on SQLite without 'database is locked'; readers never wait for them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.adapters.db.migrate import upgrade
from comms_approval.adapters.db.uow import UnitOfWork


@pytest.fixture
def sqlite_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_db_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_reader_is_not_blocked_by_a_writer_holding_the_lock(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """A read-only unit of work uses a deferred BEGIN: WAL readers see the last commit at once."""
    with UnitOfWork(sqlite_engine) as writer:
        writer.session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'x')"))
        with UnitOfWork(sqlite_engine, read_only=True) as reader:
            assert reader.session.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 0
        writer.commit()


def test_a_read_only_unit_of_work_refuses_to_commit(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """Reads cannot write by accident."""
    with UnitOfWork(sqlite_engine, read_only=True) as reader, pytest.raises(RuntimeError):
        reader.commit()


def test_two_writers_queue_instead_of_failing(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """BEGIN IMMEDIATE waits for the busy timeout: the second writer commits after the first."""
    holding = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with UnitOfWork(sqlite_engine) as uow:
            uow.session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'a')"))
            holding.set()
            release.wait(5)
            uow.commit()

    def second() -> None:
        try:
            with UnitOfWork(sqlite_engine) as uow:
                uow.session.execute(text("UPDATE audit_head SET seq = seq + 1"))
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    t1 = threading.Thread(target=first)
    t1.start()
    holding.wait(5)
    t2 = threading.Thread(target=second)
    t2.start()
    release.set()
    t1.join(10)
    t2.join(10)
    assert errors == []
    with UnitOfWork(sqlite_engine, read_only=True) as reader:
        assert reader.session.execute(text("SELECT seq FROM audit_head")).scalar_one() == 1


def test_a_read_only_unit_of_work_reads_one_snapshot(database_url: str) -> None:
    """A read in several statements (an export in batches) sees none of what commits meanwhile, on both
    databases: PostgreSQL's default isolation would show it to the statements after the commit."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    try:
        with UnitOfWork(engine) as setup:
            setup.session.execute(text("DELETE FROM audit_head"))
            setup.commit()
        with UnitOfWork(engine, read_only=True) as reader:
            assert reader.session.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 0
            with UnitOfWork(engine) as writer:
                writer.session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'x')"))
                writer.commit()
            assert reader.session.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 0
        with UnitOfWork(engine, read_only=True) as later:
            assert later.session.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 1
    finally:
        engine.dispose()
