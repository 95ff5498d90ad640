"""Thin Prefect flows: each orders tasks that call the services; the database stays the system of record."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from comms_approval.bootstrap import AppContext

# Short, growing pauses: a database restart or a lock wait is over in seconds, a business refusal never is.
RETRY_DELAYS: list[float] = [2.0, 10.0, 30.0]
RETRIES = len(RETRY_DELAYS)


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only when the database was briefly unreachable or busy; a business error fails at once."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    error = getattr(state, "data", None)
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def parse_now(now: str | None) -> datetime | None:
    """Read a flow's `now` parameter (ISO 8601 with an offset); None means the real clock."""
    from comms_approval.domain.errors import ConfigurationError

    if now is None:
        return None
    try:
        instant = datetime.fromisoformat(now)
    except ValueError as exc:
        raise ConfigurationError(f"now: not an ISO-8601 instant: {now!r}") from exc
    if instant.tzinfo is None:
        raise ConfigurationError(f"now: give a time zone offset, e.g. {now}+02:00")
    return instant


def flow_context(now: str | None = None, *, by: str) -> AppContext:
    """Build the context in the flow body; a moved clock is refused in production and otherwise audited."""
    from comms_approval.bootstrap import build_context
    from comms_approval.cli.common import record_clock_override

    ctx = build_context(now=parse_now(now))
    if ctx.clock_overridden:
        record_clock_override(ctx, by)
    return ctx
