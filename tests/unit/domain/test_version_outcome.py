"""How a version's outcome follows from its requests (DESIGN.md section 1, point 6)."""

from __future__ import annotations

import pytest

from comms_approval.domain.outcome import Outcome, version_outcome
from comms_approval.domain.requests import RequestState as R


class TestVersionOutcome:
    def test_version_is_blocked_at_the_first_objection_even_if_others_are_still_open(self) -> None:
        assert version_outcome([R.AWAITING, R.OBJECTED, R.PENDING_DELIVERY]) is Outcome.BLOCKED

    def test_version_is_blocked_when_the_other_requests_were_withdrawn_after_an_objection(self) -> None:
        assert version_outcome([R.OBJECTED, R.WITHDRAWN, R.WITHDRAWN]) is Outcome.BLOCKED

    def test_version_is_cleared_when_every_party_approves_explicitly_or_tacitly(self) -> None:
        assert version_outcome([R.APPROVED, R.APPROVED_WITH_REMARKS, R.DEEMED_APPROVED]) is Outcome.CLEARED

    def test_withdrawn_requests_do_not_prevent_clearance(self) -> None:
        assert version_outcome(iter([R.APPROVED, R.WITHDRAWN])) is Outcome.CLEARED

    @pytest.mark.parametrize("open_state", [R.PENDING_DELIVERY, R.AWAITING, R.UNDELIVERABLE])
    def test_one_open_or_undeliverable_request_keeps_the_version_pending(self, open_state: R) -> None:
        assert version_outcome([R.APPROVED, open_state]) is Outcome.PENDING

    @pytest.mark.parametrize("states", [[], [R.WITHDRAWN, R.WITHDRAWN]], ids=["none", "all-withdrawn"])
    def test_a_version_without_a_counted_request_is_never_cleared(self, states: list[R]) -> None:
        assert version_outcome(states) is Outcome.PENDING
