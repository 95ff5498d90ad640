"""Past-tense domain events: what happened, as plain values the audit trail records in order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum
from typing import ClassVar

from comms_approval.domain.deadlines import Deadline


def to_json_ready(value: object) -> object:
    """Turn a domain value into JSON-ready data (ISO strings for instants and dates, lists for tuples)."""
    if isinstance(value, Enum):
        # Before the scalar check: a StrEnum is a str, but the canonical form must hold its plain value.
        return to_json_ready(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Deadline):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {str(key): to_json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [to_json_ready(item) for item in value]
        # Sets have no order; sorting keeps the canonical JSON (and so the audit hash) stable.
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    raise TypeError(f"cannot make {type(value).__name__} JSON-ready")


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of the events: `kind` names the event in the audit trail, `occurred_at` is its instant (UTC)."""

    kind: ClassVar[str] = "domain_event"
    occurred_at: datetime

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError(f"{self.kind}: occurred_at must be timezone-aware")

    def payload(self) -> dict[str, object]:
        """The event's fields as JSON-ready data (without `kind`, which the audit row stores apart)."""
        return {field.name: to_json_ready(getattr(self, field.name)) for field in fields(self)}


@dataclass(frozen=True, kw_only=True)
class DraftSubmitted(DomainEvent):
    """An officer submitted a version of a draft for a party."""

    kind: ClassVar[str] = "draft_submitted"
    convention_id: str
    version_id: str
    party_id: str
    submitted_by: str
    sha256: str
    filename: str
    supersedes_version_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class LogoCheckCompleted(DomainEvent):
    """The logo check of a version ended; lists the parties whose current logo was found or missing."""

    kind: ClassVar[str] = "logo_check_completed"
    version_id: str
    passed: bool
    found_party_ids: tuple[str, ...] = ()
    missing_party_ids: tuple[str, ...] = ()
    details: Mapping[str, object] | None = None


@dataclass(frozen=True, kw_only=True)
class LogoOverrideRecorded(DomainEvent):
    """An officer overrode a failed logo check for one party, with a written justification."""

    kind: ClassVar[str] = "logo_override_recorded"
    version_id: str
    party_id: str
    officer: str
    justification: str


@dataclass(frozen=True, kw_only=True)
class RequestOpened(DomainEvent):
    """A version was routed to a party; the request waits for the mail to be delivered."""

    kind: ClassVar[str] = "request_opened"
    request_id: str
    version_id: str
    party_id: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RequestDelivered(DomainEvent):
    """The relay accepted the request mail: the clock starts, with the deadline computed once and kept."""

    kind: ClassVar[str] = "request_delivered"
    request_id: str
    version_id: str
    party_id: str
    deadline: Deadline


@dataclass(frozen=True, kw_only=True)
class DeliveryFailed(DomainEvent):
    """The request mail could not be delivered (permanent refusal, or a bounce recorded later)."""

    kind: ClassVar[str] = "delivery_failed"
    request_id: str
    version_id: str
    party_id: str
    reason: str
    bounce: bool = False


@dataclass(frozen=True, kw_only=True)
class RequestResent(DomainEvent):
    """An officer resent an undeliverable request (perhaps to corrected addresses); a new clock will start."""

    kind: ClassVar[str] = "request_resent"
    request_id: str
    version_id: str
    party_id: str
    resent_by: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReminderSent(DomainEvent):
    """A reminder for one slot was queued to a silent party."""

    kind: ClassVar[str] = "reminder_sent"
    request_id: str
    version_id: str
    party_id: str
    slot: str
    deadline_at: datetime


@dataclass(frozen=True, kw_only=True)
class DecisionRecorded(DomainEvent):
    """A party's approver answered: approved, approved_with_remarks or objected (the resulting state)."""

    kind: ClassVar[str] = "decision_recorded"
    request_id: str
    version_id: str
    party_id: str
    decision: str
    decided_by: str
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeemedApproved(DomainEvent):
    """A party stayed silent until its deadline: silence is approval, effective at `deadline_at`."""

    kind: ClassVar[str] = "deemed_approved"
    request_id: str
    version_id: str
    party_id: str
    deadline_at: datetime


@dataclass(frozen=True, kw_only=True)
class RequestWithdrawn(DomainEvent):
    """An open request was withdrawn (version superseded or blocked, party gone)."""

    kind: ClassVar[str] = "request_withdrawn"
    request_id: str
    version_id: str
    party_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class VersionCleared(DomainEvent):
    """Every routed party approved the version, explicitly or tacitly; `outcomes` maps party id to state."""

    kind: ClassVar[str] = "version_cleared"
    version_id: str
    convention_id: str
    outcomes: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class VersionBlocked(DomainEvent):
    """A party objected: the version is blocked at once."""

    kind: ClassVar[str] = "version_blocked"
    version_id: str
    convention_id: str
    objecting_party_id: str
    reason: str
    outcomes: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class VersionSuperseded(DomainEvent):
    """A newer version replaced this one; its open requests are withdrawn."""

    kind: ClassVar[str] = "version_superseded"
    version_id: str
    convention_id: str
    superseded_by_version_id: str


@dataclass(frozen=True, kw_only=True)
class ClockOverridden(DomainEvent):
    """Someone moved the product's notion of "now" (demo, tests); refused in production."""

    kind: ClassVar[str] = "clock_overridden"
    now: datetime
    overridden_by: str
    environment: str


@dataclass(frozen=True, kw_only=True)
class ConventionLoaded(DomainEvent):
    """A convention file was loaded or reloaded; `sha256` identifies the exact file."""

    kind: ClassVar[str] = "convention_loaded"
    convention_id: str
    source: str
    sha256: str
    party_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PartyTerminationRecorded(DomainEvent):
    """A party asked to leave the convention; it stays active until `effective_on` (Article 9)."""

    kind: ClassVar[str] = "party_termination_recorded"
    convention_id: str
    party_id: str
    requested_on: date
    effective_on: date
    recorded_by: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.kind: cls
    for cls in (
        DraftSubmitted,
        LogoCheckCompleted,
        LogoOverrideRecorded,
        RequestOpened,
        RequestDelivered,
        DeliveryFailed,
        RequestResent,
        ReminderSent,
        DecisionRecorded,
        DeemedApproved,
        RequestWithdrawn,
        VersionCleared,
        VersionBlocked,
        VersionSuperseded,
        ClockOverridden,
        ConventionLoaded,
        PartyTerminationRecorded,
    )
}
