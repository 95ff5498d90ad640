"""When silent parties are reminded (DESIGN.md section 2, "Reminders")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comms_approval.domain.convention import ReminderSchedule
from comms_approval.domain.deadlines import compute_deadline
from comms_approval.domain.reminders import ReminderSlot, due_reminder, reminder_slots


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


DEADLINE = compute_deadline(at("2026-04-23T10:00:00+02:00"))
SLOTS = reminder_slots(DEADLINE, ReminderSchedule())
AFTER_7 = ReminderSlot("after-7d", at("2026-04-30T08:00:00+00:00"))
BEFORE_2 = ReminderSlot("before-2d", at("2026-05-09T22:00:00+00:00"))


class TestReminderSlots:
    def test_default_schedule_gives_seven_days_after_delivery_and_two_days_before_the_deadline(self) -> None:
        assert SLOTS == (AFTER_7, BEFORE_2)
        assert all(slot.due_at.tzinfo is UTC for slot in SLOTS)

    def test_after_delivery_slots_keep_the_local_time_across_a_daylight_saving_change(self) -> None:
        deadline = compute_deadline(at("2026-03-25T10:00:00+01:00"))

        slots = reminder_slots(deadline, ReminderSchedule(after_delivery_days=(7,), before_deadline_days=()))

        assert slots == (ReminderSlot("after-7d", at("2026-04-01T10:00:00+02:00")),)

    def test_slots_outside_the_period_are_dropped_and_the_rest_are_sorted(self) -> None:
        schedule = ReminderSchedule(after_delivery_days=(20, 0, 3), before_deadline_days=(1, 30))

        keys = [slot.key for slot in reminder_slots(DEADLINE, schedule)]

        assert keys == ["after-3d", "before-1d"]

    def test_a_slot_listed_twice_is_planned_once(self) -> None:
        schedule = ReminderSchedule(after_delivery_days=(7, 7), before_deadline_days=())

        assert reminder_slots(DEADLINE, schedule) == (AFTER_7,)


class TestDueReminder:
    def test_nothing_is_due_before_the_first_slot(self) -> None:
        assert due_reminder(SLOTS, set(), at("2026-04-30T07:59:59+00:00"), DEADLINE) is None

    def test_the_first_slot_is_due_at_its_time(self) -> None:
        assert due_reminder(SLOTS, set(), AFTER_7.due_at, DEADLINE) == AFTER_7

    def test_a_slot_already_sent_is_not_sent_twice(self) -> None:
        assert due_reminder(SLOTS, {"after-7d"}, at("2026-05-02T10:00:00+00:00"), DEADLINE) is None

    def test_the_next_slot_is_due_once_its_time_comes(self) -> None:
        assert due_reminder(SLOTS, {"after-7d"}, BEFORE_2.due_at, DEADLINE.deadline) == BEFORE_2

    def test_a_sweep_that_was_down_sends_only_the_latest_missed_slot(self) -> None:
        assert due_reminder(SLOTS, set(), at("2026-05-11T12:00:00+00:00"), DEADLINE) == BEFORE_2

    def test_an_earlier_slot_is_not_sent_after_a_later_one(self) -> None:
        assert due_reminder(SLOTS, {"before-2d"}, at("2026-05-11T12:00:00+00:00"), DEADLINE) is None

    def test_no_reminder_at_or_after_the_deadline(self) -> None:
        assert due_reminder(SLOTS, set(), DEADLINE.deadline, DEADLINE) is None
        assert due_reminder(SLOTS, set(), at("2026-06-01T00:00:00+00:00"), DEADLINE) is None

    def test_two_slots_due_at_the_same_instant_give_one_reminder(self) -> None:
        twin = ReminderSlot("after-17d", BEFORE_2.due_at)
        slots = (AFTER_7, BEFORE_2, twin)

        first = due_reminder(slots, {"after-7d"}, BEFORE_2.due_at, DEADLINE)

        assert first is not None
        assert due_reminder(slots, {"after-7d", first.key}, BEFORE_2.due_at, DEADLINE) is None

    def test_a_naive_now_or_deadline_is_refused(self) -> None:
        with pytest.raises(ValueError, match="now"):
            due_reminder(SLOTS, set(), datetime(2026, 5, 1), DEADLINE)  # noqa: DTZ001 - the point of the test
        with pytest.raises(ValueError, match="deadline"):
            due_reminder(SLOTS, set(), AFTER_7.due_at, datetime(2026, 5, 12))  # noqa: DTZ001
