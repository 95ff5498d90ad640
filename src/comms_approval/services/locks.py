"""Row locks in one order (version first, then its requests), so concurrent workers never deadlock."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from comms_approval.adapters.db.tables import RequestRow, VersionRow


def lock_version(session: Session, version_id: int, *, skip_locked: bool = False) -> VersionRow | None:
    """Take the version's row lock (PostgreSQL); SQLite already serialises writers with BEGIN IMMEDIATE.

    With `skip_locked`, returns None when another worker holds it: that worker will handle the version.
    """
    query = select(VersionRow).where(VersionRow.id == version_id).with_for_update(skip_locked=skip_locked)  # type: ignore[arg-type]
    version = session.execute(query).scalar_one_or_none()
    if version is not None:
        session.refresh(version)
    return version


def reload_request(session: Session, request_id: int) -> RequestRow:
    """Re-read a request after its version lock was taken: the guard of every conditional transition."""
    request = session.get(RequestRow, request_id, populate_existing=True)
    if request is None:  # pragma: no cover - foreign keys keep requests
        raise LookupError(request_id)
    return request
