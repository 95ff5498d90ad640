"""Invariants of the deadline calculator, checked on generated deliveries (hypothesis)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from comms_approval.domain.calendars import calendar_for_territory, default_timezone
from comms_approval.domain.convention import DeadlineRule
from comms_approval.domain.deadlines import compute_deadline

TERRITORIES = ["75", "57", "67", "2A", "971", "972", "973", "974", "975", "976"]

deliveries = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2060, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
territories = st.sampled_from(TERRITORIES)
day_counts = st.integers(min_value=1, max_value=60)

moderate = settings(max_examples=150, deadline=None)


@moderate
@given(delivered=deliveries, territory=territories, days=day_counts)
def test_with_cpc_the_last_day_is_never_a_weekend_or_a_holiday(
    delivered: datetime, territory: str, days: int
) -> None:
    deadline = compute_deadline(
        delivered, days=days, territory=territory, timezone=default_timezone(territory)
    )

    assert deadline.last_day.weekday() < 5
    assert calendar_for_territory(territory).holiday_name(deadline.last_day) is None
    # Every day between day N and the last day is a recorded extension, and nothing else is.
    expected = [deadline.nominal_last_day + timedelta(days=n) for n in range(len(deadline.extensions))]
    assert [e.date for e in deadline.extensions] == expected
    assert deadline.nominal_last_day + timedelta(days=len(deadline.extensions)) == deadline.last_day


@moderate
@given(delivered=deliveries, territory=territories, days=day_counts)
def test_cpc_deadline_is_never_earlier_than_the_calendar_deadline(
    delivered: datetime, territory: str, days: int
) -> None:
    tz = default_timezone(territory)
    cpc = compute_deadline(delivered, days=days, territory=territory, timezone=tz)
    calendar = compute_deadline(
        delivered, days=days, territory=territory, timezone=tz, rule=DeadlineRule.CALENDAR
    )

    assert cpc.deadline >= calendar.deadline
    assert calendar.last_day == calendar.nominal_last_day
    assert calendar.deadline.astimezone(calendar.deadline.tzinfo).time().hour == 0


@moderate
@given(
    delivered=deliveries,
    later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    territory=territories,
    rule=st.sampled_from(DeadlineRule),
)
def test_a_later_delivery_never_gives_an_earlier_deadline(
    delivered: datetime, later_by: timedelta, territory: str, rule: DeadlineRule
) -> None:
    tz = default_timezone(territory)
    first = compute_deadline(delivered, territory=territory, timezone=tz, rule=rule)
    second = compute_deadline(delivered + later_by, territory=territory, timezone=tz, rule=rule)

    assert second.deadline >= first.deadline


@settings(max_examples=40, deadline=None)
@given(
    delivered=deliveries,
    territory=territories,
    machine_tz=st.sampled_from(["America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati", "Europe/Paris"]),
)
def test_the_result_does_not_depend_on_the_machine_time_zone(
    delivered: datetime, territory: str, machine_tz: str
) -> None:
    tz = default_timezone(territory)
    saved = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "UTC"
        time.tzset()
        reference = compute_deadline(delivered, territory=territory, timezone=tz)

        os.environ["TZ"] = machine_tz
        time.tzset()
        assert time.tzname != ("UTC", "UTC")  # the process zone really changed
        assert compute_deadline(delivered, territory=territory, timezone=tz).as_dict() == reference.as_dict()
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
