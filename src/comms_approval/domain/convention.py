"""Conventions and their parties as pure values (Articles 6-9 of the partnership convention)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DEFAULT_SILENCE_DAYS = 15
DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_MIN_LOGO_WIDTH_MM = 10.0

METROPOLITAN_DEPARTEMENTS = frozenset([f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"])
OVERSEAS_DEPARTEMENTS = frozenset({"971", "972", "973", "974", "976"})
# 975 (Saint-Pierre-et-Miquelon) is a collectivity, not a département, but conventions there use the code.
OVERSEAS_TERRITORIES = OVERSEAS_DEPARTEMENTS | {"975"}
KNOWN_TERRITORIES = METROPOLITAN_DEPARTEMENTS | OVERSEAS_TERRITORIES


class DeadlineRule(enum.StrEnum):
    """How the silence period is counted (DESIGN.md section 2)."""

    CPC = "cpc"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class ReminderSchedule:
    """When silent parties are reminded: N days after delivery, and N days before the deadline."""

    after_delivery_days: tuple[int, ...] = (7,)
    before_deadline_days: tuple[int, ...] = (2,)


@dataclass(frozen=True)
class RetentionYears:
    """How long a convention keeps documents (after conclusion), evidence and technical logs (Article 6)."""

    documents_years: int = 3
    evidence_years: int = 10
    logs_years: int = 1


@dataclass(frozen=True)
class Party:
    """An institution that signed the convention; people act for it through its rosters."""

    id: str
    name: str
    short_name: str
    approvers: tuple[str, ...]
    officers: tuple[str, ...] = ()
    logos: tuple[Path, ...] = ()
    obsolete_logos: tuple[Path, ...] = ()
    aliases: tuple[str, ...] = ()
    language: str = "fr"
    min_logo_width_mm: float = DEFAULT_MIN_LOGO_WIDTH_MM

    def may_approve(self, address: str) -> bool:
        return address.casefold() in {a.casefold() for a in self.approvers}

    def may_submit(self, address: str) -> bool:
        return address.casefold() in {a.casefold() for a in self.officers}


@dataclass(frozen=True)
class Convention:
    """A signed partnership convention: its parties, territory, calendar and silence rules."""

    id: str
    title: str
    territory: str
    parties: tuple[Party, ...]
    signed_on: date
    duration_years: int
    tacit_renewal: bool = True
    timezone: str = DEFAULT_TIMEZONE
    silence_days: int = DEFAULT_SILENCE_DAYS
    deadline_rule: DeadlineRule = DeadlineRule.CPC
    reminders: ReminderSchedule = field(default_factory=ReminderSchedule)
    auditors: tuple[str, ...] = ()
    retention: RetentionYears | None = None
    source: Path | None = None

    def party(self, party_id: str) -> Party:
        for party in self.parties:
            if party.id == party_id:
                return party
        raise KeyError(party_id)

    def party_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parties)

    def officer_parties(self, address: str) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.may_submit(address))

    def is_auditor(self, address: str) -> bool:
        return address.casefold() in {a.casefold() for a in self.auditors}
