"""The public holidays and legal time of each French territory."""

from __future__ import annotations

from datetime import date

import pytest

from comms_approval.domain.calendars import (
    DEFAULT_TIMEZONES,
    HOLIDAYS_VERSION,
    BilingualHolidayCalendar,
    calendar_for_territory,
    default_timezone,
    normalise_territory,
)


class TestCalendarForTerritory:
    def test_the_calendar_name_gives_library_version_and_subdivision(self) -> None:
        assert (
            calendar_for_territory("57").name
            == f"holidays {HOLIDAYS_VERSION} France subdiv=57 (Alsace-Moselle)"
        )
        assert calendar_for_territory("75").name == f"holidays {HOLIDAYS_VERSION} France (métropole)"

    def test_metropolitan_calendar_knows_the_national_holidays_only(self) -> None:
        paris = calendar_for_territory("75")

        assert paris.holiday_name(date(2026, 5, 8)) == "Fête de la Victoire"
        assert paris.holiday_name(date(2026, 4, 3)) is None
        assert paris.holiday_name(date(2026, 5, 7)) is None

    @pytest.mark.parametrize("territory", ["57", "67", "68"])
    def test_alsace_moselle_adds_good_friday_and_saint_stephens_day(self, territory: str) -> None:
        calendar = calendar_for_territory(territory)

        assert calendar.holiday_name(date(2026, 4, 3)) == "Vendredi saint"
        assert calendar.holiday_name(date(2026, 12, 26)) == "Saint-Étienne"
        assert calendar.holiday_name_en(date(2026, 12, 26)) == "Saint Stephen's Day"

    @pytest.mark.parametrize(
        ("territory", "day"),
        [("971", date(2026, 5, 27)), ("972", date(2026, 5, 22)), ("973", date(2026, 6, 10)),
         ("974", date(2026, 12, 20)), ("976", date(2026, 4, 27))],
    )  # fmt: skip
    def test_each_overseas_departement_observes_its_abolition_day(self, territory: str, day: date) -> None:
        assert calendar_for_territory(territory).holiday_name(day) == "Abolition de l'esclavage"
        assert calendar_for_territory("75").holiday_name(day) is None

    def test_the_calendar_can_name_holidays_in_english(self) -> None:
        calendar = calendar_for_territory("2a")

        assert isinstance(calendar, BilingualHolidayCalendar)
        assert calendar.territory == "2A"
        assert calendar.holiday_name_en(date(2026, 7, 14)) == "National Day"

    def test_an_unknown_territory_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown territory '20'"):
            calendar_for_territory("20")


class TestTimeZones:
    @pytest.mark.parametrize(
        ("territory", "zone"),
        [("971", "America/Guadeloupe"), ("972", "America/Martinique"), ("973", "America/Cayenne"),
         ("974", "Indian/Reunion"), ("975", "America/Miquelon"), ("976", "Indian/Mayotte"),
         ("75", "Europe/Paris"), ("2B", "Europe/Paris")],
    )  # fmt: skip
    def test_each_territory_has_its_legal_time(self, territory: str, zone: str) -> None:
        assert default_timezone(territory) == zone

    def test_every_overseas_zone_is_listed(self) -> None:
        assert set(DEFAULT_TIMEZONES) == {"971", "972", "973", "974", "975", "976"}

    def test_codes_are_normalised(self) -> None:
        assert normalise_territory(" 2b ") == "2B"
