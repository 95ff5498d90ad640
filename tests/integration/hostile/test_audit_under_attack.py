"""The audit trail under attack: a restricted role, superuser edits, deletions, a cut tail, offline checks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError

from comms_approval.adapters.db.engine import create_db_engine
from comms_approval.adapters.db.roles import create_app_role, drop_app_role, table_privileges
from comms_approval.bootstrap import AppContext
from comms_approval.services.audit import export_to_string, verify_trail
from comms_approval.services.checkpoints import CheckpointInvalid, create_checkpoint, verify_with_checkpoint
from comms_approval.services.decisions import record_decision
from comms_approval.services.submission import submit_draft
from tests.integration.concurrency.support import (
    CONVENTION_ID,
    OFFICER,
    Seeded,
    after,
    context_at,
    dispatch_to,
    seed_communications,
)
from tests.support.smtp_server import SmtpTestServer
from tests.support.workflow import FakeLogoChecker, body_of, make_draft, tokens_for

REPO = Path(__file__).resolve().parents[3]
VERIFIER = REPO / "tools" / "verify_export.py"
APPROVERS = (
    "pref-communication@prefecture.example.org",
    "communication@dsden.example.org",
    "dtpjj-direction@pjj.example.org",
    "direction@caf.example.org",
)
ANCHOR = re.compile(r"([0-9a-f]{64}) \(événement n° (\d+)\)")


def concluded_trail(url: str, tmp_path: Path, server: SmtpTestServer) -> tuple[Seeded, tuple[int, str]]:
    """One communication cleared by four approvals, its conclusion mails received; then more activity."""
    seeded = seed_communications(url, tmp_path / "data", 1, uploads=tmp_path / "uploads")
    dispatch_to(seeded.ctx, server.port)
    mails = server.accepted_messages()
    ctx = seeded.at(after(days=1))
    for address in APPROVERS:
        record_decision(ctx, token=tokens_for(mails, address)[0], decision="approve")
    dispatch_to(ctx, server.port)
    conclusion = next(m for m in server.accepted_messages() if ANCHOR.search(body_of(m)))
    found = ANCHOR.search(body_of(conclusion))
    assert found is not None
    anchor = (int(found.group(2)), found.group(1))
    # Life goes on after the conclusion: a second communication adds events beyond the anchor.
    submit_draft(
        ctx,
        FakeLogoChecker(),
        convention_id=CONVENTION_ID,
        party_id="departement",
        title="Dépliant",
        file=make_draft(tmp_path / "uploads", name="depliant.png", text="Dépliant"),
        officer_email=OFFICER,
    )
    return seeded, anchor


def as_superuser(engine: Engine, *statements: str) -> None:
    """What an attacker with the superuser password can do: switch the triggers off and rewrite rows."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement))


def head_of(ctx: AppContext) -> tuple[int, str]:
    with ctx.engine.connect() as conn:
        seq, digest = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
    return int(seq), str(digest)


@pytest.fixture
def app_role(pg_url: str) -> Iterator[str]:
    role = f"comms_app_{uuid.uuid4().hex[:10]}"
    yield role
    engine = create_db_engine(pg_url)
    drop_app_role(engine, role)
    engine.dispose()


