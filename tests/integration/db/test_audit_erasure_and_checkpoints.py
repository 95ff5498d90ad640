"""A payload goes only through a retention purge; a checkpoint is signed only over a chain that verifies.

A plain `DELETE FROM audit_payloads` (which the application role may run: retention needs it) must break
verification, in the database and in an exported bundle checked offline; a payload erased by the retention
purge must not. `audit checkpoint` must refuse to sign a trail that does not verify.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from comms_approval.bootstrap import AppContext
from comms_approval.cli.main import app
from comms_approval.clock import ManualClock
from comms_approval.domain.errors import AuditChainBroken
from comms_approval.services.audit import (
    AuditRefs,
    export_to_string,
    iter_events_with_payloads,
    record,
    verify_trail,
)
from comms_approval.services.checkpoints import create_checkpoint, verify_with_checkpoint
from comms_approval.services.retention import RetentionPolicy, apply_retention
from tests.integration.db.test_audit_trail import superuser_sql

VERIFIER = Path(__file__).resolve().parents[3] / "tools" / "verify_export.py"
ONE_YEAR = RetentionPolicy(documents_years=1, evidence_years=1, logs_years=1)


def append(ctx: AppContext, clock: ManualClock, count: int) -> None:
    """Events of no convention (as sign-ins are): the retention pass of `None` is the one that erases them."""
    with ctx.uow() as uow:
        for index in range(count):
            clock.advance(timedelta(minutes=1))
            record(uow.session, clock, "web_signed_in", AuditRefs(), {"email": f"agent{index}@example.org"})
        uow.commit()


def delete_payload(ctx: AppContext, seq: int) -> None:
    """What the application's own role may do: no trigger, no privilege stands in the way."""
    with ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_payloads WHERE seq = :seq"), {"seq": seq})


