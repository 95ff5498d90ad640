"""Unit of work: the only place that commits. Services open one, change state, append audit events, commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session


class UnitOfWork:
    """A transaction around a SQLModel session; leaving without commit() rolls back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = Session(self.engine, expire_on_commit=False, autoflush=True)
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
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