@pytest.mark.postgres
class TestTheApplicationRole:
    def test_the_application_role_cannot_update_delete_or_truncate_audit_events(
        self, pg_url: str, tmp_path: Path, smtp_server: SmtpTestServer, app_role: str
    ) -> None:
        """Refused by the privilege system (not only by the triggers), through a second engine as that role."""
        seeded, _ = concluded_trail(pg_url, tmp_path, smtp_server)
        create_app_role(seeded.ctx.engine, app_role, "not-used-with-trust-auth")
        assert table_privileges(seeded.ctx.engine, app_role, "audit_events") == {"SELECT", "INSERT"}
        role_url = make_url(pg_url).set(username=app_role, password="not-used-with-trust-auth")
        role_engine = create_db_engine(role_url.render_as_string(hide_password=False))
        try:
            for statement in (
                "UPDATE audit_events SET kind = 'forged' WHERE seq = 3",
                "DELETE FROM audit_events WHERE seq = 3",
                "TRUNCATE audit_events",
                "UPDATE audit_payloads SET payload = '{}' WHERE seq = 3",
                "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_events_no_update_delete ON audit_events",
            ):
                with pytest.raises(DBAPIError) as refused, role_engine.begin() as conn:
                    conn.execute(text(statement))
                sqlstate = getattr(refused.value.orig, "sqlstate", None)
                assert sqlstate in ("42501", "42809"), (statement, sqlstate)  # insufficient privilege / owner
        finally:
            role_engine.dispose()
        assert verify_trail(seeded.ctx).ok

    def test_the_whole_workflow_runs_as_the_application_role(
        self, pg_url: str, tmp_path: Path, smtp_server: SmtpTestServer, app_role: str
    ) -> None:
        """The restriction costs the product nothing: migrations are a no-op, events append, mail goes out."""
        seeded, _ = concluded_trail(pg_url, tmp_path, smtp_server)
        create_app_role(seeded.ctx.engine, app_role)
        role_url = make_url(pg_url).set(username=app_role).render_as_string(hide_password=False)
        ctx = context_at(role_url, seeded.data_dir, after(days=2), migrate=True)
        try:
            before = head_of(ctx)[0]
            assert dispatch_to(ctx, smtp_server.port).sent >= 5  # the second communication's requests
            mails = smtp_server.accepted_messages()
            record_decision(ctx, token=tokens_for(mails, APPROVERS[0])[-1], decision="approve")
            assert head_of(ctx)[0] > before
            assert verify_trail(ctx).ok
        finally:
            ctx.engine.dispose()