def offline(ctx: AppContext, tmp_path: Path) -> tuple[int, dict[str, object]]:
    bundle = tmp_path / "trail.jsonl"
    bundle.write_text(export_to_string(ctx), encoding="utf-8")
    outcome = subprocess.run(
        [sys.executable, "-I", "-S", str(VERIFIER), str(bundle), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={},
        check=False,
    )
    return outcome.returncode, dict(json.loads(outcome.stdout))


def purged(ctx: AppContext, clock: ManualClock) -> int:
    """Five events, two years later a retention pass erases their payloads; returns the purge event's seq."""
    append(ctx, clock, 5)
    clock.advance(timedelta(days=2 * 366))
    report = apply_retention(ctx, defaults=ONE_YEAR)
    assert report.total("evidence") == 5
    result = verify_trail(ctx)
    return result.head_seq


class TestErasureOutsideRetention:
    def test_a_deleted_payload_fails_verification_in_the_database_and_offline(
        self, ctx: AppContext, clock: ManualClock, tmp_path: Path
    ) -> None:
        """Event 2 loses its payload without any purge: both verifiers name event 2, intact up to 1."""
        append(ctx, clock, 3)
        delete_payload(ctx, 2)
        result = verify_trail(ctx)
        assert (result.ok, result.first_bad_seq, result.head_seq) == (False, 2, 1)
        assert (
            result.problem is not None and "retention" in result.problem and "conservation" in result.problem
        )
        code, report = offline(ctx, tmp_path)
        assert code == 1
        assert (report["first_bad_seq"], report["head_seq"]) == (2, 1)
        assert "erased outside any retention purge" in str(report["problem"])

    def test_a_payload_erased_by_the_retention_purge_still_verifies_in_the_database_and_offline(
        self, ctx: AppContext, clock: ManualClock, tmp_path: Path
    ) -> None:
        """The legitimate flow: the purge event records the runs it erased."""
        head = purged(ctx, clock)
        result = verify_trail(ctx)
        assert result.ok, result.problem
        assert (result.payloads_erased, result.head_seq) == (5, head)
        code, report = offline(ctx, tmp_path)
        assert code == 0, report
        assert (report["payloads_erased"], report["head_seq"]) == (5, head)

    def test_a_deletion_after_a_purge_is_not_covered_by_it(
        self, ctx: AppContext, clock: ManualClock, tmp_path: Path
    ) -> None:
        """A later event's payload deleted by hand is caught, whatever purges came before."""
        purged(ctx, clock)
        append(ctx, clock, 2)
        late = verify_trail(ctx).head_seq
        delete_payload(ctx, late)
        result = verify_trail(ctx)
        assert (result.ok, result.first_bad_seq) == (False, late)
        assert offline(ctx, tmp_path)[1]["first_bad_seq"] == late

    def test_the_cli_reports_the_deletion_instead_of_a_retention_purge(self, tmp_path: Path) -> None:
        """`audit verify` exits 1 naming the event; it no longer says 'purgé selon la politique'."""
        env = {
            "COMMS_APPROVAL_DATA_DIR": str(tmp_path / "data"),
            "COMMS_APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "COMMS_APPROVAL_ENV": "development",
            "COMMS_APPROVAL_SMTP_HOST": "",
        }
        runner = CliRunner()
        assert runner.invoke(app, ["init"], env=env).exit_code == 0
        runner.invoke(app, ["sweep", "--now", "2026-05-01T10:00:00+02:00"], env=env)  # audits the clock move
        engine = create_engine(env["COMMS_APPROVAL_DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_payloads WHERE seq = 1"))
        engine.dispose()
        result = runner.invoke(app, ["audit", "verify"], env=env)
        output = " ".join(result.output.split())
        assert result.exit_code == 1, output
        assert "n° 1" in output and "purgé(s) selon" not in output


def test_events_and_payloads_are_read_together_batch_by_batch(ctx: AppContext, clock: ManualClock) -> None:
    """Each event comes with its own payload (None once erased), across batch boundaries."""
    append(ctx, clock, 5)
    delete_payload(ctx, 3)
    with ctx.uow(read_only=True) as uow:
        pairs = [(row.seq, payload) for row, payload in iter_events_with_payloads(uow.session, batch=2)]
    assert [seq for seq, _ in pairs] == [1, 2, 3, 4, 5]
    assert [text is None for _, text in pairs] == [False, False, True, False, False]
    assert json.loads(pairs[3][1] or "{}") == {"email": "agent3@example.org"}


class TestCheckpointsOnlyOverAVerifiedChain:
    def test_an_intact_chain_gets_its_head_signed(
        self, ctx: AppContext, clock: ManualClock, tmp_path: Path
    ) -> None:
        append(ctx, clock, 3)
        point = create_checkpoint(ctx, tmp_path / "head.json")
        assert (point.seq, point.hash) == (3, verify_trail(ctx).head_hash)
        assert verify_with_checkpoint(ctx, tmp_path / "head.json").ok

    def test_an_empty_trail_can_still_be_checkpointed(self, ctx: AppContext, tmp_path: Path) -> None:
        assert create_checkpoint(ctx, tmp_path / "head.json").seq == 0

    @pytest.mark.parametrize(
        "tamper",
        ["deleted payload", "edited event", "head beyond the chain"],
    )
    def test_a_chain_that_does_not_verify_is_not_signed(
        self, ctx: AppContext, clock: ManualClock, tmp_path: Path, tamper: str
    ) -> None:
        """Refused with a French and English message naming the event; no file is written."""
        append(ctx, clock, 4)
        bad = 2
        if tamper == "deleted payload":
            delete_payload(ctx, bad)
        elif tamper == "edited event":
            superuser_sql(ctx, f"UPDATE audit_events SET party_id = 'caf' WHERE seq = {bad}")
        else:
            # The tail is cut but the stored head still names event 4: the chain ends at 3.
            superuser_sql(
                ctx, "DELETE FROM audit_payloads WHERE seq = 4", "DELETE FROM audit_events WHERE seq = 4"
            )
            bad = 4
        target = tmp_path / "head.json"
        with pytest.raises(AuditChainBroken) as refused:
            create_checkpoint(ctx, target)
        message = str(refused.value)
        assert f"refusing to sign a checkpoint: the audit trail is broken at event {bad}" in message
        assert f"point de contrôle refusé : la piste d'audit est altérée au n° {bad}" in message
        assert not target.exists() and not target.with_name("head.json.part").exists()
