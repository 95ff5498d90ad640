"""Signed checkpoints of the audit head: a file the auditor keeps, which exposes a truncated or rewritten trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from comms_approval.adapters.db import audit as store
from comms_approval.bootstrap import AppContext
from comms_approval.domain.audit_chain import CHAIN_VERSION, VerificationResult, canonical_json
from comms_approval.domain.errors import AuditChainBroken, CommsApprovalError
from comms_approval.services.audit import verify_session

CHECKPOINT_FORMAT = "comms-approval-checkpoint/v1"


class CheckpointInvalid(CommsApprovalError):
    """A checkpoint file is unreadable, malformed or not signed with this deployment's secret key."""


@dataclass(frozen=True)
class Checkpoint:
    """The audit head at one instant, signed (HMAC-SHA256) with the deployment's secret key."""

    seq: int
    hash: str
    created_at: str
    chain: str = CHAIN_VERSION

    def signed_body(self) -> dict[str, object]:
        return {
            "format": CHECKPOINT_FORMAT,
            "chain": self.chain,
            "seq": self.seq,
            "hash": self.hash,
            "created_at": self.created_at,
        }

    def signature(self, secret_key: str) -> str:
        body = canonical_json(self.signed_body()).encode("utf-8")
        return hmac.new(secret_key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _secret(ctx: AppContext) -> str:
    return ctx.settings.secret_key.get_secret_value()


def create_checkpoint(ctx: AppContext, path: Path) -> Checkpoint:
    """Verify the whole chain, then write its head, signed, to `path` (atomically; owner-readable only).

    Raises AuditChainBroken, and writes nothing, when the chain does not verify: the signature must never
    vouch for a rewritten trail (a chain recomputed consistently by someone with database access still fails
    on an edited or unaccounted erased payload, or on a stored head that is no longer one of its events).
    """
    with ctx.uow(read_only=True) as uow:
        # The head first, then the chain: events appended meanwhile only lengthen the chain the head is in.
        head = store.head(uow.session)
        result = verify_session(uow.session, expected_head=head if head[0] else None)
    if not result.ok:
        raise AuditChainBroken(
            f"refusing to sign a checkpoint: the audit trail is broken at event {result.first_bad_seq}: "
            f"{result.problem} / point de contrôle refusé : la piste d'audit est altérée au n° "
            f"{result.first_bad_seq}"
        )
    checkpoint = Checkpoint(seq=head[0], hash=head[1], created_at=ctx.clock.now().isoformat())
    document = {**checkpoint.signed_body(), "hmac_sha256": checkpoint.signature(_secret(ctx))}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    # A half-written checkpoint would be worse than none: write aside, then rename over the old one.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    partial.replace(path)
    return checkpoint


def read_checkpoint(path: Path, secret_key: str) -> Checkpoint:
    """Load a checkpoint and check its signature; raises CheckpointInvalid on any doubt."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointInvalid(f"cannot read the checkpoint {path}: {error}") from error
    if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointInvalid(f"{path} is not a {CHECKPOINT_FORMAT} file")
    try:
        checkpoint = Checkpoint(
            seq=int(document["seq"]),
            hash=str(document["hash"]),
            created_at=str(document["created_at"]),
            chain=str(document["chain"]),
        )
        claimed = str(document["hmac_sha256"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointInvalid(f"{path} lacks a field: {error}") from error
    if not hmac.compare_digest(claimed, checkpoint.signature(secret_key)):
        raise CheckpointInvalid(
            f"the signature of {path} does not match (edited, or another deployment's key)"
        )
    return checkpoint


def verify_with_checkpoint(ctx: AppContext, path: Path) -> VerificationResult:
    """Verify the whole chain and that it still contains the checkpointed head (detects a cut tail)."""
    checkpoint = read_checkpoint(path, _secret(ctx))
    with ctx.uow(read_only=True) as uow:
        return verify_session(uow.session, expected_head=(checkpoint.seq, checkpoint.hash))
