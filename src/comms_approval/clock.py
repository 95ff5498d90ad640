"""The injected clock: every 'now' of the product comes from here, so tests and the demo can move time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are refused; give a time zone offset")
    return instant.astimezone(UTC)


@dataclass
class ManualClock:
    """A clock that only moves when told to (tests, the demo, `sweep --now`)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 4, 23, 8, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        self.current = _utc(self.current)

    def now(self) -> datetime:
        return self.current

    def set(self, instant: datetime) -> None:
        self.current = _utc(instant)

    def advance(self, delta: timedelta) -> datetime:
        self.current = self.current + delta
        return self.current
