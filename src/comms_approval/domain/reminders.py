"""When to remind a silent party: the slots of a schedule and the one reminder due now, if any."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from comms_approval.domain.convention import ReminderSchedule
from comms_approval.domain.deadlines import Deadline, require_aware, zone


@dataclass(frozen=True)
class ReminderSlot:
    """One planned reminder: a stable key (idempotency: never twice for the same slot) and when it is due."""

    key: str
    due_at: datetime


def _shift_wall_clock(instant: datetime, days: int, timezone: str) -> datetime:
    # Local wall-clock arithmetic: "7 days after 10:00" stays 10:00 across a DST change.
    local = instant.astimezone(zone(timezone))
    return (local + timedelta(days=days)).astimezone(UTC)


def reminder_slots(deadline: Deadline, schedule: ReminderSchedule) -> tuple[ReminderSlot, ...]:
    """Return the slots of one request, sorted; only those strictly between delivery and deadline.

    `after-N`: N days after delivery, same local time; `before-N`: N days before the deadline, same local time
    (so 00:00 local on the day N days before the day after the last day).
    """
    candidates: dict[str, datetime] = {}
    for days in schedule.after_delivery_days:
        candidates[f"after-{days}d"] = _shift_wall_clock(deadline.delivered_at, days, deadline.timezone)
    for days in schedule.before_deadline_days:
        candidates[f"before-{days}d"] = _shift_wall_clock(deadline.deadline, -days, deadline.timezone)
    start, end = deadline.delivered_at, deadline.deadline
    slots = (ReminderSlot(key, due_at) for key, due_at in candidates.items() if start < due_at < end)
    return tuple(sorted(slots, key=lambda slot: (slot.due_at, slot.key)))


def due_reminder(
    slots: Iterable[ReminderSlot],
    sent_keys: Collection[str],
    now: datetime,
    deadline: Deadline | datetime,
) -> ReminderSlot | None:
    """Return the reminder to send now, or None.

    Only the latest slot already due counts, and only if neither it nor any slot due at the same time or
    later was sent: a sweep that was down for a while sends one reminder, not a burst. Nothing is sent at or
    after the deadline, when silence has already become approval.
    """
    require_aware(now, "now")
    end = deadline.deadline if isinstance(deadline, Deadline) else require_aware(deadline, "deadline")
    if now >= end:
        return None
    ordered = sorted(slots, key=lambda slot: (slot.due_at, slot.key))
    due = [slot for slot in ordered if slot.due_at <= now]
    if not due:
        return None
    latest = due[-1]
    if any(slot.key in sent_keys and slot.due_at >= latest.due_at for slot in ordered):
        return None
    return latest
