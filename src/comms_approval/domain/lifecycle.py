"""Convention and party lifecycle dates: duration, tacit renewal and terminations (Articles 7 and 9)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

SCHOOL_YEAR_START_MONTH = 9


def school_year_of(day: date) -> tuple[int, int]:
    """Return the school year (1 September to 31 August) containing `day`, e.g. (2026, 2027)."""
    first = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return first, first + 1


def add_months(day: date, months: int) -> date:
    """Add calendar months; a day missing from the target month becomes its last day (31 May + 3 = 31 Aug)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def termination_effective_date(requested_on: date, notice_months: int = 3) -> date:
    """Return the 1 September on which a party's termination takes effect.

    It is the start of a school year after the one in which termination was requested, and at least
    `notice_months` after the request (a request in July or August therefore waits one more year).
    """
    if notice_months < 0:
        raise ValueError(f"notice_months must not be negative, got {notice_months}")
    effective = date(school_year_of(requested_on)[1], SCHOOL_YEAR_START_MONTH, 1)
    earliest = add_months(requested_on, notice_months)
    while effective < earliest:
        effective = effective.replace(year=effective.year + 1)
    return effective


def _anniversary(signed_on: date, years: int) -> date:
    # A convention signed on 29 February runs to the end of February in common years (the day before 1 March).
    try:
        return signed_on.replace(year=signed_on.year + years)
    except ValueError:
        return date(signed_on.year + years, 3, 1)


def convention_period_end(signed_on: date, duration_years: int, renewals: int = 0) -> date:
    """Return the last day in force of the initial period followed by `renewals` tacit renewals.

    Signed on 1 September 2026 for 3 years: the initial period ends on 31 August 2029 (inclusive).
    """
    if duration_years < 1:
        raise ValueError(f"duration_years must be at least 1, got {duration_years}")
    if renewals < 0:
        raise ValueError(f"renewals must not be negative, got {renewals}")
    return _anniversary(signed_on, duration_years * (renewals + 1)) - timedelta(days=1)


def convention_is_in_force(
    signed_on: date,
    duration_years: int,
    tacit_renewal: bool,
    on: date,
    expired_on: date | None = None,
) -> bool:
    """Tell whether the convention applies on `on`.

    `expired_on` is the first day on which it no longer applies (recorded when a party stopped the tacit
    renewal, or the parties ended it); with tacit renewal and no such date it runs on indefinitely.
    """
    if on < signed_on:
        return False
    if expired_on is not None and on >= expired_on:
        return False
    if tacit_renewal:
        return True
    return on <= convention_period_end(signed_on, duration_years)


def party_is_active(on: date, termination_effective: date | None) -> bool:
    """A party is routed until the day its termination takes effect."""
    return termination_effective is None or on < termination_effective
