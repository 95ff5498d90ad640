"""The silence-period calculator: when does a partner's silence become approval (DESIGN.md section 2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comms_approval.domain.calendars import (
    BilingualHolidayCalendar,
    HolidayCalendar,
    calendar_for_territory,
    normalise_territory,
)
from comms_approval.domain.convention import DEFAULT_SILENCE_DAYS, DEFAULT_TIMEZONE, DeadlineRule

RULE_VERSION = "cpc-641-642/v1"
CALENDAR_RULE_VERSION = "calendar-days/v1"
RULE_VERSIONS: dict[DeadlineRule, str] = {
    DeadlineRule.CPC: RULE_VERSION,
    DeadlineRule.CALENDAR: CALENDAR_RULE_VERSION,
}

_SATURDAY = 5
_SUNDAY = 6


@dataclass(frozen=True)
class Extension:
    """One day the period was carried over, and why (French reason first, English for English readers)."""

    date: date
    reason: str
    reason_en: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"date": self.date.isoformat(), "reason": self.reason, "reason_en": self.reason_en}


@dataclass(frozen=True)
class Deadline:
    """A computed deadline with everything an auditor needs to recompute it later."""

    delivered_at: datetime
    delivered_local_date: date
    days: int
    rule: DeadlineRule
    rule_version: str
    territory: str
    timezone: str
    calendar: str
    last_day: date
    deadline: datetime
    extensions: tuple[Extension, ...]

    @property
    def nominal_last_day(self) -> date:
        """Day N of the count, before any extension."""
        return self.delivered_local_date + timedelta(days=self.days)

    def deadline_utc(self) -> datetime:
        return self.deadline.astimezone(UTC)

    def as_dict(self) -> dict[str, object]:
        return {
            "delivered_at": self.delivered_at.isoformat(),
            "delivered_local_date": self.delivered_local_date.isoformat(),
            "days": self.days,
            "rule": self.rule.value,
            "rule_version": self.rule_version,
            "territory": self.territory,
            "timezone": self.timezone,
            "calendar": self.calendar,
            "nominal_last_day": self.nominal_last_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "deadline": self.deadline.isoformat(),
            "deadline_utc": self.deadline_utc().isoformat(),
            "extensions": [extension.as_dict() for extension in self.extensions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Deadline:
        """Rebuild a stored deadline exactly as it was computed (no recomputation, no holiday lookup)."""
        extensions = data.get("extensions", [])
        if not isinstance(extensions, list):
            raise ValueError("extensions must be a list")
        return cls(
            delivered_at=datetime.fromisoformat(str(data["delivered_at"])),
            delivered_local_date=date.fromisoformat(str(data["delivered_local_date"])),
            days=int(str(data["days"])),
            rule=DeadlineRule(str(data["rule"])),
            rule_version=str(data["rule_version"]),
            territory=str(data["territory"]),
            timezone=str(data["timezone"]),
            calendar=str(data["calendar"]),
            last_day=date.fromisoformat(str(data["last_day"])),
            # Back in the stored zone, so local dates and offsets read as they did when computed.
            deadline=datetime.fromisoformat(str(data["deadline"])).astimezone(zone(str(data["timezone"]))),
            extensions=tuple(
                Extension(
                    date=date.fromisoformat(str(item["date"])),
                    reason=str(item["reason"]),
                    reason_en=str(item.get("reason_en", "")),
                )
                for item in extensions
            ),
        )


def zone(timezone: str) -> ZoneInfo:
    """Return the IANA zone, or raise ValueError naming the unknown zone."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc


def require_aware(instant: datetime, what: str) -> datetime:
    """Refuse naive datetimes: an instant without an offset is ambiguous across territories."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (give an offset such as +02:00 or Z)")
    return instant


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Return 00:00 local time of `day`, normalised (a zone whose DST starts at midnight skips it)."""
    # Round-tripping through UTC turns a non-existent wall time into the real instant with the right offset.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).astimezone(tz)


def _extension_reason(day: date, calendar: HolidayCalendar) -> tuple[str, str] | None:
    reasons_fr: list[str] = []
    reasons_en: list[str] = []
    if day.weekday() == _SATURDAY:
        reasons_fr.append("samedi")
        reasons_en.append("Saturday")
    elif day.weekday() == _SUNDAY:
        reasons_fr.append("dimanche")
        reasons_en.append("Sunday")
    holiday = calendar.holiday_name(day)
    if holiday is not None:
        reasons_fr.append(f"jour férié : {holiday}")
        name_en = calendar.holiday_name_en(day) if isinstance(calendar, BilingualHolidayCalendar) else None
        reasons_en.append(f"public holiday: {name_en or holiday}")
    if not reasons_fr:
        return None
    return " et ".join(reasons_fr), " and ".join(reasons_en)


def compute_deadline(
    delivered_at: datetime,
    *,
    days: int = DEFAULT_SILENCE_DAYS,
    rule: DeadlineRule = DeadlineRule.CPC,
    territory: str = "75",
    timezone: str = DEFAULT_TIMEZONE,
    calendar: HolidayCalendar | None = None,
) -> Deadline:
    """Compute the instant at which silence becomes approval for a request delivered at `delivered_at`.

    Day 0 is the local date of delivery and is not counted; the period ends at 24:00 local time on day
    `days`; under the `cpc` rule a Saturday, Sunday or public holiday carries it to the next working day.
    """
    require_aware(delivered_at, "delivered_at")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of at least 1, got {days!r}")
    rule = DeadlineRule(rule)
    code = normalise_territory(territory)
    tz = zone(timezone)
    holidays = calendar if calendar is not None else calendar_for_territory(code)

    delivered_utc = delivered_at.astimezone(UTC)
    day_zero = delivered_utc.astimezone(tz).date()
    last_day = day_zero + timedelta(days=days)
    extensions: list[Extension] = []
    if rule is DeadlineRule.CPC:
        while (reason := _extension_reason(last_day, holidays)) is not None:
            extensions.append(Extension(date=last_day, reason=reason[0], reason_en=reason[1]))
            last_day += timedelta(days=1)

    return Deadline(
        delivered_at=delivered_utc,
        delivered_local_date=day_zero,
        days=days,
        rule=rule,
        rule_version=RULE_VERSIONS[rule],
        territory=code,
        timezone=timezone,
        calendar=holidays.name,
        last_day=last_day,
        deadline=local_midnight(last_day + timedelta(days=1), tz),
        extensions=tuple(extensions),
    )


def silence_has_elapsed(deadline: Deadline | datetime, now: datetime) -> bool:
    """The one rule shared by the sweep and the decision path: silence is approval from the deadline on."""
    instant = deadline.deadline if isinstance(deadline, Deadline) else require_aware(deadline, "deadline")
    return require_aware(now, "now") >= instant
