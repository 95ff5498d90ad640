"""The `comms-approval deadline` command: "if I send today, when is the deadline?"."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from comms_approval.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["deadline", *args])
    return result.exit_code, result.stdout, result.stderr


class TestJsonOutput:
    def test_worked_example_gives_last_day_and_deadline_with_offset(self) -> None:
        code, out, _ = run("--delivered", "2026-04-23T10:00:00+02:00", "--territory", "75", "--json")

        data = json.loads(out)
        assert code == 0
        assert data["last_day"] == "2026-05-11"
        assert data["deadline"] == "2026-05-12T00:00:00+02:00"
        assert data["rule"] == "cpc"
        assert data["rule_version"] == "cpc-641-642/v1"
        assert data["timezone"] == "Europe/Paris"
        assert data["territory"] == "75"
        assert data["days"] == 15
        assert data["delivered_local_date"] == "2026-04-23"
        assert data["calendar"].startswith("holidays ")
        assert [e["date"] for e in data["extensions"]] == ["2026-05-08", "2026-05-09", "2026-05-10"]
        assert data["extensions"][0]["reason"] == "jour férié : Fête de la Victoire"

    def test_an_overseas_territory_uses_its_own_time_zone_by_default(self) -> None:
        code, out, _ = run("--delivered", "2026-05-12T10:00:00-04:00", "--territory", "971", "--json")

        data = json.loads(out)
        assert code == 0
        assert data["timezone"] == "America/Guadeloupe"
        assert data["deadline"] == "2026-05-29T00:00:00-04:00"

    def test_rule_days_and_time_zone_options_are_applied(self) -> None:
        code, out, _ = run(
            "--delivered", "2026-04-23T10:00:00+02:00", "--rule", "calendar", "--days", "10",
            "--timezone", "Indian/Reunion", "--json",
        )  # fmt: skip

        data = json.loads(out)
        assert code == 0
        assert (data["rule"], data["days"], data["timezone"]) == ("calendar", 10, "Indian/Reunion")
        assert data["last_day"] == "2026-05-03"
        assert data["extensions"] == []

    def test_a_time_without_offset_is_read_in_the_chosen_time_zone(self) -> None:
        code, out, _ = run("--delivered", "2026-04-23T00:30", "--json")

        assert code == 0
        assert json.loads(out)["delivered_at"] == "2026-04-22T22:30:00+00:00"

    def test_without_delivered_the_current_instant_is_used(self) -> None:
        code, out, _ = run("--json")

        assert code == 0
        assert json.loads(out)["days"] == 15


class TestFrenchExplanation:
    def test_the_explanation_states_day_zero_each_extension_and_the_final_instant(self) -> None:
        code, out, _ = run("--delivered", "2026-04-23T10:00:00+02:00")

        assert code == 0
        assert "Échéance : lundi 11 mai 2026 à 24 h (heure de Paris)" in out
        assert "jeudi 23 avril 2026) est le jour 0" in out
        assert "15e jour : vendredi 8 mai 2026." in out
        assert "Report d'un jour : vendredi 8 mai 2026 (jour férié : Fête de la Victoire)." in out
        assert "Report d'un jour : dimanche 10 mai 2026 (dimanche)." in out

    def test_english_is_available(self) -> None:
        code, out, _ = run("--delivered", "2026-04-23T10:00:00+02:00", "--lang", "en")

        assert code == 0
        assert "Deadline: Monday 11 May 2026 at midnight, end of day (Paris time)" in out


class TestInvalidInput:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--delivered", "le 23 avril"), "n'est pas une date ISO 8601"),
            (("--territory", "99"), "n'est pas un code de département connu"),
            (("--timezone", "Mars/Olympus"), "n'est pas un fuseau horaire IANA connu"),
            (("--rule", "lunaire"), "valeurs possibles : cpc, calendar"),
            (("--days", "0"), "au moins égal à 1"),
            (("--lang", "de"), "valeurs possibles : fr, en"),
        ],
        ids=["date", "territory", "timezone", "rule", "days", "language"],
    )
    def test_invalid_input_gives_a_clear_message_and_exit_code_two(
        self, args: tuple[str, ...], message: str
    ) -> None:
        code, out, err = run("--delivered", "2026-04-23T10:00:00+02:00", *args)

        assert code == 2
        assert message in err
        assert err.startswith("Erreur : ")
        assert out == ""
