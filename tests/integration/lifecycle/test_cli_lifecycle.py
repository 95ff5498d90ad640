"""The lifecycle, report and mentions commands, run in-process against a temporary data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comms_approval.cli.main import app
from tests.conftest import DEMO_CONVENTION

runner = CliRunner()
NOW = "2026-09-15T10:00:00+02:00"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COMMS_APPROVAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMS_APPROVAL_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["convention", "load", str(DEMO_CONVENTION)]).exit_code == 0
    return tmp_path / "data"


def test_terminate_prints_the_effective_date_and_refuses_a_second_request(data_dir: Path) -> None:
    """A July request takes effect on 1 September of the following year; a duplicate exits non-zero in French."""
    args = ["convention", "terminate", "demo-absenteisme-75", "caf", "--requested-on", "2026-07-14"]
    first = runner.invoke(app, [*args, "--by", "officer", "--reference", "1A 234", "--json", "--now", NOW])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["effective_on"] == "2027-09-01"
    second = runner.invoke(app, [*args, "--by", "officer", "--now", NOW])
    assert second.exit_code == 1
    assert "déjà enregistrée" in second.stderr
    shown = runner.invoke(app, ["convention", "lifecycle", "demo-absenteisme-75", "--json", "--now", NOW])
    caf = next(p for p in json.loads(shown.stdout)["parties"] if p["party"] == "caf")
    assert (caf["active"], caf["termination_effective_on"]) == (True, "2027-09-01")


def test_report_writes_a_pdf_and_csv_files(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--school-year", "2026-2027", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "rapport-demo-absenteisme-75-2026-2027.pdf").read_bytes().startswith(b"%PDF")
    bad = runner.invoke(app, ["report", "--school-year", "2026-2028"])
    assert bad.exit_code == 1 and "2026-2027" in bad.stderr


def test_mentions_reads_a_convention_file_without_a_database(tmp_path: Path) -> None:
    """`mentions FILE --convention FILE --json` lists the parties the draft names."""
    from tests.unit.mentions.test_document_mentions import make_pdf

    pdf = make_pdf(tmp_path / "a.pdf", ("Avec la Caf et la DSDEN", "à la cafétéria"))
    result = runner.invoke(app, ["mentions", str(pdf), "--convention", str(DEMO_CONVENTION), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mentions"]["named_parties"] == ["dsden", "caf"]
