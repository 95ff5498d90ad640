"""Unit of work: the only place that commits. Services open one, change state, append audit events, commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from comms_approval.adapters.db.engine import READ_ONLY_OPTION


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
        bind = self.engine.execution_options(**{READ_ONLY_OPTION: True}) if self.read_only else self.engine
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
