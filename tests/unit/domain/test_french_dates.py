"""Dates and deadlines written out for people, without depending on the process locale."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from comms_approval.domain.convention import DeadlineRule
from comms_approval.domain.deadlines import compute_deadline
from comms_approval.domain.french import (
    explain_deadline_en,
    explain_deadline_fr,
    format_date_en,
    format_date_fr,
    format_datetime_en,
    format_datetime_fr,
    format_deadline_en,
    format_deadline_fr,
    zone_label_en,
    zone_label_fr,
)

WORKED = compute_deadline(datetime.fromisoformat("2026-04-23T10:00:00+02:00"))


class TestFrenchDates:
    def test_a_date_is_written_with_weekday_day_month_and_year(self) -> None:
        assert format_date_fr(date(2026, 5, 11)) == "lundi 11 mai 2026"
        assert format_date_fr(date(2026, 8, 16)) == "dimanche 16 août 2026"

    def test_the_first_of_the_month_is_written_premier(self) -> None:
        assert format_date_fr(date(2026, 5, 1)) == "vendredi 1er mai 2026"

    def test_the_deadline_is_written_as_twenty_four_hours_of_the_last_day(self) -> None:
        assert format_deadline_fr(WORKED) == "lundi 11 mai 2026 à 24 h (heure de Paris)"

    def test_an_instant_is_written_in_the_zone_asked_for(self) -> None:
        instant = datetime.fromisoformat("2026-04-23T08:05:00+00:00")
        assert (
            format_datetime_fr(instant, "America/Martinique")
            == "jeudi 23 avril 2026 à 4 h 05 (heure de la Martinique)"
        )

    @pytest.mark.parametrize(
        ("zone", "label"),
        [("Indian/Reunion", "heure de La Réunion"), ("America/Cayenne", "heure de Cayenne"),
         ("Europe/Brussels", "heure locale, fuseau Europe/Brussels")],
    )  # fmt: skip
    def test_each_zone_is_named_by_its_place(self, zone: str, label: str) -> None:
        assert zone_label_fr(zone) == label

    def test_the_explanation_walks_through_day_zero_day_fifteen_each_extension_and_the_end(self) -> None:
        text = "\n".join(explain_deadline_fr(WORKED))

        assert "jeudi 23 avril 2026) est le jour 0" in text
        assert "15e jour : vendredi 8 mai 2026." in text
        assert "Report d'un jour : vendredi 8 mai 2026 (jour férié : Fête de la Victoire)." in text
        assert "Report d'un jour : samedi 9 mai 2026 (samedi)." in text
        assert "Dernier jour : lundi 11 mai 2026." in text
        assert "le silence vaut accord à compter du mardi 12 mai 2026 à 0 h" in text
        assert "articles 641 et 642 du code de procédure civile" in text

    def test_the_calendar_rule_and_a_one_day_period_are_explained_as_such(self) -> None:
        deadline = compute_deadline(WORKED.delivered_at, days=1, rule=DeadlineRule.CALENDAR)
        text = "\n".join(explain_deadline_fr(deadline))

        assert "Délai de 1 jour : jours calendaires, sans report" in text
        assert "1er jour : vendredi 24 avril 2026." in text
        assert "Report" not in text


class TestEnglishDates:
    def test_dates_deadlines_and_instants_are_written_in_english(self) -> None:
        assert format_date_en(date(2026, 5, 11)) == "Monday 11 May 2026"
        assert format_deadline_en(WORKED) == "Monday 11 May 2026 at midnight, end of day (Paris time)"
        assert (
            format_datetime_en(WORKED.delivered_at, "Europe/Paris")
            == "Thursday 23 April 2026 at 10:00 (Paris time)"
        )
        assert zone_label_en("Asia/Tokyo") == "local time, Asia/Tokyo"

    @pytest.mark.parametrize(
        ("days", "ordinal"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (11, "11th"), (15, "15th"), (22, "22nd")]
    )
    def test_the_counted_day_gets_its_english_ordinal(self, days: int, ordinal: str) -> None:
        deadline = compute_deadline(WORKED.delivered_at, days=days)
        assert f"{ordinal} day: " in "\n".join(explain_deadline_en(deadline))

    def test_the_english_explanation_gives_english_reasons(self) -> None:
        text = "\n".join(explain_deadline_en(WORKED))

        assert "Carried over one day: Friday 8 May 2026 (public holiday: Victory Day)." in text
        assert "silence counts as approval from Tuesday 12 May 2026 at 00:00" in text
        assert "French code of civil procedure" in text

    def test_the_calendar_rule_is_explained_in_english(self) -> None:
        deadline = compute_deadline(WORKED.delivered_at, rule=DeadlineRule.CALENDAR)
        assert "never extended" in "\n".join(explain_deadline_en(deadline))
