"""Conventions and parties as values: who may approve, submit and audit."""

from __future__ import annotations

from datetime import date

import pytest

from comms_approval.domain.convention import (
    KNOWN_TERRITORIES,
    Convention,
    DeadlineRule,
    Party,
    ReminderSchedule,
)

CAF = Party(id="caf", name="Caisse d'allocations familiales", short_name="CAF",
            approvers=("Direction@caf.example.fr",), officers=("Com@caf.example.fr",))  # fmt: skip
DSDEN = Party(id="dsden", name="DSDEN", short_name="DSDEN", approvers=("ia@dsden.example.fr",))
CONVENTION = Convention(
    id="demo", title="Convention", territory="75", parties=(CAF, DSDEN), signed_on=date(2026, 9, 1),
    duration_years=3, auditors=("Audit@example.fr",),
)  # fmt: skip


class TestParty:
    def test_any_listed_approver_may_approve_whatever_the_case(self) -> None:
        assert CAF.may_approve("direction@CAF.example.fr")
        assert not CAF.may_approve("someone@caf.example.fr")

    def test_only_officers_may_submit(self) -> None:
        assert CAF.may_submit("com@caf.example.fr")
        assert not DSDEN.may_submit("com@caf.example.fr")


class TestConvention:
    def test_defaults_follow_the_design(self) -> None:
        assert CONVENTION.timezone == "Europe/Paris"
        assert CONVENTION.silence_days == 15
        assert CONVENTION.deadline_rule is DeadlineRule.CPC
        assert CONVENTION.reminders == ReminderSchedule(after_delivery_days=(7,), before_deadline_days=(2,))
        assert CONVENTION.tacit_renewal

    def test_parties_are_found_by_id(self) -> None:
        assert CONVENTION.party("dsden") is DSDEN
        assert CONVENTION.party_ids() == ("caf", "dsden")
        with pytest.raises(KeyError):
            CONVENTION.party("cd")

    def test_an_officer_belongs_to_the_parties_listing_them(self) -> None:
        assert CONVENTION.officer_parties("COM@caf.example.fr") == (CAF,)
        assert CONVENTION.officer_parties("nobody@example.fr") == ()

    def test_auditors_are_recognised_whatever_the_case(self) -> None:
        assert CONVENTION.is_auditor("audit@example.fr")
        assert not CONVENTION.is_auditor("direction@caf.example.fr")

    def test_known_territories_cover_metropolitan_corsica_and_overseas_codes(self) -> None:
        assert {"01", "75", "95", "2A", "2B", "971", "975", "976"} <= KNOWN_TERRITORIES
        assert "20" not in KNOWN_TERRITORIES
        assert "96" not in KNOWN_TERRITORIES
