"""The outcome of a version, derived from the states of its requests."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from comms_approval.domain.requests import APPROVING_STATES, RequestState


class Outcome(StrEnum):
    """Whether a version may be published yet."""

    PENDING = "pending"
    CLEARED = "cleared"
    BLOCKED = "blocked"


def version_outcome(states: Iterable[RequestState]) -> Outcome:
    """Blocked at the first objection; cleared when every non-withdrawn request approves; else pending.

    Withdrawn requests do not count. A version with no counted request (none routed, or all withdrawn)
    stays pending: clearance needs at least one approval, so an empty routing can never publish a draft
    by accident; the submission service refuses such a version instead. An undeliverable request keeps
    the version pending until it is resent and answered (no delivery, no clock).
    """
    counted = [state for state in states if state is not RequestState.WITHDRAWN]
    if RequestState.OBJECTED in counted:
        return Outcome.BLOCKED
    if counted and all(state in APPROVING_STATES for state in counted):
        return Outcome.CLEARED
    return Outcome.PENDING
