"""Public-holiday calendars of the French territories, on top of the maintained `holidays` library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from holidays.utils import country_holidays
from holidays.version import __version__ as _holidays_version

from comms_approval.domain.convention import DEFAULT_TIMEZONE, KNOWN_TERRITORIES

HOLIDAYS_VERSION: str = _holidays_version

# Each overseas territory keeps its own legal time; metropolitan France (Corsica included) uses Paris time.
DEFAULT_TIMEZONES: dict[str, str] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
}

# Territory code -> (subdivision of `holidays.France`, human label). Metropolitan départements other than
# Alsace-Moselle use the national calendar (subdivision None).
_SUBDIVISIONS: dict[str, tuple[str, str]] = {
    "57": ("57", "Alsace-Moselle"),
    # The library groups Bas-Rhin and Haut-Rhin under "6AE" (Alsace); their local law days equal Moselle's.
    "67": ("6AE", "Alsace-Moselle"),
    "68": ("6AE", "Alsace-Moselle"),
    "971": ("971", "Guadeloupe"),
    "972": ("972", "Martinique"),
    "973": ("973", "Guyane"),
    "974": ("974", "La Réunion"),
    "975": ("PM", "Saint-Pierre-et-Miquelon"),
    "976": ("976", "Mayotte"),
}


class HolidayCalendar(Protocol):
    """Tells whether a local date is a public holiday of one territory, and which."""

    @property
    def name(self) -> str:
        """Library, version and subdivision, e.g. "holidays 0.109 France subdiv=57 (Alsace-Moselle)"."""
        ...

    def holiday_name(self, day: date) -> str | None:
        """Return the French name of the public holiday on `day`, or None on an ordinary day."""
        ...


@runtime_checkable
class BilingualHolidayCalendar(Protocol):
    """A calendar that can also name its holidays in English (used for English explanations)."""

    @property
    def name(self) -> str: ...

    def holiday_name(self, day: date) -> str | None: ...

    def holiday_name_en(self, day: date) -> str | None: ...


def normalise_territory(territory: str) -> str:
    """Return the canonical territory code ("2a" -> "2A"), or raise ValueError when it is unknown."""
    code = territory.strip().upper()
    if code not in KNOWN_TERRITORIES:
        raise ValueError(
            f"unknown territory {territory!r}: expected a French département code such as 75 or 971"
        )
    return code


def default_timezone(territory: str) -> str:
    """Return the legal time zone of a territory (Europe/Paris outside the overseas territories)."""
    return DEFAULT_TIMEZONES.get(normalise_territory(territory), DEFAULT_TIMEZONE)


@lru_cache(maxsize=512)
def _holidays_of_year(subdivision: str | None, year: int, language: str) -> Mapping[date, str]:
    # One immutable snapshot per (territory, year): the library's lazy year expansion mutates its object,
    # so sharing a frozen copy keeps lookups pure and safe across threads.
    table = country_holidays(
        "FR",
        subdiv=subdivision,
        years=year,
        language=language,
        categories=("public",),
    )
    return MappingProxyType(dict(table.items()))


@dataclass(frozen=True)
class FrenchHolidayCalendar:
    """The public holidays of one French territory as published by the `holidays` library."""

    territory: str
    subdivision: str | None
    name: str

    def holiday_name(self, day: date) -> str | None:
        return _holidays_of_year(self.subdivision, day.year, "fr").get(day)

    def holiday_name_en(self, day: date) -> str | None:
        return _holidays_of_year(self.subdivision, day.year, "en_US").get(day)


def calendar_for_territory(territory: str) -> FrenchHolidayCalendar:
    """Return the holiday calendar of a territory; raise ValueError for an unknown code."""
    code = normalise_territory(territory)
    subdivision, label = _SUBDIVISIONS.get(code, (None, "métropole"))
    suffix = f"subdiv={subdivision} ({label})" if subdivision else "(métropole)"
    return FrenchHolidayCalendar(
        territory=code,
        subdivision=subdivision,
        name=f"holidays {HOLIDAYS_VERSION} France {suffix}",
    )
