"""Convention duration, tacit renewal and the effective date of a party's termination (Articles 7 and 9)."""

from __future__ import annotations

from datetime import date

import pytest

from comms_approval.domain.lifecycle import (
    add_months,
    convention_is_in_force,
    convention_period_end,
    party_is_active,
    school_year_of,
    termination_effective_date,
)


class TestSchoolYear:
    @pytest.mark.parametrize(
        ("day", "year"),
        [
            (date(2026, 8, 31), (2025, 2026)),
            (date(2026, 9, 1), (2026, 2027)),
            (date(2027, 1, 15), (2026, 2027)),
            (date(2026, 12, 31), (2026, 2027)),
        ],
    )
    def test_a_school_year_runs_from_one_september_to_thirty_one_august(
        self, day: date, year: tuple[int, int]
    ) -> None:
        assert school_year_of(day) == year


class TestTerminationEffectiveDate:
    @pytest.mark.parametrize(
        ("requested_on", "effective"),
        [
            (date(2026, 1, 10), date(2026, 9, 1)),  # well ahead: the next school year
            (date(2026, 5, 31), date(2026, 9, 1)),  # 31 May + 3 months = 31 August: notice respected
            (date(2026, 6, 1), date(2026, 9, 1)),  # exactly three months
            (date(2026, 6, 2), date(2027, 9, 1)),  # one day short of three months
            (date(2026, 7, 14), date(2027, 9, 1)),  # July: too late for this September
            (date(2026, 8, 31), date(2027, 9, 1)),  # last day of the school year
            (date(2026, 9, 1), date(2027, 9, 1)),  # first day of a school year: the next one
            (date(2026, 12, 15), date(2027, 9, 1)),
        ],
    )
    def test_termination_takes_effect_on_a_first_of_september_after_three_months_notice(
        self, requested_on: date, effective: date
    ) -> None:
        assert termination_effective_date(requested_on) == effective

    def test_a_longer_notice_can_push_the_date_by_a_year(self) -> None:
        assert termination_effective_date(date(2026, 1, 10), notice_months=9) == date(2027, 9, 1)

    def test_without_notice_the_next_school_year_is_enough(self) -> None:
        assert termination_effective_date(date(2026, 8, 31), notice_months=0) == date(2026, 9, 1)

    def test_a_negative_notice_is_refused(self) -> None:
        with pytest.raises(ValueError, match="notice_months"):
            termination_effective_date(date(2026, 1, 10), notice_months=-1)


class TestAddMonths:
    def test_a_missing_day_becomes_the_last_day_of_the_month(self) -> None:
        assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
        assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
        assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


class TestConventionPeriod:
    def test_a_three_year_convention_signed_on_one_september_ends_on_thirty_one_august(self) -> None:
        assert convention_period_end(date(2026, 9, 1), 3) == date(2029, 8, 31)

    def test_each_tacit_renewal_adds_the_same_duration(self) -> None:
        assert convention_period_end(date(2026, 9, 1), 3, renewals=2) == date(2035, 8, 31)

    def test_a_convention_signed_on_twenty_nine_february_runs_to_the_end_of_february(self) -> None:
        assert convention_period_end(date(2024, 2, 29), 1) == date(2025, 2, 28)
        assert convention_period_end(date(2024, 2, 29), 4) == date(2028, 2, 28)

    @pytest.mark.parametrize(("years", "renewals"), [(0, 0), (1, -1)])
    def test_nonsense_durations_are_refused(self, years: int, renewals: int) -> None:
        with pytest.raises(ValueError, match="must"):
            convention_period_end(date(2026, 9, 1), years, renewals)


class TestConventionInForce:
    signed = date(2026, 9, 1)

    def test_not_in_force_before_signature(self) -> None:
        assert not convention_is_in_force(self.signed, 3, True, date(2026, 8, 31))

    def test_without_tacit_renewal_it_ends_after_its_last_day(self) -> None:
        assert convention_is_in_force(self.signed, 3, False, date(2029, 8, 31))
        assert not convention_is_in_force(self.signed, 3, False, date(2029, 9, 1))

    def test_with_tacit_renewal_it_runs_on(self) -> None:
        assert convention_is_in_force(self.signed, 3, True, date(2040, 1, 1))

    def test_a_recorded_expiry_ends_it_from_that_day(self) -> None:
        expired = date(2032, 9, 1)
        assert convention_is_in_force(self.signed, 3, True, date(2032, 8, 31), expired_on=expired)
        assert not convention_is_in_force(self.signed, 3, True, expired, expired_on=expired)


class TestPartyIsActive:
    def test_a_party_without_termination_is_active(self) -> None:
        assert party_is_active(date(2030, 1, 1), None)

    def test_a_party_is_active_until_the_day_its_termination_takes_effect(self) -> None:
        assert party_is_active(date(2027, 8, 31), date(2027, 9, 1))
        assert not party_is_active(date(2027, 9, 1), date(2027, 9, 1))
