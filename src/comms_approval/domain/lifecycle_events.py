"""Past-tense events of the convention's life over the years: terminations, renewals, expiry, retention purges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from comms_approval.domain.events import DomainEvent, PartyTerminationRecorded


@dataclass(frozen=True, kw_only=True)
class PartyTerminationRegistered(PartyTerminationRecorded):
    """A party's termination letter was registered; same audit kind, plus the registered letter's reference.

    Kept as a subclass (same `kind`) so the trail has one kind for terminations; once `reference` is added
    to `PartyTerminationRecorded` itself this class can go.
    """

    kind: ClassVar[str] = "party_termination_recorded"
    reference: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConventionRenewed(DomainEvent):
    """The convention was renewed for one more period (Article 7); `period_end` is the new last day in force."""

    kind: ClassVar[str] = "convention_renewed"
    convention_id: str
    renewals: int
    period_end: date
    recorded_by: str


@dataclass(frozen=True, kw_only=True)
class ConventionExpiryRecorded(DomainEvent):
    """The convention stops applying on `expired_on` (first day out of force); no new submission after it."""

    kind: ClassVar[str] = "convention_expiry_recorded"
    convention_id: str
    expired_on: date
    recorded_by: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RetentionPurged(DomainEvent):
    """Expired data of one category was erased under the retention policy; counts and ids, no personal data."""

    kind: ClassVar[str] = "retention_purged"
    convention_id: str | None
    category: str
    cutoff: datetime
    retention_years: int
    items: int
    version_ids: tuple[int, ...] = ()
    # Contiguous runs (first, last) of audit sequence numbers whose payload was erased: compact and exact.
    seq_ranges: tuple[tuple[int, int], ...] = ()


LIFECYCLE_EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.kind: cls
    for cls in (PartyTerminationRegistered, ConventionRenewed, ConventionExpiryRecorded, RetentionPurged)
}
