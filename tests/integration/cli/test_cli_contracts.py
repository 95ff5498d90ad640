"""The CLI contracts scripts rely on: init, convention load, status --json, sweep --now, audit verify/export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.cli.main import app
from tests.conftest import DEMO_CONVENTION


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "COMMS_APPROVAL_DATA_DIR": str(tmp_path / "data"),
        "COMMS_APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "COMMS_APPROVAL_ENV": "development",
        "COMMS_APPROVAL_SMTP_HOST": "",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_init_then_load_then_an_intact_trail(env: dict[str, str]) -> None:
    """A fresh database, the demo convention, and a chain that verifies (exit 0)."""
    assert run(env, "init")[0] == 0
    code, out = run(env, "convention", "load", str(DEMO_CONVENTION))
    assert code == 0
    assert "demo-absenteisme-75" in out
    code, out = run(env, "audit", "verify")
    assert code == 0
    assert "intacte" in out


def test_audit_verify_names_the_first_bad_event_and_exits_non_zero(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A superuser edit of event 1 is reported with its number."""
    run(env, "convention", "load", str(DEMO_CONVENTION))
    run(env, "sweep", "--now", "2026-05-01T10:00:00+02:00")  # records the clock override: a second event
    engine = create_db_engine(env["COMMS_APPROVAL_DATABASE_URL"])
    with engine.connect() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET kind = 'forged' WHERE seq = 1"))
        conn.commit()
    engine.dispose()
    code, out = run(env, "audit", "verify")
    assert code == 1
    assert "n° 1" in " ".join(out.split())


def test_a_signed_checkpoint_exposes_a_truncated_tail(env: dict[str, str], tmp_path: Path) -> None:
    """The auditor keeps a checkpoint; deleting the last events then fails verification against it."""
    run(env, "convention", "load", str(DEMO_CONVENTION))
    run(env, "sweep", "--now", "2026-05-01T10:00:00+02:00")
    point = tmp_path / "head.checkpoint"
    assert run(env, "audit", "checkpoint", "--output", str(point))[0] == 0
    assert run(env, "audit", "verify", "--checkpoint", str(point))[0] == 0
    engine = create_db_engine(env["COMMS_APPROVAL_DATABASE_URL"])
    with engine.connect() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        conn.execute(text("DELETE FROM audit_payloads WHERE seq = 2"))
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        conn.commit()
    engine.dispose()
    assert run(env, "audit", "verify")[0] == 0  # the shorter chain is consistent in itself...
    assert run(env, "audit", "verify", "--checkpoint", str(point))[0] == 1  # ...but not with the checkpoint


def test_audit_export_writes_jsonl_and_csv(env: dict[str, str], tmp_path: Path) -> None:
    """One JSON object per event; CSV with a header row."""
    run(env, "convention", "load", str(DEMO_CONVENTION))
    code, out = run(env, "audit", "export", "--format", "jsonl")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert first["seq"] == 1
    assert first["kind"] == "ConventionLoaded"
    target = tmp_path / "trail.csv"
    assert run(env, "audit", "export", "--format", "csv", "--output", str(target))[0] == 0
    assert target.read_text(encoding="utf-8").startswith("seq,occurred_at")


def test_status_json_lists_versions_and_requests(env: dict[str, str], tmp_path: Path) -> None:
    """The status contract: per version, version/status/sha256/requests with their fields."""
    from tests.support.workflow import make_draft

    run(env, "convention", "load", str(DEMO_CONVENTION))
    draft = make_draft(tmp_path / "up")
    code, out = run(
        env,
        "submit",
        str(draft),
        "--convention",
        "demo-absenteisme-75",
        "--by",
        "departement",
        "--title",
        "Affiche",
        "--override",
        "dsden=Le logo figure en haut à gauche, en petit.",
        "--json",
    )
    assert code in (0, 1), out  # 1 when the real logo check refuses the blank mock-up
    submitted = json.loads(out.splitlines()[-1])
    assert submitted["version"] == 1
    code, out = run(env, "status", "--json")
    assert code == 0
    data = json.loads(out)
    version = data[0]["versions"][0]
    assert {"version", "status", "sha256", "requests"} <= set(version)
    assert version["sha256"] == submitted["sha256"]


def test_clock_override_is_refused_in_production(env: dict[str, str]) -> None:
    """Production refuses --now with a clear message and a non-zero exit."""
    production = {
        **env,
        "COMMS_APPROVAL_ENV": "production",
        "COMMS_APPROVAL_SECRET_KEY": "x" * 40,
        "COMMS_APPROVAL_SMTP_HOST": "smtp.example.org",
        "COMMS_APPROVAL_MAIL_FROM": "Visas <no-reply@visas.example.org>",
    }
    code, out = run(production, "sweep", "--now", "2026-05-01T10:00:00+02:00")
    assert code != 0
    assert "refused in production" in " ".join(out.split())


def test_production_without_a_mail_relay_does_not_start(env: dict[str, str]) -> None:
    """No relay in production: refused, instead of mail kept in a local folder and counted as delivered."""
    production = {**env, "COMMS_APPROVAL_ENV": "production", "COMMS_APPROVAL_SECRET_KEY": "x" * 40}
    code, out = run(production, "status")
    assert code != 0
    assert "SMTP_HOST" in out


def test_a_placeholder_secret_is_refused_in_production(env: dict[str, str]) -> None:
    """A deployment that forgot its secret does not start."""
    production = {**env, "COMMS_APPROVAL_ENV": "production", "COMMS_APPROVAL_SECRET_KEY": "changeme"}
    code, out = run(production, "status")
    assert code != 0
    assert "SECRET_KEY" in out
