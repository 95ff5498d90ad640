"""Unit of work: the only place that commits. Services open one, change state, append audit events, commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from comms_approval.adapters.db.engine import READ_ONLY_OPTION, is_postgres


class UnitOfWork:
    """A transaction around a SQLModel session; leaving without commit() rolls back."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        bind = self.engine
        if self.read_only:
            # One snapshot for the whole read (SQLite's deferred BEGIN gives one; PostgreSQL's default READ
            # COMMITTED sees each statement's own): an export or a verification read in batches must not
            # find events committed after it read their payloads, which would look like erased ones.
            options: dict[str, object] = {READ_ONLY_OPTION: True}
            if is_postgres(self.engine):
                options["isolation_level"] = "REPEATABLE READ"
            bind = self.engine.execution_options(**options)
        self._session = Session(bind, expire_on_commit=False, autoflush=True)
        self._session.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            if session.in_transaction():
                session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