@pytest.mark.postgres
class TestTamperingIsDetected:
    def test_a_superuser_edit_of_one_event_is_detected_at_that_event(
        self, pg_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        seeded, _ = concluded_trail(pg_url, tmp_path, smtp_server)
        as_superuser(seeded.ctx.engine, "UPDATE audit_events SET party_id = 'caf' WHERE seq = 5")
        result = verify_trail(seeded.ctx)
        assert not result.ok and result.first_bad_seq == 5

    def test_a_deleted_middle_event_is_detected(
        self, pg_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        seeded, _ = concluded_trail(pg_url, tmp_path, smtp_server)
        as_superuser(
            seeded.ctx.engine,
            "DELETE FROM audit_payloads WHERE seq = 7",
            "DELETE FROM audit_events WHERE seq = 7",
        )
        result = verify_trail(seeded.ctx)
        assert not result.ok and result.first_bad_seq == 7

    def test_a_cut_tail_passes_a_bare_verify_but_not_the_mail_anchor_nor_the_checkpoint(
        self, pg_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """The attacker deletes the last events and moves the head back: only outside anchors can tell."""
        seeded, anchor = concluded_trail(pg_url, tmp_path, smtp_server)
        checkpoint = tmp_path / "auditor" / "checkpoint.json"
        taken = create_checkpoint(seeded.ctx, checkpoint)
        assert taken.seq > anchor[0]
        assert verify_with_checkpoint(seeded.ctx, checkpoint).ok

        # First cut: only the events after the conclusion (the mail anchor still holds, the checkpoint not).
        keep = anchor[0] + 1
        self._cut_after(seeded, keep)
        assert verify_trail(seeded.ctx).ok  # self-consistent: a bare verify cannot see it
        assert verify_trail(seeded.ctx, expected_head=anchor).ok
        cut = verify_with_checkpoint(seeded.ctx, checkpoint)
        assert not cut.ok and cut.first_bad_seq == keep + 1

        # Second cut, through the conclusion event: the hash every party holds in its mail exposes it.
        self._cut_after(seeded, anchor[0] - 1)
        assert verify_trail(seeded.ctx).ok
        result = verify_trail(seeded.ctx, expected_head=anchor)
        assert not result.ok and result.first_bad_seq == anchor[0]

    @staticmethod
    def _cut_after(seeded: Seeded, keep: int) -> None:
        with seeded.ctx.engine.connect() as conn:
            digest = conn.execute(
                text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": keep}
            ).scalar_one()
        as_superuser(
            seeded.ctx.engine,
            f"DELETE FROM audit_payloads WHERE seq > {keep}",
            f"DELETE FROM audit_events WHERE seq > {keep}",
            f"UPDATE audit_head SET seq = {keep}, hash = '{digest}'",
        )


class TestSignedCheckpoints:
    def test_an_edited_or_foreign_checkpoint_is_refused(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """Moving the checkpoint back (to hide a cut) breaks its HMAC; another key does not verify it."""
        seeded, _ = concluded_trail(db_url, tmp_path, smtp_server)
        path = tmp_path / "checkpoint.json"
        create_checkpoint(seeded.ctx, path)
        assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
        document = json.loads(path.read_text())
        document["seq"] -= 3
        path.write_text(json.dumps(document))
        with pytest.raises(CheckpointInvalid):
            verify_with_checkpoint(seeded.ctx, path)
        create_checkpoint(seeded.ctx, path)
        other = seeded.ctx.settings.model_copy(update={"secret_key": SecretStr("another-deployment-key")})
        foreign = AppContext(settings=other, engine=seeded.ctx.engine, clock=seeded.ctx.clock)
        with pytest.raises(CheckpointInvalid):
            verify_with_checkpoint(foreign, path)


def run_verifier(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # -I -S: isolated, without site-packages: the verifier needs nothing but the standard library.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(VERIFIER), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or {},
        check=False,
    )


class TestOfflineVerifier:
    def test_an_exported_bundle_verifies_without_the_database_and_finds_every_tampering(
        self, db_url: str, tmp_path: Path, smtp_server: SmtpTestServer
    ) -> None:
        """The standalone script agrees with `audit verify`, head for head, and names the first bad event."""
        seeded, anchor = concluded_trail(db_url, tmp_path, smtp_server)
        checkpoint = tmp_path / "checkpoint.json"
        create_checkpoint(seeded.ctx, checkpoint)
        bundle = tmp_path / "trail.jsonl"
        bundle.write_text(export_to_string(seeded.ctx), encoding="utf-8")
        lines = bundle.read_text(encoding="utf-8").splitlines()
        expected = verify_trail(seeded.ctx)

        key = seeded.ctx.settings.secret_key.get_secret_value()
        good = run_verifier(
            bundle,
            "--json",
            "--anchor",
            f"{anchor[0]}:{anchor[1]}",
            "--checkpoint",
            checkpoint,
            "--key-env",
            "KEY",
            env={"KEY": key},
        )
        assert good.returncode == 0, good.stdout + good.stderr
        report = json.loads(good.stdout)
        assert (report["events"], report["head_seq"], report["head_hash"]) == (
            expected.events_checked,
            expected.head_seq,
            expected.head_hash,
        )

        def tampered(name: str, new_lines: list[str], *extra: str | Path) -> dict[str, object]:
            path = tmp_path / name
            path.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
            outcome = run_verifier(path, "--json", *extra)
            assert outcome.returncode == 1, outcome.stdout + outcome.stderr
            return dict(json.loads(outcome.stdout))

        edited = json.loads(lines[4])
        edited["party_id"] = "caf"
        assert tampered("edited.jsonl", [*lines[:4], json.dumps(edited), *lines[5:]])["first_bad_seq"] == 5
        payload = json.loads(lines[2])
        payload["payload"] = {**(payload["payload"] or {}), "added": "by hand"}
        assert tampered("payload.jsonl", [*lines[:2], json.dumps(payload), *lines[3:]])["first_bad_seq"] == 3
        assert tampered("deleted.jsonl", [*lines[:6], *lines[7:]])["first_bad_seq"] == 7
        assert tampered("swapped.jsonl", [*lines[:3], lines[4], lines[3], *lines[5:]])["first_bad_seq"] == 4
        cut = tampered("cut.jsonl", lines[: anchor[0] - 1], "--anchor", f"{anchor[0]}:{anchor[1]}")
        assert cut["first_bad_seq"] == anchor[0]
        cut_after = tampered("cut2.jsonl", lines[:-2], "--checkpoint", checkpoint)
        assert cut_after["first_bad_seq"] == len(lines) - 1

        erased = json.loads(lines[2])
        erased["payload"] = None  # no retention purge records it: an erasure by hand
        assert tampered("erased.jsonl", [*lines[:2], json.dumps(erased), *lines[3:]])["first_bad_seq"] == 3
        withheld = {**erased, "payload_withheld": True}  # an auditor's partial export from the web
        path = tmp_path / "withheld.jsonl"
        path.write_text("\n".join([*lines[:2], json.dumps(withheld), *lines[3:]]) + "\n", encoding="utf-8")
        partial = run_verifier(path, "--json")
        assert partial.returncode == 0 and json.loads(partial.stdout)["payloads_withheld"] == 1

        forged = run_verifier(bundle, "--checkpoint", checkpoint, "--key-env", "KEY", env={"KEY": "wrong"})
        assert forged.returncode == 2 and "signature" in forged.stderr
