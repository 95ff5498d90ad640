"""Specification of the silence-period calculator (DESIGN.md section 2, issue 2 point 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from comms_approval.domain.calendars import calendar_for_territory
from comms_approval.domain.convention import DeadlineRule
from comms_approval.domain.deadlines import (
    CALENDAR_RULE_VERSION,
    RULE_VERSION,
    Deadline,
    Extension,
    compute_deadline,
    local_midnight,
    silence_has_elapsed,
    zone,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def extension_dates(deadline: Deadline) -> list[str]:
    return [extension.date.isoformat() for extension in deadline.extensions]


class TestWorkedExample:
    """Delivered Thursday 23 April 2026: 8 May is a holiday, then a weekend."""

    def test_deadline_is_tuesday_twelve_may_at_midnight_paris_time(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"), territory="75")

        assert deadline.delivered_local_date == date(2026, 4, 23)
        assert deadline.nominal_last_day == date(2026, 5, 8)
        assert deadline.last_day == date(2026, 5, 11)
        assert deadline.deadline.isoformat() == "2026-05-12T00:00:00+02:00"
        assert deadline.deadline_utc() == datetime(2026, 5, 11, 22, 0, tzinfo=UTC)

    def test_each_extension_states_its_reason_in_french_and_english(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"))

        assert deadline.extensions == (
            Extension(date(2026, 5, 8), "jour férié : Fête de la Victoire", "public holiday: Victory Day"),
            Extension(date(2026, 5, 9), "samedi", "Saturday"),
            Extension(date(2026, 5, 10), "dimanche", "Sunday"),
        )

    def test_result_records_rule_version_calendar_and_time_zone_for_auditors(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"))

        assert deadline.rule is DeadlineRule.CPC
        assert deadline.rule_version == RULE_VERSION
        assert deadline.territory == "75"
        assert deadline.timezone == "Europe/Paris"
        assert deadline.calendar.startswith("holidays ")
        assert "France" in deadline.calendar
        assert deadline.delivered_at == datetime(2026, 4, 23, 8, 0, tzinfo=UTC)
        assert deadline.delivered_at.tzinfo is UTC

    def test_stored_form_is_json_ready_and_round_trips(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"))
        stored = deadline.as_dict()

        assert stored["last_day"] == "2026-05-11"
        assert stored["deadline"] == "2026-05-12T00:00:00+02:00"
        assert stored["deadline_utc"] == "2026-05-11T22:00:00+00:00"
        assert stored["extensions"] == [
            {
                "date": "2026-05-08",
                "reason": "jour férié : Fête de la Victoire",
                "reason_en": "public holiday: Victory Day",
            },
            {"date": "2026-05-09", "reason": "samedi", "reason_en": "Saturday"},
            {"date": "2026-05-10", "reason": "dimanche", "reason_en": "Sunday"},
        ]
        rebuilt = Deadline.from_dict(stored)
        assert rebuilt == deadline
        assert rebuilt.deadline.utcoffset() == timedelta(hours=2)
        assert rebuilt.as_dict() == stored

    def test_a_stored_form_without_a_list_of_extensions_is_refused(self) -> None:
        stored = compute_deadline(at("2026-04-23T10:00:00+02:00")).as_dict()
        stored["extensions"] = "none"

        with pytest.raises(ValueError, match="extensions"):
            Deadline.from_dict(stored)

    def test_a_stored_form_from_before_english_reasons_still_loads(self) -> None:
        stored = compute_deadline(at("2026-04-23T10:00:00+02:00")).as_dict()
        stored["extensions"] = [{"date": "2026-05-08", "reason": "jour férié : Victoire 1945"}]

        assert Deadline.from_dict(stored).extensions == (
            Extension(date(2026, 5, 8), "jour férié : Victoire 1945"),
        )


class TestDayZeroIsTheLocalDateOfDelivery:
    def test_delivery_just_after_midnight_in_paris_counts_from_that_paris_day(self) -> None:
        # 22:30 UTC on 22 April is 00:30 on 23 April in Paris.
        deadline = compute_deadline(at("2026-04-22T22:30:00+00:00"))

        assert deadline.delivered_local_date == date(2026, 4, 23)
        assert deadline.last_day == date(2026, 5, 11)

    def test_delivery_just_before_midnight_in_paris_counts_from_the_day_before(self) -> None:
        deadline = compute_deadline(at("2026-04-22T21:59:00+00:00"))

        assert deadline.delivered_local_date == date(2026, 4, 22)
        assert deadline.last_day == date(2026, 5, 7)
        assert deadline.deadline.isoformat() == "2026-05-08T00:00:00+02:00"
        assert deadline.extensions == ()


class TestDaylightSavingTime:
    def test_spring_change_between_delivery_and_deadline_gives_a_summer_time_deadline(self) -> None:
        deadline = compute_deadline(at("2026-03-20T10:00:00+01:00"))

        assert deadline.last_day == date(2026, 4, 7)
        assert deadline.deadline.isoformat() == "2026-04-08T00:00:00+02:00"
        assert extension_dates(deadline) == ["2026-04-04", "2026-04-05", "2026-04-06"]

    def test_delivery_in_the_night_of_the_spring_change_counts_from_that_day(self) -> None:
        deadline = compute_deadline(at("2026-03-29T03:30:00+02:00"))

        assert deadline.delivered_local_date == date(2026, 3, 29)
        assert deadline.last_day == date(2026, 4, 13)

    def test_autumn_change_between_delivery_and_deadline_gives_a_winter_time_deadline(self) -> None:
        deadline = compute_deadline(at("2026-10-20T10:00:00+02:00"))

        assert deadline.last_day == date(2026, 11, 4)
        assert deadline.deadline.isoformat() == "2026-11-05T00:00:00+01:00"

    @pytest.mark.parametrize("offset", ["+02:00", "+01:00"])
    def test_both_occurrences_of_the_repeated_autumn_hour_belong_to_the_same_day(self, offset: str) -> None:
        deadline = compute_deadline(at(f"2026-10-25T02:30:00{offset}"))

        assert deadline.delivered_local_date == date(2026, 10, 25)
        assert deadline.last_day == date(2026, 11, 9)

    def test_midnight_that_does_not_exist_becomes_the_first_real_instant_of_the_day(self) -> None:
        # Chile skips from 00:00 to 01:00 when its summer time starts (7 September 2025).
        santiago = zone("America/Santiago")
        midnight = local_midnight(date(2025, 9, 7), santiago)

        assert midnight.isoformat() == "2025-09-07T01:00:00-03:00"
        assert midnight.astimezone(UTC) == datetime(2025, 9, 7, 4, 0, tzinfo=UTC)


class TestEachKindOfHoliday:
    @pytest.mark.parametrize(
        ("delivered", "holiday", "name", "last_day"),
        [
            ("2026-06-29T10:00:00+02:00", "2026-07-14", "Fête nationale", date(2026, 7, 15)),
            ("2026-10-27T10:00:00+01:00", "2026-11-11", "Armistice", date(2026, 11, 12)),
            ("2026-03-22T10:00:00+01:00", "2026-04-06", "Lundi de Pâques", date(2026, 4, 7)),
            ("2026-04-29T10:00:00+02:00", "2026-05-14", "Ascension", date(2026, 5, 15)),
            ("2026-05-10T10:00:00+02:00", "2026-05-25", "Lundi de Pentecôte", date(2026, 5, 26)),
        ],
        ids=["fixed-14-july", "fixed-11-november", "easter-monday", "ascension", "whit-monday"],
    )
    def test_a_holiday_on_the_last_day_extends_to_the_next_working_day(
        self, delivered: str, holiday: str, name: str, last_day: date
    ) -> None:
        deadline = compute_deadline(at(delivered), territory="75")

        assert deadline.last_day == last_day
        assert extension_dates(deadline) == [holiday]
        assert deadline.extensions[0].reason == f"jour férié : {name}"


class TestAlsaceMoselle:
    def test_good_friday_extends_in_moselle_but_not_in_paris(self) -> None:
        delivered = at("2026-03-19T10:00:00+01:00")

        moselle = compute_deadline(delivered, territory="57")
        paris = compute_deadline(delivered, territory="75")

        assert paris.last_day == date(2026, 4, 3)
        assert moselle.last_day == date(2026, 4, 7)
        assert moselle.extensions[0] == Extension(
            date(2026, 4, 3), "jour férié : Vendredi saint", "public holiday: Good Friday"
        )
        assert "subdiv=57" in moselle.calendar

    @pytest.mark.parametrize("territory", ["67", "68"])
    def test_saint_stephens_day_extends_in_alsace_but_not_in_paris(self, territory: str) -> None:
        delivered = at("2025-12-11T10:00:00+01:00")

        alsace = compute_deadline(delivered, territory=territory)
        paris = compute_deadline(delivered, territory="75")

        assert paris.last_day == date(2025, 12, 26)
        assert alsace.last_day == date(2025, 12, 29)
        assert alsace.extensions[0].reason == "jour férié : Saint-Étienne"
        assert "Alsace-Moselle" in alsace.calendar


class TestOverseasTerritories:
    def test_guadeloupe_counts_in_its_own_time_zone_and_observes_abolition_day(self) -> None:
        deadline = compute_deadline(
            at("2026-05-12T23:30:00-04:00"), territory="971", timezone="America/Guadeloupe"
        )

        # 23:30 in Guadeloupe is already 13 May in Paris: the local date decides.
        assert deadline.delivered_local_date == date(2026, 5, 12)
        assert deadline.last_day == date(2026, 5, 28)
        assert deadline.extensions[0].reason == "jour férié : Abolition de l'esclavage"
        assert deadline.deadline.isoformat() == "2026-05-29T00:00:00-04:00"

    def test_the_same_delivery_in_paris_ignores_guadeloupe_abolition_day(self) -> None:
        deadline = compute_deadline(at("2026-05-12T10:00:00-04:00"), territory="75")

        assert deadline.last_day == date(2026, 5, 27)

    def test_martinique_abolition_day_then_weekend_then_whit_monday(self) -> None:
        deadline = compute_deadline(
            at("2026-05-07T10:00:00-04:00"), territory="972", timezone="America/Martinique"
        )

        assert extension_dates(deadline) == ["2026-05-22", "2026-05-23", "2026-05-24", "2026-05-25"]
        assert deadline.deadline.isoformat() == "2026-05-27T00:00:00-04:00"

    def test_reunion_counts_in_its_own_time_zone_and_observes_twenty_december(self) -> None:
        deadline = compute_deadline(
            at("2027-12-05T10:00:00+04:00"), territory="974", timezone="Indian/Reunion"
        )

        assert deadline.last_day == date(2027, 12, 21)
        assert deadline.extensions[0].date == date(2027, 12, 20)
        assert deadline.deadline.isoformat() == "2027-12-22T00:00:00+04:00"
        assert deadline.deadline_utc() == datetime(2027, 12, 21, 20, 0, tzinfo=UTC)


class TestCalendarRule:
    def test_calendar_rule_never_extends(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"), rule=DeadlineRule.CALENDAR)

        assert deadline.last_day == date(2026, 5, 8)
        assert deadline.extensions == ()
        assert deadline.deadline.isoformat() == "2026-05-09T00:00:00+02:00"
        assert deadline.rule_version == CALENDAR_RULE_VERSION

    def test_the_rule_may_be_given_by_its_name(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"), rule="calendar")  # type: ignore[arg-type]

        assert deadline.rule is DeadlineRule.CALENDAR


class TestOtherDayCounts:
    def test_one_day_period_from_a_friday_ends_on_monday(self) -> None:
        deadline = compute_deadline(at("2026-04-24T10:00:00+02:00"), days=1)

        assert deadline.last_day == date(2026, 4, 27)
        assert [e.reason for e in deadline.extensions] == ["samedi", "dimanche"]

    def test_thirty_day_period_on_a_working_day_is_not_extended(self) -> None:
        deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"), days=30)

        assert deadline.last_day == date(2026, 5, 25) + timedelta(days=1)
        assert extension_dates(deadline) == ["2026-05-23", "2026-05-24", "2026-05-25"]

    def test_eight_day_period_ending_on_a_wednesday_is_not_extended(self) -> None:
        deadline = compute_deadline(at("2026-04-22T10:00:00+02:00"), days=8)

        assert deadline.last_day == date(2026, 4, 30)
        assert deadline.extensions == ()

    def test_holiday_on_a_sunday_gives_one_combined_reason(self) -> None:
        # 1 November 2026 is a Sunday.
        deadline = compute_deadline(at("2026-10-17T10:00:00+02:00"))

        assert deadline.extensions[-1].date == date(2026, 11, 1)
        assert deadline.extensions[-1].reason == "dimanche et jour férié : Toussaint"
        assert deadline.extensions[-1].reason_en == "Sunday and public holiday: All Saints' Day"


class _OnlyFrenchCalendar:
    """A calendar that knows one holiday and names it only in French."""

    name = "test calendar"

    def holiday_name(self, day: date) -> str | None:
        return "Fête du test" if day == date(2026, 5, 6) else None


class TestInjectedCalendar:
    def test_an_injected_calendar_is_used_and_named(self) -> None:
        deadline = compute_deadline(at("2026-04-21T10:00:00+02:00"), calendar=_OnlyFrenchCalendar())

        assert deadline.calendar == "test calendar"
        assert deadline.extensions == (
            Extension(date(2026, 5, 6), "jour férié : Fête du test", "public holiday: Fête du test"),
        )
        assert deadline.last_day == date(2026, 5, 7)

    def test_the_territory_calendar_is_the_default(self) -> None:
        deadline = compute_deadline(at("2026-03-19T10:00:00+01:00"), territory="57")

        assert deadline.calendar == calendar_for_territory("57").name


class TestInvalidInput:
    def test_a_naive_delivery_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            compute_deadline(datetime(2026, 4, 23, 10, 0))  # noqa: DTZ001 - the point of the test

    @pytest.mark.parametrize("days", [0, -1, True])
    def test_a_period_of_less_than_one_day_is_refused(self, days: int) -> None:
        with pytest.raises(ValueError, match="days"):
            compute_deadline(at("2026-04-23T10:00:00+02:00"), days=days)

    def test_an_unknown_territory_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown territory"):
            compute_deadline(at("2026-04-23T10:00:00+02:00"), territory="99")

    @pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd"])
    def test_an_unknown_time_zone_is_refused(self, name: str) -> None:
        with pytest.raises(ValueError, match="unknown time zone"):
            compute_deadline(at("2026-04-23T10:00:00+02:00"), timezone=name)

    def test_an_unknown_rule_is_refused(self) -> None:
        with pytest.raises(ValueError, match="lunar"):
            compute_deadline(at("2026-04-23T10:00:00+02:00"), rule="lunar")  # type: ignore[arg-type]


class TestSilenceHasElapsed:
    deadline = compute_deadline(at("2026-04-23T10:00:00+02:00"))

    def test_silence_has_not_elapsed_one_microsecond_before_the_deadline(self) -> None:
        assert not silence_has_elapsed(self.deadline, at("2026-05-11T23:59:59.999999+02:00"))

    def test_silence_has_elapsed_at_the_deadline_instant(self) -> None:
        assert silence_has_elapsed(self.deadline, at("2026-05-11T22:00:00+00:00"))

    def test_a_bare_deadline_instant_is_accepted(self) -> None:
        assert silence_has_elapsed(self.deadline.deadline_utc(), at("2026-05-12T09:00:00+02:00"))
        assert not silence_has_elapsed(self.deadline.deadline_utc(), at("2026-05-11T09:00:00+02:00"))

    def test_a_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="now"):
            silence_has_elapsed(self.deadline, datetime(2026, 5, 12))  # noqa: DTZ001 - the point of the test

    def test_a_naive_deadline_is_refused(self) -> None:
        with pytest.raises(ValueError, match="deadline"):
            silence_has_elapsed(datetime(2026, 5, 12), at("2026-05-12T09:00:00+02:00"))  # noqa: DTZ001
